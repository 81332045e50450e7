// The window crons fire once a minute for exactly the window's minutes, checked against cron-parser as an oracle.
import { CronExpressionParser } from "cron-parser";
import fc from "fast-check";
import { windowCrons } from "../../../infra/service/maintenance-windows";

/** Minutes of the day (UTC) at which the union of `crons` fires on Sunday 2027-01-03, per cron-parser. */
function firingMinutes(crons: string[]): number[] {
  const minutes = new Set<number>();
  for (const c of crons) {
    const [min, hour, , month, dow] = c.slice(5, -1).split(" ");
    // AWS: `min hour dom month dow year` with `?`; cron-parser: `min hour dom month dow`.
    const it = CronExpressionParser.parse(`${min} ${hour} * ${month} ${dow}`, {
      currentDate: new Date("2027-01-02T23:59:00Z"),
      endDate: new Date("2027-01-03T23:59:59Z"),
      tz: "UTC",
    });
    while (it.hasNext()) {
      const d = it.next().toDate();
      minutes.add(d.getUTCHours() * 60 + d.getUTCMinutes());
    }
  }
  return [...minutes].sort((a, b) => a - b);
}

/** Minutes (from the first day's 00:00 UTC) at which the union of `crons` fires between `from` and `to`. */
function firingMinutesFrom(crons: string[], from: string, to: string): number[] {
  const origin = Date.parse(from) + 60_000;
  const minutes = new Set<number>();
  for (const c of crons) {
    const [min, hour, , month, dow] = c.slice(5, -1).split(" ");
    const it = CronExpressionParser.parse(`${min} ${hour} * ${month} ${dow}`, {
      currentDate: new Date(from),
      endDate: new Date(to),
      tz: "UTC",
    });
    while (it.hasNext()) minutes.add((it.next().toDate().getTime() - origin) / 60_000);
  }
  return [...minutes].sort((a, b) => a - b);
}

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("maintenance window crons", () => {
  it.each([
    ["02:00", "04:00", ["cron(* 2-3 ? * SUN *)"]],
    ["02:00", "06:00", ["cron(* 2-5 ? * SUN *)"]],
    ["02:00", "03:00", ["cron(* 2 ? * SUN *)"]],
    ["02:30", "04:15", ["cron(30-59 2 ? * SUN *)", "cron(* 3 ? * SUN *)", "cron(0-14 4 ? * SUN *)"]],
    ["02:10", "02:40", ["cron(10-39 2 ? * SUN *)"]],
    ["23:00", "23:59", ["cron(0-58 23 ? * SUN *)"]],
  ])("%s-%s -> %j", (start, end, expected) => {
    expect(windowCrons({ day: "SUN", start, end })).toEqual(expected);
  });

  it("keeps nth-weekday days as EventBridge writes them", () => {
    expect(windowCrons({ day: "SUN#1", start: "02:00", end: "06:00" })).toEqual(["cron(* 2-5 ? * SUN#1 *)"]);
  });

  it.each([
    ["SAT", "23:00", "01:00", ["cron(* 23 ? * SAT *)", "cron(* 0 ? * SUN *)"]],
    ["SUN", "22:30", "00:15", ["cron(30-59 22 ? * SUN *)", "cron(* 23 ? * SUN *)", "cron(0-14 0 ? * MON *)"]],
    ["FRI", "23:00", "00:00", ["cron(* 23 ? * FRI *)"]],
    ["SUN", "23:00", "24:00", ["cron(* 23 ? * SUN *)"]],
  ])("%s %s-%s crosses midnight into the next day: %j", (day, start, end, expected) => {
    expect(windowCrons({ day, start, end })).toEqual(expected);
  });

  it("covers every minute of SAT 23:00-01:00, 23:59 included, and nothing else (cron-parser as oracle)", () => {
    const crons = windowCrons({ day: "SAT", start: "23:00", end: "01:00" });
    // Saturday 2027-01-02 and Sunday 2027-01-03, minutes from Saturday 00:00 UTC.
    expect(firingMinutesFrom(crons, "2027-01-01T23:59:00Z", "2027-01-03T23:59:59Z")).toEqual(
      range(23 * 60, 25 * 60),
    );
  });

  it("refuses a window of no length, and midnight crossings on nth or last weekdays", () => {
    expect(() => windowCrons({ day: "SUN", start: "04:00", end: "04:00" })).toThrow(/must differ from start/);
    expect(() => windowCrons({ day: "SUN#1", start: "23:00", end: "01:00" })).toThrow(
      /crosses midnight, which only a plain day/,
    );
  });

  it("fires on exactly the window's minutes for any window (cron-parser as oracle)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1438 }), fc.integer({ min: 1, max: 600 }), (start, length) => {
        const end = Math.min(start + length, 1439);
        fc.pre(end > start);
        const crons = windowCrons({ day: "SUN", start: hhmm(start), end: hhmm(end) });
        expect(firingMinutes(crons)).toEqual(range(start, end));
      }),
      { numRuns: 200 },
    );
  });

  it("fires on exactly the window's minutes when it ends at 24:00 or on the next day (cron-parser as oracle)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1439 }), (start, length) => {
        const end = start + length;
        fc.pre(end >= 1440);
        const crons = windowCrons({
          day: "SAT",
          start: hhmm(start),
          end: hhmm(end === 1440 ? 1440 : end - 1440),
        });
        expect(firingMinutesFrom(crons, "2027-01-01T23:59:00Z", "2027-01-03T23:59:59Z")).toEqual(
          range(start, end),
        );
      }),
      { numRuns: 50 },
    );
  });
});
