#!/usr/bin/python3
"""Checks every NAME.ics in DIR against NAME.json with python3-icalendar.

    /usr/bin/python3 tests/integration/ical_check.py DIR

The expectations are those of ical_check.js (see there). Times are checked
twice: as icalendar decodes them (TZID looked up by name in pytz), and
through the calendar's own VTIMEZONE (Timezone.to_tz()), so a VTIMEZONE
with wrong rules fails even when the name is right. RRULEs are expanded
with dateutil in local time and localised with the VTIMEZONE.
Exit status 1 if any check fails, 2 on usage errors.
"""
import json
import os
import re
import sys
from datetime import date, datetime, timedelta, timezone

import dateutil.rrule
import icalendar

UTC = timezone.utc
failures = 0


def fail(name, msg):
    global failures
    failures += 1
    print("FAIL %s: %s" % (name, msg), file=sys.stderr)


def eq(name, what, got, want):
    if got != want:
        fail(name, "%s: got %r, want %r" % (what, got, want))


def iso_utc(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def duration(s):
    m = re.fullmatch(r"([+-]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", s)
    if not m:
        raise ValueError("bad duration in expectations: " + s)
    sign = -1 if m.group(1) == "-" else 1
    w, d, h, mi, sec = (int(x) if x else 0 for x in m.groups()[1:])
    return sign * timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=sec)


def text(v):
    return None if v is None else str(v)


def check_person(name, what, prop, want):
    if prop is None:
        fail(name, "no " + what)
        return
    eq(name, what + " value", str(prop), "mailto:" + want["email"])
    eq(name, what + " CN", text(prop.params.get("CN")), want.get("cn"))


def check_time(name, what, prop, want, ev, zones):
    if prop is None:
        fail(name, what + " missing")
        return
    v = prop.dt
    if ev["all_day"]:
        eq(name, what + " is a date", type(v), date)
        eq(name, what, v.isoformat(), want)
        eq(name, what + " VALUE", prop.params.get("VALUE"), "DATE")
        return
    if not isinstance(v, datetime) or v.tzinfo is None:
        fail(name, "%s is not an aware date-time: %r" % (what, v))
        return
    eq(name, what + " UTC", v.astimezone(UTC), iso_utc(want))
    tzid = ev.get("tzid")
    if tzid and tzid != "UTC":
        eq(name, what + " TZID", prop.params.get("TZID"), tzid)
        vtz = zones.get(tzid)
        if vtz is not None:
            local = vtz.localize(v.replace(tzinfo=None))
            eq(name, what + " UTC via VTIMEZONE", local.astimezone(UTC), iso_utc(want))


def check_lines(name, raw):
    if not raw.endswith(b"\r\n"):
        fail(name, "does not end with CRLF")
    for i, line in enumerate(raw.split(b"\r\n")):
        if b"\n" in line or b"\r" in line:
            fail(name, "line %d has a bare CR or LF" % (i + 1))
        if len(line) > 75:
            fail(name, "line %d has %d octets (> 75)" % (i + 1, len(line)))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            fail(name, "line %d is not valid UTF-8 on its own" % (i + 1))


def check_file(d, base):
    name = base + ".ics"
    before = failures
    with open(os.path.join(d, name), "rb") as f:
        raw = f.read()
    with open(os.path.join(d, base + ".json"), encoding="utf-8") as f:
        want = json.load(f)
    check_lines(name, raw)
    if b"freeassociation" in raw.lower():
        fail(name, 'contains the libical "freeassociation" TZID prefix')

    cal = icalendar.Calendar.from_ical(raw)
    eq(name, "VERSION", text(cal.get("VERSION")), "2.0")
    eq(name, "METHOD", text(cal.get("METHOD")), want["method"])
    if not text(cal.get("PRODID", "")).startswith("-//rundbrief//"):
        fail(name, "PRODID is not ours")

    zones = {}
    for vtz in cal.walk("VTIMEZONE"):
        tzid = str(vtz["TZID"])
        if tzid in zones:
            fail(name, "two VTIMEZONEs for " + tzid)
        zones[tzid] = vtz.to_tz()
        for sub in ("STANDARD", "DAYLIGHT"):
            if len([c for c in vtz.subcomponents if c.name == sub]) > 1:
                fail(name, "VTIMEZONE %s has more than one %s" % (tzid, sub))
    wanted = sorted({e["tzid"] for e in want["events"]
                     if not e["all_day"] and e.get("tzid") and e["tzid"] != "UTC"})
    eq(name, "VTIMEZONE TZIDs", sorted(zones), wanted)

    vevents = cal.walk("VEVENT")
    eq(name, "number of VEVENTs", len(vevents), len(want["events"]))
    for vev, ev in zip(vevents, want["events"]):
        eq(name, "UID", text(vev.get("UID")), ev["uid"])
        eq(name, "SEQUENCE", int(vev.get("SEQUENCE", 0)), ev["sequence"])
        eq(name, "STATUS", text(vev.get("STATUS")), ev["status"])
        eq(name, "SUMMARY", text(vev.get("SUMMARY")), ev["summary"])
        eq(name, "DESCRIPTION", text(vev.get("DESCRIPTION")), ev["description"])
        eq(name, "LOCATION", text(vev.get("LOCATION")), ev["location"])
        eq(name, "URL", text(vev.get("URL")), ev["url"])
        stamp = vev.get("DTSTAMP")
        if stamp is None or stamp.dt.utcoffset() != timedelta(0):
            fail(name, "DTSTAMP missing or not UTC")
        check_person(name, "ORGANIZER", vev.get("ORGANIZER"), want["organizer"])
        atts = vev.get("ATTENDEE")
        atts = [] if atts is None else (atts if isinstance(atts, list) else [atts])
        if ev["attendee"]:
            eq(name, "number of ATTENDEEs", len(atts), 1)
            if atts:
                check_person(name, "ATTENDEE", atts[0], ev["attendee"])
                eq(name, "ATTENDEE ROLE", atts[0].params.get("ROLE"), "REQ-PARTICIPANT")
                eq(name, "ATTENDEE PARTSTAT", atts[0].params.get("PARTSTAT"), "NEEDS-ACTION")
        else:
            eq(name, "number of ATTENDEEs", len(atts), 0)
        check_time(name, "DTSTART", vev.get("DTSTART"), ev["start"], ev, zones)
        check_time(name, "DTEND", vev.get("DTEND"), ev["end"], ev, zones)

        alarms = [c for c in vev.subcomponents if c.name == "VALARM"]
        if ev["alarm"]:
            eq(name, "number of VALARMs", len(alarms), 1)
            if alarms:
                eq(name, "VALARM ACTION", text(alarms[0].get("ACTION")), "DISPLAY")
                eq(name, "VALARM TRIGGER", alarms[0]["TRIGGER"].dt, duration(ev["alarm"]))
        else:
            eq(name, "number of VALARMs", len(alarms), 0)

        if "occurrences" in ev:
            rule = vev.get("RRULE")
            if rule is None:
                fail(name, "no RRULE")
                continue
            start = vev["DTSTART"].dt
            if ev["all_day"]:
                rr = dateutil.rrule.rrulestr(rule.to_ical().decode(),
                                             dtstart=datetime.combine(start, datetime.min.time()))
                got = [o.date().isoformat() for o in rr[:len(ev["occurrences"])]]
            else:
                tz = zones.get(ev["tzid"])
                if tz is None:
                    fail(name, "no VTIMEZONE to expand the RRULE in")
                    continue
                # Expand in local wall-clock time, then localise each.
                naive = start.replace(tzinfo=None)
                rr = dateutil.rrule.rrulestr(rule.to_ical().decode(), dtstart=naive,
                                             ignoretz=True)
                got = [tz.localize(o).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                       for o in rr[:len(ev["occurrences"])]]
            eq(name, "first occurrences", got, ev["occurrences"])
        elif "RRULE" in vev:
            fail(name, "unexpected RRULE")
    if failures == before:
        print("ok %s (python-icalendar %s)" % (name, icalendar.__version__))


def main():
    if len(sys.argv) != 2:
        print("usage: ical_check.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".ics"))
    if not names:
        print("no .ics files in " + d, file=sys.stderr)
        return 2
    for base in names:
        try:
            check_file(d, base)
        except Exception as e:  # report and go on with the next file
            fail(base + ".ics", "exception: %r" % (e,))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
