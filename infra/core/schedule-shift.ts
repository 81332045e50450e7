// Moves a Scheduler expression a whole number of days earlier or later, in its own local time (pure), for reminders
// that announce another schedule ahead of time or follow one up; refuses what one Scheduler cron cannot express.
import { DateTime } from "luxon";
import { parseScheduleExpression, ScheduleExpressionError } from "./schedule";

const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const cannot = (expression: string, days: number, why: string) =>
  new ScheduleExpressionError(
    `cannot move ${expression} ${Math.abs(days)} day${Math.abs(days) === 1 ? "" : "s"} ${days < 0 ? "earlier" : "later"} as one Scheduler expression: ${why}; give the reminder its own expression`,
  );

/**
 * The expression whose runs are `days` days (negative: earlier) from each run of `expression`, at the same local
 * time in the same timezone. Weekday crons shift their weekdays (month `*` only); `SUN#2` shifts by whole weeks
 * (`SUN#1` less a week is the previous month's `SUNL`, `SUNL` plus a week the next month's `SUN#1`); day-of-month
 * crons shift their days while they stay within 1-28 (so every month has them); `at()` moves its date. rate() has
 * no fixed time to shift.
 */
export function shiftExpression(expression: string, days: number): string {
  if (!Number.isInteger(days) || days === 0)
    throw new ScheduleExpressionError("days must be a whole number, not 0");
  const p = parseScheduleExpression(expression);
  if (p.kind === "rate") throw cannot(expression, days, "a rate() schedule has no fixed time of day");
  if (p.kind === "at") {
    const t = DateTime.fromObject(p.local, { zone: "UTC" }).plus({ days });
    return `at(${t.toFormat("yyyy-LL-dd'T'HH:mm:ss")})`;
  }
  const [minute, hour, , month, , year] = expression.slice(5, -1).trim().split(/\s+/) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const cron = (d: string, w: string) => `cron(${minute} ${hour} ${d} ${month} ${w} ${year})`;
  const f = p.dayOfWeek;
  if (p.dayOfMonth.any) {
    if (f.days.size === 7 && !f.lastOf.length && !f.nth.length) return expression; // every day
    if (month !== "*") throw cannot(expression, days, "a weekday rule limited to some months crosses them");
    if (f.days.size && !f.lastOf.length && !f.nth.length) {
      const shifted = [...f.days].map((d) => (((d - 1 + days) % 7) + 7) % 7).sort((a, b) => a - b);
      return cron("?", shifted.map((d) => DAYS[d]).join(","));
    }
    if (days % 7 !== 0) throw cannot(expression, days, "an nth or last weekday moves only by whole weeks");
    const weeks = days / 7;
    if (f.nth.length === 1 && !f.days.size && !f.lastOf.length) {
      const [d, k] = f.nth[0]!;
      const moved = k + weeks;
      if (moved >= 1 && moved <= 4 && k <= 4) return cron("?", `${DAYS[d - 1]}#${moved}`);
      if (k === 1 && weeks === -1) return cron("?", `${DAYS[d - 1]}L`);
      throw cannot(
        expression,
        days,
        `the ${k}th weekday moved ${weeks} week(s) is not one weekday rule every month`,
      );
    }
    if (f.lastOf.length === 1 && !f.days.size && !f.nth.length && weeks === 1)
      return cron("?", `${DAYS[f.lastOf[0]! - 1]}#1`);
    throw cannot(expression, days, "that weekday rule has no single shifted form");
  }
  const m = p.dayOfMonth;
  if (!f.any || m.last || m.lastWeekday || m.nearestWeekday.length)
    throw cannot(expression, days, "only plain days of the month shift");
  const shifted = [...m.days].map((d) => d + days).sort((a, b) => a - b);
  if (shifted.some((d) => d < 1 || d > 28))
    throw cannot(expression, days, "the shifted day leaves 1-28, which not every month has");
  return cron(shifted.join(","), "?");
}

/** The same days at another local time of day (`HH:MM`), e.g. an announcement during office hours. */
export function atTimeOfDay(expression: string, clock: string): string {
  const [h, m] = [Number(clock.slice(0, 2)), Number(clock.slice(3))];
  const p = parseScheduleExpression(expression);
  if (p.kind === "rate") throw new ScheduleExpressionError(`${expression} has no time of day to set`);
  if (p.kind === "at") return `at(${expression.slice(3, 13)}T${clock}:00)`;
  const [, , ...rest] = expression.slice(5, -1).trim().split(/\s+/);
  return `cron(${m} ${h} ${rest.join(" ")})`;
}
