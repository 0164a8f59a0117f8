// The first N occurrences (UTC, ISO 8601) of every VEVENT in a calendar file, as Mozilla's ical.js reads them.
// Usage: node ical_occurrences.mjs <file.ics> <after, ISO UTC> <N>; prints {"<UID>": ["2027-03-30T17:00:00Z", ...]}.
// ical.js knows no IANA zones of its own: it uses the file's VTIMEZONE, which is what this checks.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const ICAL = (await import(require.resolve("ical.js"))).default;

const [file, after, count] = process.argv.slice(2);
const component = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
for (const vtimezone of component.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
}
const afterTime = Date.parse(after) / 1000;
const result = {};
for (const vevent of component.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  const iterator = event.iterator();
  const found = [];
  for (let next = iterator.next(); next && found.length < Number(count); next = iterator.next()) {
    const seconds = next.toUnixTime();
    if (seconds >= afterTime) found.push(new Date(seconds * 1000).toISOString().replace(".000Z", "Z"));
  }
  result[event.uid] = found;
}
process.stdout.write(JSON.stringify(result));
