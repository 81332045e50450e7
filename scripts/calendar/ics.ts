// RFC 5545 calendar of one stack with ical-generator (maintained, typed, emits a VTIMEZONE per TZID through a
// generator), VTIMEZONEs from timezones-ical-library; one VEVENT per run Scheduler makes, with a stable UID.
import { ICalCalendar } from "ical-generator";
import { DateTime } from "luxon";
import { tzlib_get_ical_block } from "timezones-ical-library";
import { localTimeInstants } from "../../infra/core/schedule";
import type { CalendarEvent, StackCalendar } from "./model";

const LABEL = { reminder: "reminder", window: "window", job: "job" } as const;

/** A stable UID: the schedule's physical name and the run's UTC start (a run that moves gets a new UID). */
export function uidOf(e: CalendarEvent): string {
  const at = DateTime.fromJSDate(e.start!, { zone: "UTC" }).toFormat("yyyyLLdd'T'HHmmss'Z'");
  return `${e.schedule.name}-${at}@${e.schedule.stack}.maintenance-stack`;
}

function summaryOf(e: CalendarEvent): string {
  const runs = e.runs > 1 ? ` (${e.runs} runs)` : "";
  return `[${LABEL[e.schedule.kind]}] ${e.schedule.name}${runs}`;
}

function ambiguous(e: CalendarEvent): boolean {
  const t = DateTime.fromJSDate(e.start!, { zone: e.schedule.timezone });
  return localTimeInstants(e.schedule.timezone, t.year, t.month, t.day, t.hour, t.minute).length > 1;
}

/** The VTIMEZONE of an IANA zone from timezones-ical-library (it returns an error string for a zone it lacks). */
function vtimezone(zone: string): string {
  const block = tzlib_get_ical_block(zone);
  if (!Array.isArray(block) || !block[0]) throw new Error(`no VTIMEZONE for ${zone}: ${String(block)}`);
  return block[0];
}

/**
 * The stack's calendar as ICS text. Skipped runs (a local time in a spring-forward gap) are left out: Scheduler does
 * not run them, whereas RFC 5545 would move such an instance to after the gap. DTSTAMP is the calendar's start, so
 * the file is byte-stable for one plan and one period.
 */
export function renderIcs(cal: StackCalendar, from: Date): string {
  const ical = new ICalCalendar({
    prodId: { company: "maintenance-stack", product: "calendar", language: "EN" },
    name: `${cal.stack} maintenance`,
    description: `What EventBridge Scheduler runs for ${cal.stack}, from its recorded plan (plan/${cal.stack}.json).`,
  });
  // No calendar-wide zone (X-WR-TIMEZONE would turn the UTC times below into floating ones); the generator adds
  // a VTIMEZONE for each event's TZID.
  ical.timezone({ name: null, generator: vtimezone });
  for (const e of cal.events) {
    if (!e.start || !e.end) continue;
    // A local time of the fall-back hour happens twice; parsers disagree on which one a TZID time means (RFC 5545
    // says the first, ical.js takes the second), so such a run is written in UTC.
    const zone = ambiguous(e) || e.schedule.timezone === "UTC" ? "UTC" : e.schedule.timezone;
    ical.createEvent({
      id: uidOf(e),
      stamp: DateTime.fromJSDate(from, { zone: "UTC" }),
      start: DateTime.fromJSDate(e.start, { zone }),
      end: DateTime.fromJSDate(e.end, { zone }),
      ...(zone === "UTC" ? {} : { timezone: zone }),
      summary: summaryOf(e),
      description: [
        e.schedule.description,
        `${e.schedule.expression} ${zone}`,
        ...(e.overlaps.length ? [`May overlap: ${e.overlaps.join(", ")}`] : []),
      ].join("\n"),
      categories: [{ name: e.schedule.kind }],
    });
  }
  return ical.toString();
}
