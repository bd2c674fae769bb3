// Expands the events of an iCalendar feed with ical.js, Thunderbird's engine, reading every
// TZID from the feed's own VTIMEZONEs (ical.js has no zone database of its own), and prints
// each occurrence as [UID, start, end] in Unix seconds, one JSON list.
//
// Usage: node expand.mjs <last year> < feed.ics   (occurrences starting before that year ends)
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const lastYear = Number(process.argv[2]);
const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
// Each master with the overrides of its own UID: left to itself, ical.js relates every
// VEVENT with a RECURRENCE-ID in the calendar to every master (Thunderbird groups by UID).
const byUid = new Map();
for (const component of root.getAllSubcomponents("vevent")) {
  const uid = component.getFirstPropertyValue("uid");
  if (!byUid.has(uid)) byUid.set(uid, { master: null, exceptions: [] });
  const entry = byUid.get(uid);
  if (component.hasProperty("recurrence-id")) entry.exceptions.push(component);
  else entry.master = component;
}
const masters = [...byUid.values()].map(
  ({ master, exceptions }) => new ICAL.Event(master, { strictExceptions: true, exceptions }),
);

const found = [];
for (const event of masters) {
  if (!event.isRecurring()) {
    found.push([event.uid, event.startDate.toUnixTime(), event.endDate.toUnixTime()]);
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next && next.year <= lastYear; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    found.push([event.uid, details.startDate.toUnixTime(), details.endDate.toUnixTime()]);
  }
}
process.stdout.write(JSON.stringify(found));
