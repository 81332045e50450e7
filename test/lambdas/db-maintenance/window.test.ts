// Maintenance windows as the heavy tasks judge them: the window's own timezone (DST included), the nth and last
// weekday of a month, start inclusive and end exclusive; and when the window a moment lies in ends (a heavy task's
// lock wait and statement_timeout are cut to it).
import { inWindow, windowEnd } from "../../../lambdas/db-maintenance/window";

const w = (day: string, timezone = "UTC", start = "02:00", end = "06:00") => ({
  name: "w",
  day,
  start,
  end,
  timezone,
});

describe("inWindow", () => {
  it.each([
    // 2026-11-01 is the first Sunday of November; 2026-11-08 the second; 2026-11-29 the last.
    ["SUN", "2026-11-08T02:00:00Z", true],
    ["SUN", "2026-11-08T06:00:00Z", false],
    ["SUN", "2026-11-08T01:59:00Z", false],
    ["SUN#1", "2026-11-01T03:00:00Z", true],
    ["SUN#1", "2026-11-08T03:00:00Z", false],
    ["SUN#2", "2026-11-08T03:00:00Z", true],
    ["SUNL", "2026-11-29T03:00:00Z", true],
    ["SUNL", "2026-11-22T03:00:00Z", false],
    ["MON", "2026-11-08T03:00:00Z", false],
  ])("%s at %s: %s", (day, at, expected) => {
    expect(inWindow(new Date(at), w(day))).toBe(expected);
  });

  it("reads the clock in the window's timezone, across DST", () => {
    // Sunday 02:30 in New York is 07:30 UTC in summer (EDT) and 07:30 UTC is 02:30 EST only after the change.
    const ny = w("SUN", "America/New_York");
    expect(inWindow(new Date("2026-06-07T06:30:00Z"), ny)).toBe(true); // 02:30 EDT
    expect(inWindow(new Date("2026-12-06T06:30:00Z"), ny)).toBe(false); // 01:30 EST
    expect(inWindow(new Date("2026-12-06T07:30:00Z"), ny)).toBe(true); // 02:30 EST
    // Sunday 02:00 IST is Saturday 20:30 UTC.
    expect(inWindow(new Date("2026-12-05T20:30:00Z"), w("SUN", "Asia/Kolkata"))).toBe(true);
  });
});

describe("windowEnd", () => {
  it("is the window's end that day in its timezone, or null outside it", () => {
    // Sunday 02:00-06:00 IST ends at 00:30 UTC; New York's 02:00-06:00 ends at 10:00 UTC in summer, 11:00 in winter.
    expect(windowEnd(new Date("2026-12-05T21:00:00Z"), w("SUN", "Asia/Kolkata"))).toEqual(
      new Date("2026-12-06T00:30:00Z"),
    );
    expect(windowEnd(new Date("2026-06-07T07:00:00Z"), w("SUN", "America/New_York"))).toEqual(
      new Date("2026-06-07T10:00:00Z"),
    );
    expect(windowEnd(new Date("2026-12-06T08:00:00Z"), w("SUN", "America/New_York"))).toEqual(
      new Date("2026-12-06T11:00:00Z"),
    );
    expect(windowEnd(new Date("2026-11-08T06:00:00Z"), w("SUN"))).toBeNull();
  });
});
