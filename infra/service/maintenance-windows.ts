// Turns a runbook's maintenance window into the per-minute Scheduler crons that mark it open (pure, no Pulumi imports).
import type { MaintenanceWindowConfig } from "../config/monitoring";

/** Metric the window schedules publish each minute the window is open; the suppressor alarm watches it. */
export const WINDOW_METRIC = "MaintenanceWindowOpen";

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

/**
 * EventBridge cron expressions that together fire once a minute for every minute in [start, end) on the window's day.
 * A window on whole hours is one expression (`cron(* 2-3 ? * SUN *)` for 02:00-04:00); ragged edges add one
 * expression per partial hour. Publishing a metric every minute (rather than setting an alarm state at start and at
 * end) means a missed or failed invocation cannot leave on-call muted: the suppressor returns to OK on its own when
 * the datapoints stop.
 */
export function windowCrons(window: Pick<MaintenanceWindowConfig, "day" | "start" | "end">): string[] {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (end <= start)
    throw new Error(`maintenance window end ${window.end} must be after start ${window.start}`);
  const dow = window.day;
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
