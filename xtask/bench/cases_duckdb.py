#!/usr/bin/env python3
"""DuckDB's side of `backbone bench cases`.

The bench writes every generated status event to one CSV file
(`list,person,occurred_on,kind,chronic`) and every person's population facts
to another (`list,person,veteran,family,dob`). This script loads both into
DuckDB, builds the spells with window functions (a spell starts at each
`identified`; it ends at the first housed, inactive or no-longer-meets-criteria
event; its inflow type follows how the previous spell ended; it is chronic when
any of its identified or contact events is), and computes the Built for Zero
monthly report by the same rules as Backbone (`domain::cases::report`):

- actively homeless: spells that started on or before the month's last day
  and did not end on or before it;
- inflows by the month the spell started, outflows by the month it ended;
- the average days from identification to housing, rounded half up to one
  decimal, empty with no placement.

Populations: all, veterans and families by the person, chronic by the spell,
youth by age under 25 on the day the spell started.

It prints one JSON object: the rows of one list (each population) and of the
whole network, with the times of the one-list report (p50, p95 over repeats)
and of the network's. When the `duckdb` package is missing it prints
`{"missing": "duckdb"}` and exits 3.
"""

import argparse
import json
import statistics
import sys
import time

try:
    import duckdb
except ImportError:  # pragma: no cover - depends on the machine
    print(json.dumps({"missing": "duckdb"}))
    sys.exit(3)

ENDINGS = "('housed', 'inactive', 'no_longer_meets_criteria')"

POPULATIONS = {
    "all": "TRUE",
    "veterans": "p.veteran",
    "chronic": "s.chronic",
    "families": "p.family",
    "youth": """(p.dob IS NOT NULL AND (year(s.start) - year(p.dob)
        - CASE WHEN month(s.start) * 100 + day(s.start) < month(p.dob) * 100 + day(p.dob)
          THEN 1 ELSE 0 END) < 25)""",
}


def tenths(total, count):
    """Backbone's `Tenths::mean`: total / count rounded half up to a tenth."""
    if not count:
        return ""
    q, r = divmod(total * 10, count)
    if 2 * r >= count:
        q += 1
    return f"{q // 10}.{q % 10}"


def months(first, last):
    y, m = first
    out = []
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def report(con, where_list, population, first, last):
    """The rows of `first` through `last` as Backbone's CSV writes them."""
    pop = POPULATIONS[population]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ss AS
            SELECT s.start, s.end_on, s.end_kind, s.inflow FROM s JOIN p USING (person)
            WHERE {where_list} AND {pop}"""
    )
    lo = f"DATE '{first[0]:04d}-{first[1]:02d}-01'"
    hi = f"DATE '{last[0]:04d}-{last[1]:02d}-01'"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE active AS
            SELECT strftime(m, '%Y-%m') AS month, count(ss.start) AS n
            FROM generate_series({lo}, {hi}, INTERVAL 1 MONTH) t(m)
            LEFT JOIN ss ON ss.start <= (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE
               AND (ss.end_on IS NULL OR ss.end_on > (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE)
            GROUP BY m"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE inflows AS
           SELECT strftime(start, '%Y-%m') AS month, inflow, count(*) AS n
           FROM ss GROUP BY ALL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE outflows AS
           SELECT strftime(end_on, '%Y-%m') AS month, end_kind, count(*) AS n,
                  sum(end_on - start) AS days
           FROM ss WHERE end_on IS NOT NULL GROUP BY ALL"""
    )
    active = dict(con.execute("SELECT month, n FROM active").fetchall())
    inflow = {(m, k): n for m, k, n in con.execute("SELECT * FROM inflows").fetchall()}
    outflow = {
        (m, k): (n, d) for m, k, n, d in con.execute("SELECT * FROM outflows").fetchall()
    }
    rows = []
    for y, m in months(first, last):
        key = f"{y:04d}-{m:02d}"
        placed, days = outflow.get((key, "housed"), (0, 0))
        rows.append(
            [
                key,
                str(active.get(key, 0)),
                str(inflow.get((key, "newly_identified"), 0)),
                str(inflow.get((key, "returned_from_housing"), 0)),
                str(inflow.get((key, "returned_from_inactive"), 0)),
                str(placed),
                str(outflow.get((key, "inactive"), (0, 0))[0]),
                str(outflow.get((key, "no_longer_meets_criteria"), (0, 0))[0]),
                tenths(int(days or 0), placed),
            ]
        )
    return rows


def percentile(times, q):
    s = sorted(times)
    return s[int((len(s) - 1) * q)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--people", required=True)
    ap.add_argument("--list", type=int, required=True, help="the list whose report is timed")
    ap.add_argument("--from", dest="first", required=True, help="YYYY-MM")
    ap.add_argument("--to", dest="last", required=True, help="YYYY-MM")
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    first = tuple(int(x) for x in a.first.split("-"))
    last = tuple(int(x) for x in a.last.split("-"))

    con = duckdb.connect()
    out = {"version": duckdb.__version__}
    t = time.perf_counter()
    con.execute(
        "CREATE TABLE e AS SELECT * FROM read_csv(?, header = true, columns = {"
        "'list': 'INTEGER', 'person': 'BIGINT', 'seq': 'INTEGER', 'occurred_on': 'DATE', "
        "'kind': 'VARCHAR', 'chronic': 'BOOLEAN'})",
        [a.events],
    )
    con.execute(
        "CREATE TABLE p AS SELECT * FROM read_csv(?, header = true, columns = {"
        "'list': 'INTEGER', 'person': 'BIGINT', 'veteran': 'BOOLEAN', "
        "'family': 'BOOLEAN', 'dob': 'DATE'})",
        [a.people],
    )
    out["load_s"] = time.perf_counter() - t
    out["events"] = con.execute("SELECT count(*) FROM e").fetchone()[0]

    # Spells, once (Backbone keeps them as an aggregate too).
    t = time.perf_counter()
    con.execute(
        f"""CREATE TABLE s AS
        WITH n AS (
            SELECT *, sum(CASE WHEN kind = 'identified' THEN 1 ELSE 0 END)
                OVER (PARTITION BY person ORDER BY seq ROWS UNBOUNDED PRECEDING) AS spell
            FROM e
        ), g AS (
            SELECT list, person, spell,
                min(occurred_on) FILTER (WHERE kind = 'identified') AS start,
                min(occurred_on) FILTER (WHERE kind IN {ENDINGS}) AS end_on,
                arg_min(kind, occurred_on) FILTER (WHERE kind IN {ENDINGS}) AS end_kind,
                coalesce(bool_or(chronic) FILTER (WHERE kind IN ('identified', 'contact')), FALSE)
                    AS chronic
            FROM n WHERE spell > 0 GROUP BY list, person, spell
        )
        SELECT g.*, CASE
            WHEN spell = 1 THEN 'newly_identified'
            WHEN lag(end_kind) OVER (PARTITION BY person ORDER BY spell) = 'housed'
                THEN 'returned_from_housing'
            ELSE 'returned_from_inactive' END AS inflow
        FROM g"""
    )
    out["spells_s"] = time.perf_counter() - t
    out["spells"] = con.execute("SELECT count(*) FROM s").fetchone()[0]

    where_list = f"s.list = {int(a.list)}"
    out["list"] = {pop: report(con, where_list, pop, first, last) for pop in POPULATIONS}
    times = []
    for _ in range(max(1, a.repeat)):
        t = time.perf_counter()
        report(con, where_list, "all", first, last)
        times.append(time.perf_counter() - t)
    out["list_ms"] = {"p50": 1000 * percentile(times, 0.5), "p95": 1000 * percentile(times, 0.95)}

    out["network"] = report(con, "TRUE", "all", first, last)
    times = []
    for _ in range(max(1, min(a.repeat, 5))):
        t = time.perf_counter()
        report(con, "TRUE", "all", first, last)
        times.append(time.perf_counter() - t)
    out["network_ms"] = 1000 * statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
