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

  it("rejects an end before the start", () => {
    expect(() => windowCrons({ day: "SUN", start: "04:00", end: "02:00" })).toThrow(
      /end 02:00 must be after start 04:00/,
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
});
