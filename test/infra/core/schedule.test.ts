// EventBridge Scheduler semantics: grammar errors name the field, next runs honour DST (gap skipped, overlap once).
import { CronExpressionParser } from "cron-parser";
import fc from "fast-check";
import { DateTime } from "luxon";
import {
  cronOccurrences,
  cronRunCount,
  dstGapWarnings,
  isValidTimezone,
  localTimeInstants,
  maxIntervalSeconds,
  nextRuns,
  parseScheduleExpression,
  ScheduleExpressionError,
} from "../../../infra/core/schedule";

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe("parseScheduleExpression", () => {
  it.each([
    ["cron(0 2 * * * *)", /one of day-of-month and day-of-week must be "\?"/],
    ["cron(0 2 ? * ? *)", /one of day-of-month and day-of-week must be "\?"/],
    ["cron(0 2 * * ?)", /cron needs 6 fields .* got 5/],
    ["cron(0 2 * * ? * *)", /cron needs 6 fields .* got 7/],
    ["cron(60 2 * * ? *)", /minutes "60" is out of range 0-59/],
    ["cron(0 24 * * ? *)", /hours "24" is out of range 0-23/],
    ["cron(0 2 32 * ? *)", /day-of-month "32" is out of range 1-31/],
    ["cron(0 2 0 * ? *)", /day-of-month "0" is out of range 1-31/],
    ["cron(0 2 ? 13 MON *)", /month "13" is out of range 1-12/],
    ["cron(0 2 ? * 8 *)", /day-of-week "8" is out of range 1-7/],
    ["cron(0 2 ? * 0 *)", /day-of-week "0" is out of range 1-7/],
    ["cron(0 2 ? * 1#6 *)", /use day#n with n 1-5/],
    ["cron(0 2 ? * 1#0 *)", /use day#n with n 1-5/],
    ["cron(0 2 15# * ? *)", /# belongs to day-of-week/],
    ["cron(0 2 ? * MONW *)", /day-of-week "MONW" has "MONW", which is not a number or name/],
    ["cron(0 2 * * ? 1969)", /year "1969" is out of range 1970-2199/],
    ["cron(0 2 * * ? 2200)", /year "2200" is out of range 1970-2199/],
    ["cron(0 L * * ? *)", /hours "L" may not use L, W or #/],
    ["cron(0 ? * * ? *)", /hours "\?" may not be "\?"/],
    ["cron(0 5-2 * * ? *)", /hours "5-2" has a range 5-2 that runs backwards/],
    ["cron(0/0 2 * * ? *)", /step "0", which must be a positive number/],
    ["cron(0 2 * FOO ? *)", /month "FOO" has "FOO", which is not a number or name/],
    ["cron(0,,5 2 * * ? *)", /minutes "0,,5" has an empty list item/],
    ["rate(1 days)", /must use the singular: rate\(1 day\)/],
    ["rate(2 hour)", /must use the plural: rate\(2 hours\)/],
    ["rate(0 hours)", /rate value 0 must be a positive whole number/],
    ["rate(5 seconds)", /must be "<n> minute\(s\)\|hour\(s\)\|day\(s\)"/],
    ["0 2 * * ? *", /is not a schedule expression/],
    ["at(2027-02-30T10:00:00)", /is not a real date and time/],
    // A typo inside a number, a step, an L or # rule is refused, never read as a schedule that quietly never runs.
    ["cron(5a 2 * * ? *)", /minutes "5a" has "5a", which is not a number/],
    ["cron(a5 2 * * ? *)", /minutes "a5" has "a5", which is not a number/],
    ["cron(0/5x 2 * * ? *)", /has step "5x", which must be a positive number/],
    ["cron(0/x5 2 * * ? *)", /has step "x5", which must be a positive number/],
    ["cron(0 2 L-2W * ? *)", /day-of-month "L-2W" has "L-2W": L and W stand alone/],
    ["cron(0 2 5L-2 * ? *)", /day-of-month "5L-2" has "5L-2": L and W stand alone/],
    ["cron(0 2 ? * 1#2#3 *)", /day-of-week "1#2#3" has "1#2#3": use day#n with n 1-5/],
    ["cron(0 2 ? * SUN#15 *)", /day-of-week "SUN#15" has "SUN#15": use day#n with n 1-5/],
    ["rate(-5 minutes)", /rate "-5 minutes" must be "<n> minute\(s\)\|hour\(s\)\|day\(s\)"/],
    // AWS takes the expression as it is: anything around it (a YAML line's stray space) is refused here too.
    ["rate(1 hour) ", /is not a schedule expression/],
    [" rate(1 hour)", /is not a schedule expression/],
    ["cron(0 2 * * ? *) ", /is not a schedule expression/],
    ["xcron(0 2 * * ? *)", /is not a schedule expression/],
    ["at(2027-01-01T09:00:00) ", /is not a schedule expression/],
    [" at(2027-01-01T09:00:00)", /is not a schedule expression/],
  ])("rejects %s", (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expression)).toThrow(message);
  });

  // The whole message once per field: it says what is allowed, so a stack author can fix it without the AWS docs.
  it.each([
    ["cron(60 2 * * ? *)", 'minutes "60" is out of range 0-59; allowed: 0-59 with , - * /'],
    ["cron(a 2 * * ? *)", 'minutes "a" has "a", which is not a number; allowed: 0-59 with , - * /'],
    ["cron(0 24 * * ? *)", 'hours "24" is out of range 0-23; allowed: 0-23 with , - * /'],
    ["cron(0 2 32 * ? *)", 'day-of-month "32" is out of range 1-31; allowed: 1-31 with , - * ? / L W'],
    ["cron(0 2 ? 13 MON *)", 'month "13" is out of range 1-12; allowed: 1-12 or JAN-DEC with , - * /'],
    ["cron(0 2 ? * 8 *)", 'day-of-week "8" is out of range 1-7; allowed: 1-7 (SUN-SAT) with , - * ? / L #'],
    ["cron(0 2 * * ? 2200)", 'year "2200" is out of range 1970-2199; allowed: 1970-2199 with , - * /'],
    ["cron(0/5/2 2 * * ? *)", 'minutes "0/5/2" has more than one "/" in "0/5/2"; allowed: 0-59 with , - * /'],
    [
      "cron(0/x 2 * * ? *)",
      'minutes "0/x" has step "x", which must be a positive number; allowed: 0-59 with , - * /',
    ],
    ["cron(1-2-3 2 * * ? *)", 'minutes "1-2-3" has a malformed range "1-2-3"; allowed: 0-59 with , - * /'],
    [
      "cron(0 2 L-31 * ? *)",
      'day-of-month "L-31" has an L-offset above 30; allowed: 1-31 with , - * ? / L W',
    ],
    [
      "cron(0 2 L5 * ? *)",
      'day-of-month "L5" has "L5": L and W stand alone (L, L-3, 15W, LW) and # belongs to day-of-week; allowed: 1-31 with , - * ? / L W',
    ],
    [
      "cron(0 2 ? * 2W *)",
      'day-of-week "2W" has "2W": W belongs to day-of-month; allowed: 1-7 (SUN-SAT) with , - * ? / L #',
    ],
  ])("says what is wrong with %s and what is allowed", (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(new ScheduleExpressionError(message));
    // As `pulumi preview` prints it: the error's name says it is the schedule that is wrong.
    expect(() => parseScheduleExpression(expression)).toThrow(
      expect.objectContaining({ name: "ScheduleExpressionError" }),
    );
  });

  it.each(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])(
    "reads the month name %s as its month",
    (name) => {
      const parsed = parseScheduleExpression(`cron(0 2 1 ${name} ? *)`);
      const month =
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"].indexOf(name) +
        1;
      expect(parsed.kind === "cron" && [...parsed.months]).toEqual([month]);
    },
  );

  // schedule-shift (reminders) and the calendar read these fields: each rule lands in its own field, the rest empty.
  const dom = {
    any: false,
    days: new Set<number>(),
    last: false,
    lastOffset: 0,
    nearestWeekday: [],
    lastWeekday: false,
  };
  const dow = { any: false, days: new Set<number>(), lastOf: [], nth: [] };
  it.each([
    ["cron(0 2 ? * MON *)", { ...dom, any: true }, { ...dow, days: new Set([2]) }],
    [
      "cron(0 2 * * ? *)",
      { ...dom, days: new Set(Array.from({ length: 31 }, (_, i) => i + 1)) },
      { ...dow, any: true },
    ],
    [
      "cron(0 9 L-2,15W,3 * ? *)",
      { ...dom, days: new Set([3]), last: true, lastOffset: 2, nearestWeekday: [15] },
      { ...dow, any: true },
    ],
    ["cron(0 9 LW * ? *)", { ...dom, lastWeekday: true }, { ...dow, any: true }],
    ["cron(0 3 ? * FRIL,SUN#2 *)", { ...dom, any: true }, { ...dow, lastOf: [6], nth: [[1, 2]] }],
  ])("parses %s into the day fields schedule-shift reads", (expression, dayOfMonth, dayOfWeek) => {
    const parsed = parseScheduleExpression(expression);
    expect(
      parsed.kind === "cron" && { dayOfMonth: parsed.dayOfMonth, dayOfWeek: parsed.dayOfWeek },
    ).toStrictEqual({
      dayOfMonth,
      dayOfWeek,
    });
  });

  it("reads month names in any case, and never takes the L of JUL for the L rule", () => {
    const parsed = parseScheduleExpression("cron(0 2 1 jul,AUG ? *)");
    expect(parsed.kind === "cron" && [...parsed.months]).toEqual([7, 8]);
  });

  it.each([
    "cron(0 2 ? * 1#1 *)",
    "cron(0 2 ? * SUN#1 *)",
    "cron(0 9 L * ? *)",
    "cron(0 9 L-2 * ? *)",
    "cron(0 9 L-30 * ? *)", // the widest L-offset: the 1st of a 31-day month
    "cron(0 3 ? * 6L *)",
    "cron(0 0 15W * ? *)",
    "cron(0 0 LW * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0 0,12 * * ? *)",
    "cron(* 2-3 ? * SUN *)",
    "cron(0 2 ? JAN-MAR MON-FRI 2027-2030)",
    "rate(6 hours)",
    "rate(1 day)",
    "rate(1 minute)",
    "at(2027-03-28T02:30:00)",
  ])("accepts %s", (expression) => {
    expect(parseScheduleExpression(expression).expression).toBe(expression);
  });
});

describe("nextRuns", () => {
  it.each([
    // Europe/London springs forward 2027-03-28 01:00 -> 02:00: 01:30 does not exist that day and is skipped.
    [
      "cron(30 1 * * ? *)",
      "Europe/London",
      "2027-03-26T12:00:00Z",
      ["2027-03-27T01:30:00.000Z", "2027-03-29T00:30:00.000Z"],
    ],
    // ... falls back 2027-10-31 02:00 -> 01:00: 01:30 happens twice; it runs once, at the first (BST) instant.
    [
      "cron(30 1 * * ? *)",
      "Europe/London",
      "2027-10-30T12:00:00Z",
      ["2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"],
    ],
    // America/New_York springs forward 2027-03-14 02:00 -> 03:00.
    [
      "cron(30 2 * * ? *)",
      "America/New_York",
      "2027-03-13T00:00:00Z",
      ["2027-03-13T07:30:00.000Z", "2027-03-15T06:30:00.000Z"],
    ],
    [
      "cron(30 1 * * ? *)",
      "America/New_York",
      "2027-11-06T12:00:00Z",
      ["2027-11-07T05:30:00.000Z", "2027-11-08T06:30:00.000Z"],
    ],
    // Australia/Sydney springs forward in October (2027-10-03 02:00 -> 03:00) and falls back in April.
    [
      "cron(30 2 * * ? *)",
      "Australia/Sydney",
      "2027-10-01T12:00:00Z",
      ["2027-10-01T16:30:00.000Z", "2027-10-03T15:30:00.000Z"],
    ],
    // ... and falls back 2027-04-04 03:00 -> 02:00: 02:30 that day runs once, at the first (AEDT, +11) instant.
    [
      "cron(30 2 * * ? *)",
      "Australia/Sydney",
      "2027-04-03T00:00:00Z",
      ["2027-04-03T15:30:00.000Z", "2027-04-04T16:30:00.000Z"],
    ],
    // Asia/Kolkata: +05:30, no DST. SkillSwap's 02:00 IST backup is 20:30 UTC the day before.
    [
      "cron(0 2 * * ? *)",
      "Asia/Kolkata",
      "2027-03-27T00:00:00Z",
      ["2027-03-27T20:30:00.000Z", "2027-03-28T20:30:00.000Z"],
    ],
    [
      "cron(0 0,12 * * ? *)",
      "Asia/Kolkata",
      "2027-03-27T00:00:00Z",
      ["2027-03-27T06:30:00.000Z", "2027-03-27T18:30:00.000Z"],
    ],
    // nth weekday: first Sunday of the month (Mental Scribe's monthly window).
    [
      "cron(0 2 ? * 1#1 *)",
      "UTC",
      "2026-11-22T00:00:00Z",
      ["2026-12-06T02:00:00.000Z", "2027-01-03T02:00:00.000Z"],
    ],
    // last Friday, last day, last day minus 2.
    [
      "cron(0 3 ? * 6L *)",
      "UTC",
      "2027-03-01T00:00:00Z",
      ["2027-03-26T03:00:00.000Z", "2027-04-30T03:00:00.000Z"],
    ],
    // Months skipped up to December stay in the year: a December-only run from March is this December's.
    [
      "cron(0 3 1 12 ? *)",
      "UTC",
      "2027-03-01T00:00:00Z",
      ["2027-12-01T03:00:00.000Z", "2028-12-01T03:00:00.000Z"],
    ],
    // A day name before L reads like its number: FRIL is 6L.
    [
      "cron(0 3 ? * FRIL *)",
      "UTC",
      "2027-03-01T00:00:00Z",
      ["2027-03-26T03:00:00.000Z", "2027-04-30T03:00:00.000Z"],
    ],
    [
      "cron(0 9 L * ? *)",
      "UTC",
      "2027-02-01T00:00:00Z",
      ["2027-02-28T09:00:00.000Z", "2027-03-31T09:00:00.000Z"],
    ],
    [
      "cron(0 9 L * ? *)",
      "UTC",
      "2028-02-01T00:00:00Z",
      ["2028-02-29T09:00:00.000Z", "2028-03-31T09:00:00.000Z"],
    ],
    [
      "cron(0 9 L-2 * ? *)",
      "UTC",
      "2027-02-01T00:00:00Z",
      ["2027-02-26T09:00:00.000Z", "2027-03-29T09:00:00.000Z"],
    ],
    // W: 1W when the 1st is a Saturday is Monday the 3rd, never the previous month; 31W on a Sunday is Friday the 29th.
    [
      "cron(0 0 1W * ? *)",
      "UTC",
      "2027-04-20T00:00:00Z",
      ["2027-05-03T00:00:00.000Z", "2027-06-01T00:00:00.000Z"],
    ],
    [
      "cron(0 0 31W * ? *)",
      "UTC",
      "2027-10-01T00:00:00Z",
      ["2027-10-29T00:00:00.000Z", "2027-12-31T00:00:00.000Z"],
    ],
    [
      "cron(0 0 15W * ? *)",
      "UTC",
      "2027-05-01T00:00:00Z",
      ["2027-05-14T00:00:00.000Z", "2027-06-15T00:00:00.000Z"],
    ],
    // ... and 2027-08-15 is a Sunday: Monday the 16th.
    [
      "cron(0 0 15W * ? *)",
      "UTC",
      "2027-08-01T00:00:00Z",
      ["2027-08-16T00:00:00.000Z", "2027-09-15T00:00:00.000Z"],
    ],
    // LW: the last weekday; 2030-08-31 is a Saturday (Friday 30th), 2030-03-31 a Sunday (Friday 29th).
    [
      "cron(0 3 LW * ? *)",
      "UTC",
      "2030-08-01T00:00:00Z",
      ["2030-08-30T03:00:00.000Z", "2030-09-30T03:00:00.000Z"],
    ],
    [
      "cron(0 3 LW * ? *)",
      "UTC",
      "2030-03-01T00:00:00Z",
      ["2030-03-29T03:00:00.000Z", "2030-04-30T03:00:00.000Z"],
    ],
    // The first day is the local one: 02:30 UTC on March 5 is still March 4 (21:30) in New York, whose 22:00 run
    // of that day comes first.
    [
      "cron(0 22 * * ? *)",
      "America/New_York",
      "2030-03-05T02:30:00Z",
      ["2030-03-05T03:00:00.000Z", "2030-03-06T03:00:00.000Z"],
    ],
    // ... and in Asia/Kolkata, 20:00 UTC on March 4 is already March 5 (01:30): its 02:00 run is 30 minutes away.
    [
      "cron(0 2 * * ? *)",
      "Asia/Kolkata",
      "2030-03-04T20:00:00Z",
      ["2030-03-04T20:30:00.000Z", "2030-03-05T20:30:00.000Z"],
    ],
    [
      "rate(6 hours)",
      "Asia/Kolkata",
      "2027-01-01T00:00:00Z",
      ["2027-01-01T06:00:00.000Z", "2027-01-01T12:00:00.000Z"],
    ],
  ])("%s in %s from %s", (expression, tz, from, expected) => {
    expect(iso(nextRuns(expression, tz, new Date(from), 2))).toEqual(expected);
  });

  it("runs an at() once, in its timezone", () => {
    expect(
      iso(nextRuns("at(2027-01-01T09:00:00)", "Asia/Kolkata", new Date("2026-12-01T00:00:00Z"), 3)),
    ).toEqual(["2027-01-01T03:30:00.000Z"]);
  });

  it("has no next run for an at() that has passed, or that is the very instant given", () => {
    expect(nextRuns("at(2027-01-01T09:00:00)", "Asia/Kolkata", new Date("2027-01-01T03:30:00Z"), 3)).toEqual(
      [],
    );
    expect(nextRuns("at(2027-01-01T09:00:00)", "Asia/Kolkata", new Date("2027-06-01T00:00:00Z"), 3)).toEqual(
      [],
    );
    expect(nextRuns("at(2027-01-01T09:00:00)", "Asia/Kolkata", new Date("2026-06-01T00:00:00Z"), 0)).toEqual(
      [],
    );
  });

  it("reads L alone in day-of-week as Saturday, the week's last day", () => {
    expect(iso(nextRuns("cron(0 3 ? * L *)", "UTC", new Date("2030-01-01T00:00:00Z"), 2))).toEqual([
      "2030-01-05T03:00:00.000Z",
      "2030-01-12T03:00:00.000Z",
    ]);
  });

  it("runs a cron strictly after the instant given", () => {
    expect(iso(nextRuns("cron(0 2 * * ? *)", "UTC", new Date("2027-01-01T02:00:00Z"), 1))).toEqual([
      "2027-01-02T02:00:00.000Z",
    ]);
  });

  it.each([["Europe/Lodnon"], ["Asia/Calcutta "], ["IST"]])(
    "refuses the misspelt timezone %j wherever a schedule is evaluated",
    (tz) => {
      const message = `"${tz}" is not an IANA timezone name (e.g. Europe/London, Asia/Kolkata, UTC)`;
      const from = new Date("2027-01-01T00:00:00Z");
      expect(() => nextRuns("cron(0 2 * * ? *)", tz, from, 1)).toThrow(new ScheduleExpressionError(message));
      expect(() => maxIntervalSeconds("cron(0 2 * * ? *)", tz, from)).toThrow(message);
      expect(() => dstGapWarnings("cron(0 2 * * ? *)", tz, from)).toThrow(message);
    },
  );
});

describe("DST gap warnings", () => {
  it("flags a 01:30 Europe/London run, which silently loses a day each March", () => {
    expect(dstGapWarnings("cron(30 1 * * ? *)", "Europe/London", new Date("2026-11-22T00:00:00Z"))).toEqual([
      { localDate: "2027-03-28", localTime: "01:30", timezone: "Europe/London" },
    ]);
  });
  it("flags 02:30 in New York and Sydney on their own spring-forward days", () => {
    expect(
      dstGapWarnings("cron(30 2 * * ? *)", "America/New_York", new Date("2026-11-22T00:00:00Z")).map(
        (w) => w.localDate,
      ),
    ).toEqual(["2027-03-14"]);
    expect(
      dstGapWarnings("cron(30 2 * * ? *)", "Australia/Sydney", new Date("2026-11-22T00:00:00Z")).map(
        (w) => w.localDate,
      ),
    ).toEqual(["2027-10-03"]);
  });
  it("flags a one-time at() in the gap, and has nothing to say about a rate()", () => {
    const from = new Date("2026-11-22T00:00:00Z");
    expect(dstGapWarnings("at(2027-03-28T01:30:00)", "Europe/London", from)).toEqual([
      { localDate: "2027-03-28", localTime: "01:30", timezone: "Europe/London" },
    ]);
    expect(dstGapWarnings("at(2027-03-28T02:30:00)", "Europe/London", from)).toEqual([]);
    expect(dstGapWarnings("rate(1 hour)", "Europe/London", from)).toEqual([]);
  });

  it("has nothing to say about Asia/Kolkata or UTC", () => {
    expect(dstGapWarnings("cron(30 2 * * ? *)", "Asia/Kolkata", new Date("2026-11-22T00:00:00Z"))).toEqual(
      [],
    );
    expect(dstGapWarnings("cron(30 2 * * ? *)", "UTC", new Date("2026-11-22T00:00:00Z"))).toEqual([]);
  });
});

describe("maxIntervalSeconds", () => {
  const from = new Date("2026-11-22T00:00:00Z");
  it("answers a repeated question from its scan, but never across a change of the local day it scans from", () => {
    // 2041's last two days: from the 30th both runs are ahead (a day apart); from the 31st only one is left.
    const daily2041 = "cron(0 0 * * ? 2041)";
    expect(maxIntervalSeconds(daily2041, "UTC", new Date("2041-12-30T10:00:00Z"))).toBe(86_400);
    expect(maxIntervalSeconds(daily2041, "UTC", new Date("2041-12-30T23:59:00Z"))).toBe(86_400);
    expect(maxIntervalSeconds(daily2041, "UTC", new Date("2041-12-31T00:30:00Z"))).toBe(
      Number.POSITIVE_INFINITY,
    );
    // The same instant is a different local day in Tokyo (already the 31st there).
    expect(maxIntervalSeconds(daily2041, "Asia/Tokyo", new Date("2041-12-30T16:00:00Z"))).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(maxIntervalSeconds(daily2041, "Asia/Tokyo", new Date("2041-12-30T10:00:00Z"))).toBe(86_400);
  });
  it.each([
    ["cron(0 2 * * ? *)", "UTC", 86_400],
    ["cron(0 2 * * ? *)", "Europe/London", 90_000], // the autumn day is 25 hours long
    ["cron(0 4 ? * SUN *)", "UTC", 604_800],
    ["cron(0 2 ? * 1#1 *)", "UTC", 35 * 86_400],
    ["cron(0 0,12 * * ? *)", "Asia/Kolkata", 43_200],
    ["rate(6 hours)", "UTC", 21_600],
    ["rate(5 minutes)", "UTC", 300],
    ["rate(30 minutes)", "UTC", 1_800],
    // The run lost in London's spring-forward gap (2027-03-28 01:30) makes the gap 47 hours, not 24.
    ["cron(30 1 * * ? *)", "Europe/London", 47 * 3_600],
    ["rate(1 day)", "UTC", 86_400],
  ])("%s in %s -> %d", (expression, tz, seconds) => {
    expect(maxIntervalSeconds(expression, tz, from)).toBe(seconds);
  });

  // A dead-man alarm sized from these must neither fire between two runs on time nor be unable to fire.
  it.each([
    // Yearly: the gap over a leap year (2032 -> 2033) is a day longer, wherever the year is started.
    ["cron(0 3 1 1 ? *)", "2030-01-01T00:00:00Z", 366 * 86_400],
    ["cron(0 3 1 1 ? *)", "2030-06-01T00:00:00Z", 366 * 86_400],
    ["cron(0 3 1 6 ? *)", "2030-01-01T00:00:00Z", 366 * 86_400], // 2031-06 -> 2032-06 holds February 29
    ["cron(0 3 29 2 ? *)", "2030-01-01T00:00:00Z", (4 * 365 + 1) * 86_400], // leap days only: 2032 -> 2036
    ["cron(0 3 1 1 ? 2030/3)", "2030-01-01T00:00:00Z", (3 * 365 + 1) * 86_400], // every third year
    // Years listed: the nine years from 2041 to 2050 count, however far beyond the first two runs they lie.
    ["cron(0 3 1 1 ? 2040,2041,2050)", "2030-01-01T00:00:00Z", 3_287 * 86_400],
    // ... and six yearly runs, then fifteen years to the last: every gap is looked at, not only four of the longest.
    ["cron(0 3 1 1 ? 2040-2045,2060)", "2030-01-01T00:00:00Z", (15 * 365 + 3) * 86_400],
  ])(
    "a rare %s from %s has its real longest gap, whatever the starting day",
    (expression, start, seconds) => {
      expect(maxIntervalSeconds(expression, "UTC", new Date(start))).toBe(seconds);
    },
  );

  it("sees the DST change of a daily run that starts years ahead (its first 400 days are looked at)", () => {
    expect(
      maxIntervalSeconds("cron(0 2 * * ? 2040-2199)", "Europe/London", new Date("2030-01-01T00:00:00Z")),
    ).toBe(90_000);
  });

  it("is infinite for a schedule with fewer than two runs left: at(), or a cron whose years run out", () => {
    expect(maxIntervalSeconds("at(2030-05-01T10:00:00)", "UTC", new Date("2030-01-01T00:00:00Z"))).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(maxIntervalSeconds("cron(0 3 1 1 ? 2030)", "UTC", new Date("2029-06-01T00:00:00Z"))).toBe(
      Number.POSITIVE_INFINITY,
    );
    // Two runs, the second beyond the usual year ahead: still one gap, not "never".
    expect(maxIntervalSeconds("cron(0 3 1 1 ? 2030-2031)", "UTC", new Date("2029-06-01T00:00:00Z"))).toBe(
      365 * 86_400,
    );
  });
});

// The calendar lists a schedule's runs over its span from these: every run up to the end, none after.
describe("cronOccurrences", () => {
  const runs = (expression: string, tz: string, from: string, until: string) => {
    const parsed = parseScheduleExpression(expression);
    if (parsed.kind !== "cron") throw new Error(expression);
    return [...cronOccurrences(parsed, tz, new Date(from), new Date(until))].map((o) => ({
      at: o.at?.toISOString() ?? null,
      local: `${o.local.date} ${o.local.time}`,
    }));
  };
  it("lists the runs from the local day of `from` up to and including `until`, and none after", () => {
    const daily = (until: string) =>
      runs("cron(0 2 * * ? *)", "UTC", "2027-03-01T00:00:00Z", until).map((r) => r.at);
    expect(daily("2027-03-03T12:00:00Z")).toEqual([
      "2027-03-01T02:00:00.000Z",
      "2027-03-02T02:00:00.000Z",
      "2027-03-03T02:00:00.000Z",
    ]);
    expect(daily("2027-03-03T02:00:00Z")).toHaveLength(3);
    expect(daily("2027-03-03T01:59:00Z")).toHaveLength(2);
  });
  it("in a zone ahead of UTC, lists the next local day's early run that still falls before `until`", () => {
    // 02:00 IST on March 3 is 20:30 UTC on March 2.
    expect(runs("cron(0 2 * * ? *)", "Asia/Kolkata", "2027-03-01T00:00:00Z", "2027-03-02T23:00:00Z")).toEqual(
      [
        { at: "2027-02-28T20:30:00.000Z", local: "2027-03-01 02:00" },
        { at: "2027-03-01T20:30:00.000Z", local: "2027-03-02 02:00" },
        { at: "2027-03-02T20:30:00.000Z", local: "2027-03-03 02:00" },
      ],
    );
  });
  it("lists a run lost in a spring-forward gap before `until` (without an instant), and not one after", () => {
    const london = (until: string) =>
      runs("cron(30 1 * * ? *)", "Europe/London", "2027-03-26T12:00:00Z", until);
    expect(london("2027-03-28T12:00:00Z")).toEqual([
      { at: "2027-03-26T01:30:00.000Z", local: "2027-03-26 01:30" },
      { at: "2027-03-27T01:30:00.000Z", local: "2027-03-27 01:30" },
      { at: null, local: "2027-03-28 01:30" },
    ]);
    expect(london("2027-03-27T11:00:00Z")).toEqual([
      { at: "2027-03-26T01:30:00.000Z", local: "2027-03-26 01:30" },
      { at: "2027-03-27T01:30:00.000Z", local: "2027-03-27 01:30" },
    ]);
  });
  it("gives every run the instant its local time has when asked alone, in every zone that changes its offset", () => {
    // A day whose offset is the same from the day before to two days after is read with one offset; the oracle asks
    // each run's wall time alone (localTimeInstants: every candidate offset tried). Hours 22 to 03 hold the world's
    // transitions (Havana and Santiago at midnight, Lord Howe's half hour, most at 01:00 to 03:00).
    const parsed = parseScheduleExpression("cron(0,30 0-3,22-23 * * ? *)");
    if (parsed.kind !== "cron") throw new Error("cron");
    // Zones of one rule set (the same offset at every 6 hours of both years: Europe's 34 EU zones are one) are
    // asked once, through the first of them.
    const years = [2027, 2030];
    const ruleSets = new Map<string, string>();
    const changing = Intl.supportedValuesOf("timeZone").filter((zone) =>
      years.some(
        (year) =>
          DateTime.fromObject({ year, month: 1 }, { zone }).offset !==
          DateTime.fromObject({ year, month: 7 }, { zone }).offset,
      ),
    );
    for (const zone of changing) {
      let key = "";
      for (const year of years)
        for (let q = 0; q < 366 * 4; q++)
          key += `${DateTime.fromMillis(Date.UTC(year, 0, 1, q * 6), { zone }).offset},`;
      if (!ruleSets.has(key)) ruleSets.set(key, zone);
    }
    const zones = [...ruleSets.values()];
    expect(zones.length).toBeGreaterThan(20);
    let checked = 0;
    let gaps = 0;
    for (const zone of zones)
      for (const year of years) {
        const from = new Date(Date.UTC(year, 0, 1));
        const until = new Date(Date.UTC(year + 1, 0, 1));
        let withInstant = 0;
        for (const o of cronOccurrences(parsed, zone, from, until)) {
          const [y, mo, d] = o.local.date.split("-").map(Number) as [number, number, number];
          const [h, mi] = o.local.time.split(":").map(Number) as [number, number];
          const [first] = localTimeInstants(zone, y, mo, d, h, mi);
          if (o.at?.getTime() !== first)
            throw new Error(`${zone} ${o.local.date} ${o.local.time}: ${o.at?.toISOString()}`);
          if (o.at) withInstant++;
          else gaps++;
          checked++;
        }
        expect(cronRunCount(parsed, zone, from, until)).toBe(withInstant);
      }
    expect(gaps).toBeGreaterThan(zones.length);
    expect(checked).toBeGreaterThan(zones.length * 2 * 365 * 12);
  });
});

describe("timezones", () => {
  it.each([
    ["Europe/London", true],
    ["Asia/Kolkata", true],
    ["UTC", true],
    ["IST", false],
    ["+05:30", false],
    ["Mars/Olympus", false],
    ["GMT", true],
    ["Etc/GMT+5", true],
    ["America/Argentina/Buenos_Aires", true],
    ["Europe/", false],
    ["Europe London", false],
  ])("%s -> %s", (tz, ok) => expect(isValidTimezone(tz)).toBe(ok));
});

/** AWS 6-field cron (with ?) -> cron-parser 5-field; AWS day-of-week 1-7 = SUN-SAT, cron-parser 0-6. */
function toCronParser(min: string, hour: string, dom: string, month: string, dow: string): string {
  // Shift day numbers, not step sizes: "2-4/2" -> "1-3/2".
  // cron-parser reads "a/s" as a..7 where 7 is Sunday again, so spell AWS's "a/s" (a..SAT) as "a-6/s".
  const d =
    dow === "?"
      ? "*"
      : dow
          .replace(/(^|[,-])(\d)/g, (_m, sep: string, n: string) => `${sep}${Number(n) - 1}`)
          .replace(/(^|,)(\d)\//g, (_m, sep: string, n: string) => `${sep}${n}-6/`);
  return `${min} ${hour} ${dom === "?" ? "*" : dom} ${month} ${d}`;
}

/**
 * 300 cases; under mutation testing (`npm run mutate`: every Stryker worker has STRYKER_MUTATOR_WORKER) 30, since at
 * 300 this one property took 10 s of every mutant's run. Fewer cases can only let more mutants survive, never fewer.
 */
const AGREEMENT_RUNS = process.env.STRYKER_MUTATOR_WORKER ? 30 : 300;

describe("agreement with cron-parser where the grammars overlap", () => {
  const field = (max: number, min = 0) =>
    fc.oneof(
      fc.constant("*"),
      fc.integer({ min, max }).map(String),
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
        .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.tuple(fc.integer({ min, max }), fc.integer({ min: 1, max: 12 })).map(([a, s]) => `${a}/${s}`),
      fc.uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 4 }).map((xs) => xs.join(",")),
    );
  const arbitrary = fc.record({
    min: field(59),
    hour: field(23),
    useDom: fc.boolean(),
    dom: field(28, 1),
    month: field(12, 1),
    dow: field(7, 1),
    tz: fc.constantFrom("UTC", "Asia/Kolkata"),
    from: fc.date({
      min: new Date("2026-01-01T00:00:00Z"),
      max: new Date("2030-01-01T00:00:00Z"),
      noInvalidDate: true,
    }),
  });

  it("gives the same next 5 runs in UTC and in a no-DST zone", () => {
    fc.assert(
      fc.property(arbitrary, ({ min, hour, useDom, dom, month, dow, tz, from }) => {
        const d = useDom ? dom : "?";
        const w = useDom ? "?" : dow;
        const ours = nextRuns(`cron(${min} ${hour} ${d} ${month} ${w} *)`, tz, from, 5);
        const it = CronExpressionParser.parse(toCronParser(min, hour, d, month, w), {
          currentDate: from,
          tz,
        });
        const theirs = Array.from({ length: 5 }, () => it.next().toDate());
        expect(iso(ours)).toEqual(iso(theirs));
      }),
      { numRuns: AGREEMENT_RUNS },
    );
  });
});
