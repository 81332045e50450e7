// Whether a moment lies inside a weekly maintenance window (EventBridge cron day syntax: SUN, SUN#1, SUNL) in the
// window's own timezone, DST included, and when it ends; heavy tasks refuse to start outside one and end inside it.
import { DateTime } from "luxon";
import type { MaintenanceWindow } from "./config";

const DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWindow(at: Date, w: MaintenanceWindow): boolean {
  return windowEnd(at, w) !== null;
}

/** The end of the window `at` lies in (the same local day's end time), or null when `at` is outside it. */
export function windowEnd(at: Date, w: MaintenanceWindow): Date | null {
  const local = DateTime.fromJSDate(at, { zone: w.timezone });
  if (!local.isValid) throw new Error(`window ${w.name}: unknown timezone ${w.timezone}`);
  const m = /^([A-Z]{3})(?:#([1-5])|(L))?$/.exec(w.day);
  if (!m) throw new Error(`window ${w.name}: day ${w.day} is not SUN..SAT, SUN#n or SUNL`);
  if (DAYS[local.weekday - 1] !== m[1]) return null;
  if (m[2] && Math.ceil(local.day / 7) !== Number(m[2])) return null;
  if (m[3] && local.day + 7 <= local.daysInMonth!) return null;
  const now = local.hour * 60 + local.minute;
  if (now < minutes(w.start) || now >= minutes(w.end)) return null;
  const end = minutes(w.end);
  return local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 }).toJSDate();
}
