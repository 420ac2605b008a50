#!/usr/bin/env python3
"""DuckDB's side of `backbone bench measurement`.

The bench writes every generated value to one CSV file
(`site,indicator,period,subgroup,value`; `subgroup` empty for a total row) and
the import file it times to another. This script loads the values into an
in-memory DuckDB table (DuckDB's fastest case: columnar, compressed, in
memory), then computes the same aggregates as Backbone, by the same total
rule: for a site, indicator and period, the sum of its total rows when it has
any, otherwise the sum of its subgroup rows.

- dashboard: one site's totals for every indicator and period, for each site
  given, timed one by one (p50, p95);
- rollup: one indicator's totals per site and period across all sites, and the
  network total of each period (median of the repeats);
- import: `read_csv` of the import file into a table (rows per second).

Each result is materialised in DuckDB (`CREATE TEMP TABLE ... AS`), so the time
is DuckDB's, not Python's converting rows. Checksums are computed afterwards
and printed beside the times, in the same form as the Rust side prints them,
so that both can be compared. The one output is a JSON object on stdout; when
the `duckdb` package is missing it prints `{"missing": "duckdb"}` and exits 3.
"""

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal

try:
    import duckdb
except ImportError:  # pragma: no cover - depends on the machine
    print(json.dumps({"missing": "duckdb"}))
    sys.exit(3)

TOTAL = """
    CASE WHEN count(*) FILTER (WHERE subgroup = '') > 0
         THEN sum(value) FILTER (WHERE subgroup = '')
         ELSE sum(value) FILTER (WHERE subgroup <> '') END
"""


def canon(d):
    """A decimal as the Rust side prints it: no exponent, no trailing zeros."""
    if d is None:
        return "0"
    d = Decimal(d).normalize()
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def percentile(times, p):
    s = sorted(times)
    return s[int((len(s) - 1) * p)]


def month_index():
    # year × 12 + month; the Rust side computes the same from its Period.
    return "(CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER))"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", required=True)
    ap.add_argument("--import-file")
    ap.add_argument("--sites", default="", help="comma-separated site numbers for the dashboard")
    ap.add_argument("--code", required=True, help="the indicator of the rollup")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()

    path = a.values + ".duckdb"
    for stale in (path, path + ".wal"):
        if os.path.exists(stale):
            os.remove(stale)
    con = duckdb.connect(path)
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    out = {"version": duckdb.__version__}

    t = time.perf_counter()
    con.execute(
        "CREATE TABLE v AS SELECT * FROM read_csv(?, header = true, columns = {"
        "'site': 'INTEGER', 'indicator': 'VARCHAR', 'period': 'VARCHAR', "
        "'subgroup': 'VARCHAR', 'value': 'DECIMAL(18,6)'})",
        [a.values],
    )
    # An empty CSV field reads as NULL: the total's subgroup is ''.
    con.execute("UPDATE v SET subgroup = '' WHERE subgroup IS NULL")
    con.execute("CHECKPOINT")
    out["load_s"] = time.perf_counter() - t
    out["rows"] = con.execute("SELECT count(*) FROM v").fetchone()[0]

    # The dashboard: one site's totals of every indicator and period.
    sites = [int(s) for s in a.sites.split(",") if s.strip()]
    dash_q = f"""
        CREATE OR REPLACE TEMP TABLE d AS
        SELECT indicator, period, {TOTAL} AS total
        FROM v WHERE site = ? GROUP BY indicator, period
    """
    times = []
    dash_sum = Decimal(0)
    dash_n = 0
    for i, site in enumerate(sites):
        t = time.perf_counter()
        con.execute(dash_q, [site])
        took = time.perf_counter() - t
        if i > 0 or len(sites) == 1:  # the first one warms up
            times.append(took)
        n, s = con.execute("SELECT count(*), sum(total) FROM d").fetchone()
        dash_n += n
        dash_sum += Decimal(s or 0)
    if times:
        out["dashboard"] = {
            "samples": len(times),
            "p50_ms": 1000 * percentile(times, 0.50),
            "p95_ms": 1000 * percentile(times, 0.95),
            "checksum": f"n={dash_n} sum={canon(dash_sum)}",
        }

    # The rollup: per site and period, then the network per period.
    per_site = f"""
        CREATE OR REPLACE TEMP TABLE r AS
        SELECT site, period, {TOTAL} AS total
        FROM v WHERE indicator = ? GROUP BY site, period
    """
    network = "CREATE OR REPLACE TEMP TABLE n AS SELECT period, sum(total) AS total FROM r GROUP BY period"
    times = []
    for _ in range(max(1, a.repeat)):
        t = time.perf_counter()
        con.execute(per_site, [a.code])
        con.execute(network)
        times.append(time.perf_counter() - t)
    n, s, w = con.execute(
        f"SELECT count(*), sum(total), sum(total * {month_index()}) FROM r"
    ).fetchone()
    ns = con.execute("SELECT sum(total) FROM n").fetchone()[0]
    out["rollup"] = {
        "median_ms": 1000 * statistics.median(times),
        "best_ms": 1000 * min(times),
        "checksum": f"sites×periods={n} sum={canon(s)} weighted={canon(w)} network={canon(ns)}",
    }

    # The same rollup scanning Parquet instead of the in-memory table.
    try:
        pq = a.values + ".parquet"
        con.execute(f"COPY v TO '{pq}' (FORMAT parquet)")
        times = []
        for _ in range(max(1, a.repeat)):
            t = time.perf_counter()
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE rp AS SELECT site, period, {TOTAL} AS total "
                f"FROM read_parquet('{pq}') WHERE indicator = ? GROUP BY site, period",
                [a.code],
            )
            con.execute("CREATE OR REPLACE TEMP TABLE np AS SELECT period, sum(total) AS total FROM rp GROUP BY period")
            times.append(time.perf_counter() - t)
        out["rollup_parquet"] = {"median_ms": 1000 * statistics.median(times)}
    except duckdb.Error as e:  # pragma: no cover
        out["rollup_parquet"] = {"error": str(e)}

    # The import file read into a table.
    if a.import_file:
        t = time.perf_counter()
        con.execute("CREATE TABLE imp AS SELECT * FROM read_csv(?, header = true)", [a.import_file])
        took = time.perf_counter() - t
        rows = con.execute("SELECT count(*) FROM imp").fetchone()[0]
        out["import"] = {"rows": rows, "seconds": took, "rows_per_s": rows / took if took else 0}

    con.close()
    for done in (path, path + ".wal", a.values + ".parquet"):
        if os.path.exists(done):
            os.remove(done)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
