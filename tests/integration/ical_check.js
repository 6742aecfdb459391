#!/usr/bin/env node
// Checks every NAME.ics in DIR against NAME.json with ical.js, the parser
// Thunderbird uses: node tests/integration/ical_check.js DIR
//
// NAME.json: {"method": "REQUEST", "organizer": {"email", "cn"},
//   "events": [{"uid", "sequence", "status", "summary", "description",
//   "location", "url", "tzid", "all_day", "start", "end", "attendee":
//   {"email", "cn"} | null, "alarm": "-P1D" | null, "occurrences": [...]}]}
// Timed start/end/occurrences are UTC instants ("2026-10-25T09:00:00Z"),
// all-day ones dates ("2026-12-15"; end exclusive). Exit status 1 if any
// check fails, 2 on usage errors.
'use strict';

const fs = require('fs');
const path = require('path');
const ICALmod = require(path.join(__dirname, '..', 'node_modules', 'ical.js'));
const ICAL = ICALmod.default || ICALmod;

let failures = 0;

function fail(file, msg) {
  failures++;
  console.error(`FAIL ${file}: ${msg}`);
}

function eq(file, what, got, want) {
  if (got !== want)
    fail(file, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function unix(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new Error(`bad ISO time in expectations: ${iso}`);
  return ms / 1000;
}

function isoOf(t) {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

function checkLines(file, raw) {
  const text = raw.toString('latin1');
  if (!text.endsWith('\r\n'))
    fail(file, 'does not end with CRLF');
  const lines = raw.toString('binary').split('\r\n');
  lines.forEach((l, i) => {
    if (l.includes('\n') || l.includes('\r'))
      fail(file, `line ${i + 1} has a bare CR or LF`);
    const octets = Buffer.from(l, 'binary');
    if (octets.length > 75)
      fail(file, `line ${i + 1} has ${octets.length} octets (> 75)`);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(octets);
    } catch (e) {
      fail(file, `line ${i + 1} is not valid UTF-8 on its own (fold inside a character)`);
    }
  });
}

function checkPerson(file, what, prop, want) {
  if (!prop) {
    fail(file, `no ${what}`);
    return;
  }
  eq(file, `${what} value`, prop.getFirstValue(), `mailto:${want.email}`);
  eq(file, `${what} CN`, prop.getParameter('cn') || null, want.cn || null);
}

function checkTime(file, what, t, want, ev) {
  if (!t) {
    fail(file, `${what} missing`);
    return;
  }
  if (ev.all_day) {
    eq(file, `${what} is a date`, t.isDate, true);
    eq(file, what, t.toString(), want);
    return;
  }
  eq(file, `${what} is a date-time`, t.isDate, false);
  if (ev.tzid && ev.tzid !== 'UTC') {
    if (!t.zone || t.zone.tzid !== ev.tzid)
      fail(file, `${what} zone: got ${t.zone && t.zone.tzid}, want ${ev.tzid}`);
  }
  eq(file, `${what} UTC`, isoOf(t.toUnixTime()), isoOf(unix(want)));
}

function checkFile(dir, name) {
  const file = name + '.ics';
  const before = failures;
  const raw = fs.readFileSync(path.join(dir, file));
  const want = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const text = raw.toString('utf8');

  checkLines(file, raw);
  if (/freeassociation/i.test(text))
    fail(file, 'contains the libical "freeassociation" TZID prefix');

  ICAL.TimezoneService.reset();
  const cal = new ICAL.Component(ICAL.parse(text));
  eq(file, 'component', cal.name, 'vcalendar');
  eq(file, 'VERSION', cal.getFirstPropertyValue('version'), '2.0');
  if (!/^-\/\/rundbrief\/\//.test(cal.getFirstPropertyValue('prodid') || ''))
    fail(file, 'PRODID is not ours');
  eq(file, 'METHOD', cal.getFirstPropertyValue('method'), want.method);

  // Every zone used must have exactly one VTIMEZONE, named exactly so.
  const vtzs = cal.getAllSubcomponents('vtimezone');
  const zonesWanted = [...new Set(want.events.filter(e => !e.all_day && e.tzid && e.tzid !== 'UTC')
    .map(e => e.tzid))].sort();
  const zonesGot = vtzs.map(v => v.getFirstPropertyValue('tzid')).sort();
  eq(file, 'VTIMEZONE TZIDs', JSON.stringify(zonesGot), JSON.stringify(zonesWanted));
  for (const v of vtzs) {
    // Outlook wants at most one recurring STANDARD and one DAYLIGHT.
    if (v.getAllSubcomponents('standard').length > 1 || v.getAllSubcomponents('daylight').length > 1)
      fail(file, `VTIMEZONE ${v.getFirstPropertyValue('tzid')} has more than one STANDARD or DAYLIGHT`);
    ICAL.TimezoneService.register(v);
  }

  const vevents = cal.getAllSubcomponents('vevent');
  eq(file, 'number of VEVENTs', vevents.length, want.events.length);
  vevents.forEach((vev, i) => {
    const ev = want.events[i];
    if (!ev)
      return;
    const e = new ICAL.Event(vev);
    eq(file, 'UID', e.uid, ev.uid);
    eq(file, 'SEQUENCE', e.sequence, ev.sequence);
    eq(file, 'STATUS', vev.getFirstPropertyValue('status'), ev.status);
    eq(file, 'SUMMARY', e.summary, ev.summary);
    eq(file, 'DESCRIPTION', e.description || null, ev.description);
    eq(file, 'LOCATION', e.location || null, ev.location);
    eq(file, 'URL', vev.getFirstPropertyValue('url') || null, ev.url);
    if (!vev.getFirstPropertyValue('dtstamp') ||
        vev.getFirstPropertyValue('dtstamp').zone !== ICAL.Timezone.utcTimezone)
      fail(file, 'DTSTAMP missing or not UTC');
    checkPerson(file, 'ORGANIZER', vev.getFirstProperty('organizer'), want.organizer);
    const atts = vev.getAllProperties('attendee');
    if (ev.attendee) {
      eq(file, 'number of ATTENDEEs', atts.length, 1);
      checkPerson(file, 'ATTENDEE', atts[0], ev.attendee);
      if (atts[0]) {
        eq(file, 'ATTENDEE ROLE', atts[0].getParameter('role'), 'REQ-PARTICIPANT');
        eq(file, 'ATTENDEE PARTSTAT', atts[0].getParameter('partstat'), 'NEEDS-ACTION');
        if (want.method === 'REQUEST')
          eq(file, 'ATTENDEE RSVP', atts[0].getParameter('rsvp'), 'TRUE');
      }
    } else {
      eq(file, 'number of ATTENDEEs', atts.length, 0);
    }
    checkTime(file, 'DTSTART', e.startDate, ev.start, ev);
    checkTime(file, 'DTEND', e.endDate, ev.end, ev);

    const alarms = vev.getAllSubcomponents('valarm');
    if (ev.alarm) {
      eq(file, 'number of VALARMs', alarms.length, 1);
      if (alarms[0]) {
        eq(file, 'VALARM ACTION', alarms[0].getFirstPropertyValue('action'), 'DISPLAY');
        const trig = alarms[0].getFirstPropertyValue('trigger');
        eq(file, 'VALARM TRIGGER', trig && trig.toString(), ev.alarm);
        if (!alarms[0].getFirstPropertyValue('description'))
          fail(file, 'VALARM without DESCRIPTION');
      }
    } else {
      eq(file, 'number of VALARMs', alarms.length, 0);
    }

    if (ev.occurrences) {
      eq(file, 'is recurring', e.isRecurring(), true);
      const it = e.iterator();
      ev.occurrences.forEach((o, k) => {
        const next = it.next();
        if (!next) {
          fail(file, `occurrence ${k + 1} missing`);
          return;
        }
        // Occurrence times carry the event's zone: compare as instants.
        if (ev.all_day)
          eq(file, `occurrence ${k + 1}`, next.toString(), o);
        else
          eq(file, `occurrence ${k + 1}`, isoOf(next.toUnixTime()), isoOf(unix(o)));
      });
    } else if (e.isRecurring()) {
      fail(file, 'unexpected RRULE');
    }
  });
  if (failures === before)
    console.log(`ok ${file} (ical.js)`);
}

function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: ical_check.js DIR');
    process.exit(2);
  }
  const names = fs.readdirSync(dir).filter(f => f.endsWith('.ics')).map(f => f.slice(0, -4)).sort();
  if (names.length === 0) {
    console.error(`no .ics files in ${dir}`);
    process.exit(2);
  }
  for (const n of names) {
    try {
      checkFile(dir, n);
    } catch (e) {
      fail(n + '.ics', `exception: ${e.stack || e}`);
    }
  }
  process.exit(failures ? 1 : 0);
}

main();
