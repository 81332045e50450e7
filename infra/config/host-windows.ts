// Which SSM Maintenance Windows a stack's host chores need: the monitoring maintenance windows they name (day, start,
// end in the window's timezone) and the host section's own windows, each as SSM's schedule, duration and cutoff.
import type { OwnWindowConfig } from "./hosts";
import type { MaintenanceWindowConfig } from "./monitoring";

export interface SsmWindowSpec {
  readonly name: string;
  /** SSM's cron (the same six fields as EventBridge's). */
  readonly schedule: string;
  readonly timezone: string;
  /** Whole hours, 1-24. */
  readonly durationHours: number;
  /** No task starts in the last `cutoffHours`. */
  readonly cutoffHours: number;
  /** Where it comes from, for the plan and the description. */
  readonly source: string;
}

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

/**
 * A monitoring window as an SSM window: it opens at its start on its day; SSM counts duration in whole hours, so the
 * SSM window is the longest whole number of hours inside the declared one (a window shorter than an hour cannot host
 * tasks). A window whose end is not after its start ends the next day.
 */
export function fromMonitoringWindow(
  w: MaintenanceWindowConfig,
  appTimezone: string,
): SsmWindowSpec | string {
  const length = (minutesOf(w.end) - minutesOf(w.start) + 1440) % 1440 || 1440;
  const durationHours = Math.floor(length / 60);
  if (durationHours < 1)
    return `window ${w.name} is ${length} minutes long; an SSM Maintenance Window lasts at least 1 hour`;
  return {
    name: w.name,
    schedule: `cron(${Number(w.start.slice(3))} ${Number(w.start.slice(0, 2))} ? * ${w.day} *)`,
    timezone: w.timezone ?? appTimezone,
    durationHours,
    // Leave the last hour for the tasks that started to finish, when there is more than one.
    cutoffHours: durationHours > 1 ? 1 : 0,
    source: `monitoring.maintenanceWindows ${w.name} (${w.day} ${w.start}-${w.end})`,
  };
}

export function fromOwnWindow(w: OwnWindowConfig, appTimezone: string): SsmWindowSpec {
  return {
    name: w.name,
    schedule: w.expression,
    timezone: w.timezone ?? appTimezone,
    durationHours: w.durationHours,
    cutoffHours: w.cutoffHours,
    source: `hosts.windows ${w.name}`,
  };
}

/**
 * Resolves a window name: the host section's own windows first, then the monitoring windows. Returns the spec, or why
 * not (unknown, or too short).
 */
export function resolveWindow(
  name: string,
  own: readonly OwnWindowConfig[],
  monitoring: readonly MaintenanceWindowConfig[],
  appTimezone: string,
): SsmWindowSpec | string {
  const mine = own.find((w) => w.name === name);
  if (mine) return fromOwnWindow(mine, appTimezone);
  const m = monitoring.find((w) => w.name === name);
  if (m) return fromMonitoringWindow(m, appTimezone);
  const known = [...own.map((w) => w.name), ...monitoring.map((w) => w.name)];
  return `no window named "${name}"; known windows: ${known.length ? known.join(", ") : "none (add one to hosts.windows or monitoring.maintenanceWindows)"}`;
}
