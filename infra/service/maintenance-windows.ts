// Turns a runbook's maintenance window into the per-minute Scheduler crons that mark it open (pure, no Pulumi imports).
import type { MaintenanceWindowConfig } from "../config/monitoring";

/** Metric the window schedules publish each minute the window is open; the suppressor alarm watches it. */
export const WINDOW_METRIC = "MaintenanceWindowOpen";

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** Whether the window ends on the next day (`23:00`-`01:00`); `24:00` ends at the day's midnight. */
export const crossesMidnight = (w: Pick<MaintenanceWindowConfig, "start" | "end">) =>
  minutesOf(w.end) <= minutesOf(w.start);

/**
 * EventBridge cron expressions that together fire once a minute for every minute in [start, end) on the window's day.
 * A window on whole hours is one expression (`cron(* 2-3 ? * SUN *)` for 02:00-04:00); ragged edges add one
 * expression per partial hour. An end at or before the start ends on the next day (SAT 23:00-01:00 is SAT [23:00,
 * 24:00) and SUN [00:00, 01:00)); only plain days can cross midnight, since the day after `SUN#1` or `SUNL` is no
 * cron day (the Monday after the first Sunday may be the second Monday). Publishing a metric every minute (rather than
 * setting an alarm state at start and at end) means a missed or failed invocation cannot leave on-call muted: the
 * suppressor returns to OK on its own when the datapoints stop.
 */
export function windowCrons(window: Pick<MaintenanceWindowConfig, "day" | "start" | "end">): string[] {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (end === start)
    throw new Error(`maintenance window end ${window.end} must differ from start ${window.start}`);
  if (end > start) return dayCrons(window.day, start, end);
  const day = DAYS.indexOf(window.day);
  const next = day < 0 ? undefined : DAYS[(day + 1) % 7];
  if (!next)
    throw new Error(
      `maintenance window ${window.day} ${window.start}-${window.end} crosses midnight, which only a plain day (SUN..SAT) can`,
    );
  return [...dayCrons(window.day, start, 24 * 60), ...(end > 0 ? dayCrons(next, 0, end) : [])];
}

/** The crons for [start, end) minutes (end at most 1440) of one cron day. */
function dayCrons(dow: string, start: number, end: number): string[] {
  const cron = (minutes: string, hours: string) => `cron(${minutes} ${hours} ? * ${dow} *)`;
  const out: string[] = [];
  let firstFullHour = Math.ceil(start / 60);
  const lastFullHourEnd = Math.floor(end / 60); // full hours are [firstFullHour, lastFullHourEnd)
  if (start % 60 !== 0) {
    const h = Math.floor(start / 60);
    const stopMinute = h === Math.floor(end / 60) ? (end % 60) - 1 : 59;
    out.push(cron(`${start % 60}-${stopMinute}`, String(h)));
    if (h === Math.floor(end / 60)) return out;
    firstFullHour = h + 1;
  }
  if (lastFullHourEnd > firstFullHour) {
    const hours =
      lastFullHourEnd - 1 === firstFullHour
        ? String(firstFullHour)
        : `${firstFullHour}-${lastFullHourEnd - 1}`;
    out.push(cron("*", hours));
  }
  if (end % 60 !== 0 && Math.floor(end / 60) >= firstFullHour) {
    const h = Math.floor(end / 60);
    out.push(cron(end % 60 === 1 ? "0" : `0-${(end % 60) - 1}`, String(h)));
  }
  return out;
}
