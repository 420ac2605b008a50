"""Expand a Backbone calendar feed with standard libraries and print its occurrences.

Usage: python meetings_feed_check.py FEED.ics

Parses the feed with `icalendar`, checks that every VTIMEZONE and VEVENT has the
properties Backbone promises, expands each series' RRULE with dateutil (in the
IANA zone its TZID names, via zoneinfo), removes EXDATEs, applies RECURRENCE-ID
overrides, and prints JSON: {"starts": [...], "ends": [...], "exdates": [...]},
every instant in UTC as YYYY-MM-DDTHH:MM:SSZ, sorted. Cancelled single events
count as exdates. Also re-serialises the calendar and checks it reads back the same.
"""

import json
import sys
from datetime import timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoned(prop):
    """A DTSTART-like property as an aware datetime in the IANA zone of its TZID."""
    dt = prop.dt
    tzid = prop.params.get("TZID")
    assert tzid, f"{prop.to_ical()!r} has no TZID"
    return dt.replace(tzinfo=ZoneInfo(tzid))


def exdates(event):
    raw = event.get("EXDATE")
    if raw is None:
        return []
    props = raw if isinstance(raw, list) else [raw]
    out = []
    for p in props:
        tzid = p.params.get("TZID")
        assert tzid, "EXDATE without TZID"
        for d in p.dts:
            out.append(d.dt.replace(tzinfo=ZoneInfo(tzid)))
    return out


def main(path):
    text = open(path, "rb").read()
    cal = Calendar.from_ical(text)
    for key in ("VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME"):
        assert cal.get(key) is not None, f"VCALENDAR lacks {key}"
    tzids = set()
    for tz in cal.walk("VTIMEZONE"):
        tzids.add(str(tz["TZID"]))
        subs = [c for c in tz.subcomponents if c.name in ("STANDARD", "DAYLIGHT")]
        assert subs, f"VTIMEZONE {tz['TZID']} has no observance"
        for s in subs:
            for key in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                assert s.get(key) is not None, f"{s.name} lacks {key}"
    masters = {}
    overrides = {}
    singles = []
    for ev in cal.walk("VEVENT"):
        for key in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "STATUS"):
            assert ev.get(key) is not None, f"VEVENT lacks {key}"
        assert ev["DTSTART"].params.get("TZID") in tzids, "a TZID without its VTIMEZONE"
        uid = str(ev["UID"])
        if ev.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, {})[utc(zoned(ev["RECURRENCE-ID"]))] = ev
        elif ev.get("RRULE") is not None:
            masters[uid] = ev
        else:
            singles.append(ev)
    starts, ends, cancelled = [], [], []
    for uid, ev in masters.items():
        start = zoned(ev["DTSTART"])
        length = zoned(ev["DTEND"]) - start
        rule = ev["RRULE"].to_ical().decode()
        assert "UNTIL=" in rule and rule.split("UNTIL=")[1][:16].endswith("Z"), rule
        occ = list(rrulestr(rule, dtstart=start))
        ex = {utc(d) for d in exdates(ev)}
        generated = {utc(o) for o in occ}
        assert ex <= generated, f"EXDATEs outside the rule: {ex - generated}"
        cancelled.extend(sorted(ex))
        own = overrides.get(uid, {})
        assert set(own) <= generated, "RECURRENCE-ID outside the rule"
        for o in occ:
            key = utc(o)
            if key in ex:
                continue
            if key in own:
                ov = own[key]
                starts.append(utc(zoned(ov["DTSTART"])))
                ends.append(utc(zoned(ov["DTEND"])))
            else:
                starts.append(key)
                # Wall-clock length, as the zone's aware arithmetic gives.
                ends.append(utc(o + length))
    for ev in singles:
        if str(ev["STATUS"]) == "CANCELLED":
            cancelled.append(utc(zoned(ev["DTSTART"])))
            continue
        starts.append(utc(zoned(ev["DTSTART"])))
        ends.append(utc(zoned(ev["DTEND"])))
    # Round trip: serialise and read back the same events.
    again = Calendar.from_ical(cal.to_ical())
    assert len(list(again.walk("VEVENT"))) == len(list(cal.walk("VEVENT")))
    for a, b in zip(again.walk("VEVENT"), cal.walk("VEVENT")):
        for key in ("UID", "DTSTART", "DTEND", "RRULE", "RECURRENCE-ID", "SEQUENCE"):
            assert (a.get(key) is None) == (b.get(key) is None), key
            if a.get(key) is not None:
                assert a[key].to_ical() == b[key].to_ical(), key
        assert len(exdates(a)) == len(exdates(b))
    print(json.dumps({"starts": sorted(starts), "ends": sorted(ends), "exdates": sorted(cancelled)}))


if __name__ == "__main__":
    main(sys.argv[1])
