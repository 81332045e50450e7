// The ICS files against an independent parser (ical.js): over 12 months, the runs each one yields for every schedule
// listed run by run equal infra/core/schedule.ts's, DST included, in London, New York, Kolkata and UTC.
import ICAL from "ical.js";
import { cronOccurrences, parseScheduleExpression } from "../../../infra/core/schedule";
import { calendarFiles, ICS_DAYS } from "../../../scripts/lib/calendar-command";
import { schedulesOf, stackCalendar } from "../../../scripts/calendar/model";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dstPlans } from "./dst-stacks";

jest.setTimeout(120_000);

const FROM = new Date("2026-11-30T00:00:00Z"); // a Monday
const UNTIL = new Date(FROM.getTime() + ICS_DAYS * 86_400_000);
let planDir: string;
let files: Record<string, string>;

beforeAll(async () => {
  ({ planDir } = await dstPlans());
  files = calendarFiles(planDir, FROM);
});

/** Start instants of every VEVENT of one schedule, as ical.js reads them (TZID resolved through the VTIMEZONE). */
function parsedStarts(ics: string): Map<string, number[]> {
  const comp = new ICAL.Component(ICAL.parse(ics));
  for (const vtz of comp.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
  const out = new Map<string, number[]>();
  for (const v of comp.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(v);
    const schedule = event.uid.replace(/-\d{8}T\d{6}Z@.*$/, "");
    out.set(schedule, [...(out.get(schedule) ?? []), event.startDate.toJSDate().getTime()]);
  }
  return out;
}

function plan(stack: string) {
  return JSON.parse(readFileSync(join(planDir, `${stack}.json`), "utf8")).resources;
}

describe.each(["london", "newyork", "skillswap-prod", "mental-scribe-prod"])("%s.ics", (stack) => {
  it("yields, for each schedule listed run by run, exactly the runs Scheduler makes over 12 months", () => {
    const parsed = parsedStarts(files[`calendar/${stack}.ics`]!);
    const cal = stackCalendar(stack, plan(stack), FROM, UNTIL);
    const listed = new Set(cal.events.filter((e) => e.runs === 1).map((e) => e.schedule.name));
    const bursty = new Set(cal.events.filter((e) => e.runs > 1).map((e) => e.schedule.name));
    let compared = 0;
    for (const s of schedulesOf(stack, plan(stack))) {
      const p = parseScheduleExpression(s.expression);
      if (p.kind !== "cron" || !listed.has(s.name) || bursty.has(s.name)) continue;
      const expected = [...cronOccurrences(p, s.timezone, FROM, UNTIL)]
        .filter((o) => o.at && o.at >= FROM && o.at < UNTIL)
        .map((o) => o.at!.getTime());
      expect({ schedule: s.name, starts: parsed.get(s.name) ?? [] }).toEqual({
        schedule: s.name,
        starts: expected,
      });
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});

it("leaves out the run Scheduler skips in the spring-forward gap and runs the fall-back 01:30 once, at its first instant", () => {
  const london = parsedStarts(files["calendar/london.ics"]!);
  const newyork = parsedStarts(files["calendar/newyork.ics"]!);
  const sundays = (m: Map<string, number[]>, s: string) =>
    (m.get(s) ?? []).map((t) => new Date(t).toISOString());
  // Europe/London springs forward at 01:00 on 2027-03-28: 01:30 does not exist that day.
  expect(sundays(london, "london-reminder-sunday-check")).toContain("2027-03-21T01:30:00.000Z");
  expect(sundays(london, "london-reminder-sunday-check")).not.toContain("2027-03-28T00:30:00.000Z");
  expect(sundays(london, "london-reminder-sunday-check")).not.toContain("2027-03-28T01:30:00.000Z");
  expect(sundays(london, "london-reminder-sunday-check")).toContain("2027-04-04T00:30:00.000Z");
  // America/New_York springs forward at 02:00 on 2027-03-14 and falls back at 02:00 on 2027-11-07 (01:30 EDT first).
  expect(sundays(newyork, "newyork-reminder-sunday-check").filter((t) => t.startsWith("2027-03-14"))).toEqual(
    [],
  );
  expect(sundays(newyork, "newyork-reminder-fall-back").filter((t) => t.startsWith("2027-11-07"))).toEqual([
    "2027-11-07T05:30:00.000Z",
  ]);
  // The follow-up runs 7 days after each quarterly reminder, at the same local time (BST in July).
  expect(sundays(london, "london-reminder-quarterly-followup")).toEqual([
    "2027-01-08T09:00:00.000Z",
    "2027-04-08T08:00:00.000Z",
    "2027-07-08T08:00:00.000Z",
    "2027-10-08T08:00:00.000Z",
  ]);
});

it("gives every event a unique, stable UID and one VTIMEZONE per TZID used", () => {
  const ics = files["calendar/london.ics"]!;
  const comp = new ICAL.Component(ICAL.parse(ics));
  const uids = comp.getAllSubcomponents("vevent").map((v) => String(v.getFirstPropertyValue("uid")));
  expect(new Set(uids).size).toBe(uids.length);
  const tzids = comp.getAllSubcomponents("vtimezone").map((v) => v.getFirstPropertyValue("tzid"));
  const used = new Set(
    comp
      .getAllSubcomponents("vevent")
      .map((v) => v.getFirstProperty("dtstart")?.getParameter("tzid"))
      .filter(Boolean),
  );
  expect(tzids.sort()).toEqual([...used].sort());
  expect(calendarFiles(planDir, FROM)["calendar/london.ics"]).toBe(ics);
});

it("gives every event of every committed calendar a unique UID (a schedule declared in two regions included)", () => {
  const dir = join(__dirname, "..", "..", "..", "docs", "calendar");
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".ics"))) {
    const uids = [
      ...readFileSync(join(dir, f), "utf8")
        .replace(/\r\n /g, "")
        .matchAll(/^UID:(.*)$/gm),
    ].map((m) => m[1]);
    expect({ file: f, duplicates: uids.length - new Set(uids).size }).toEqual({ file: f, duplicates: 0 });
  }
});
