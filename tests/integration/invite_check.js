#!/usr/bin/env node
// Reads iTIP calendar files with ical.js (the parser Thunderbird uses) and
// prints, as one JSON array on stdout, what ical.js understood of each:
//   node tests/integration/invite_check.js FILE.ics…
// test_invitations.py compares this with what python3-icalendar reads and
// with its expectations; this script judges nothing itself.
//
// Times: a date is {"date": "2026-12-15"}; a date-time is {"utc": UNIX,
// "tzid": TZID parameter or null, "is_utc": bool}. The VTIMEZONEs of the
// file are registered before anything is read, so timed values resolve
// through the calendar's own zone definitions, as in a mail client.
// Recurring events list their first 3 occurrences from ical.js's iterator.
// Exit status 2 on usage errors, 1 if a file cannot be read or parsed.
'use strict';

const fs = require('fs');
const path = require('path');
const ICALmod = require(process.env.RUNDBRIEF_SRC ?
  path.join(process.env.RUNDBRIEF_SRC, 'tests', 'node_modules', 'ical.js') :
  path.join(__dirname, '..', 'node_modules', 'ical.js'));
const ICAL = ICALmod.default || ICALmod;

const OCCURRENCES = 3;

function timeOf(prop) {
  if (!prop)
    return null;
  const t = prop.getFirstValue();
  if (t.isDate)
    return { date: t.toString() };
  return {
    utc: t.toUnixTime(),
    tzid: prop.getParameter('tzid') || null,
    is_utc: t.zone === ICAL.Timezone.utcTimezone,
  };
}

function person(prop) {
  return {
    value: prop.getFirstValue(),
    cn: prop.getParameter('cn') || null,
    role: prop.getParameter('role') || null,
    partstat: prop.getParameter('partstat') || null,
    rsvp: prop.getParameter('rsvp') || null,
  };
}

function occurrences(e) {
  if (!e.isRecurring())
    return null;
  const out = [];
  const it = e.iterator();
  for (let k = 0, n; k < OCCURRENCES && (n = it.next()); k++)
    out.push(n.isDate ? { date: n.toString() } : { utc: n.toUnixTime() });
  return out;
}

function readEvent(vev) {
  const e = new ICAL.Event(vev);
  const rrule = vev.getFirstPropertyValue('rrule');
  const org = vev.getFirstProperty('organizer');
  return {
    uid: e.uid,
    sequence: vev.hasProperty('sequence') ? e.sequence : null,
    status: vev.getFirstPropertyValue('status') || null,
    summary: e.summary || null,
    description: e.description || null,
    location: e.location || null,
    url: vev.getFirstPropertyValue('url') || null,
    dtstamp: timeOf(vev.getFirstProperty('dtstamp')),
    start: timeOf(vev.getFirstProperty('dtstart')),
    end: timeOf(vev.getFirstProperty('dtend')),
    organizer: org ? person(org) : null,
    attendees: vev.getAllProperties('attendee').map(person),
    alarms: vev.getAllSubcomponents('valarm').map(a => {
      const trig = a.getFirstPropertyValue('trigger');
      return {
        action: a.getFirstPropertyValue('action') || null,
        trigger: trig && typeof trig.toSeconds === 'function' ?
          trig.toSeconds() : null,
        description: a.getFirstPropertyValue('description') || null,
      };
    }),
    rrule: rrule ? rrule.toString() : null,
    occurrences: occurrences(e),
  };
}

function readFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  const cal = new ICAL.Component(ICAL.parse(text));
  ICAL.TimezoneService.reset();
  const vtimezones = cal.getAllSubcomponents('vtimezone').map(v => {
    ICAL.TimezoneService.register(v);
    return v.getFirstPropertyValue('tzid');
  });
  return {
    file,
    component: cal.name,
    version: cal.getFirstPropertyValue('version') || null,
    prodid: cal.getFirstPropertyValue('prodid') || null,
    method: cal.getFirstPropertyValue('method') || null,
    vtimezones,
    events: cal.getAllSubcomponents('vevent').map(readEvent),
  };
}

function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: invite_check.js FILE.ics…');
    process.exit(2);
  }
  const out = [];
  for (const f of files) {
    try {
      out.push(readFile(f));
    } catch (e) {
      console.error(`${f}: ${e.stack || e}`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
