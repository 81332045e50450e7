// What the recorded plans say Scheduler will run, as calendar entries (pure): every aws:scheduler Schedule of a plan,
// whatever its target, expanded the way Scheduler runs it (DST gaps skipped), sub-daily schedules summarised.
import { DateTime } from "luxon";
import { cronOccurrences, localTimeInstants, parseScheduleExpression } from "../../infra/core/schedule";
import type { PlannedResource } from "../lib/record-stack";

export const SCHEDULE_TYPE = "aws:scheduler/schedule:Schedule";
const DAY_MS = 86_400_000;

export type ScheduleKind = "reminder" | "window" | "job";

export interface CalendarSchedule {
  readonly stack: string;
  /**
   * The schedule's physical name (`inputs.name`), with `@<region>` when the same name is declared in another region
   * too (window markers are per region): stable, so it makes stable UIDs.
   */
  readonly name: string;
  readonly region: string;
  readonly expression: string;
  readonly timezone: string;
  readonly description: string;
  readonly kind: ScheduleKind;
  /** How long one run may take (the Lambda timeout or the task's deadline), in minutes; 1 for reminders and markers. */
  readonly limitMinutes: number;
}

export interface Run {
  readonly schedule: CalendarSchedule;
  /** UTC instant, or null for a run Scheduler skips (a local time in a spring-forward gap). */
  readonly at: Date | null;
  /** Local date and time of the run in the schedule's timezone. */
  readonly local: { readonly date: string; readonly time: string };
}

/** One calendar event: a single run, or a day's burst of a sub-daily schedule (first to last run). */
export interface CalendarEvent {
  readonly schedule: CalendarSchedule;
  readonly start: Date | null;
  readonly end: Date | null;
  readonly local: { readonly date: string; readonly time: string };
  readonly runs: number;
  readonly skipped: boolean;
  /** Events of other schedules of the stack whose run spans overlap this one's (heavy jobs only). */
  readonly overlaps: string[];
}

/** A schedule that runs on most days more than once: shown as one line, not run by run. */
export interface SummarisedSchedule {
  readonly schedule: CalendarSchedule;
  readonly text: string;
}

export interface StackCalendar {
  readonly stack: string;
  readonly events: CalendarEvent[];
  readonly summarised: SummarisedSchedule[];
}

/** The part of a schedule's target the calendar reads. */
interface Target {
  readonly arn?: string;
  readonly ecsParameters?: { readonly taskDefinitionArn?: string };
}

function kindOf(arn: string): ScheduleKind {
  if (arn.endsWith(":sns:publish")) return "reminder";
  if (arn.endsWith(":cloudwatch:putMetricData")) return "window";
  return "job";
}

/** The run limit of a schedule's target from the plan: Lambda timeout, else a task's JOB_DEADLINE_SECONDS. */
function limitMinutes(plan: readonly PlannedResource[], target: Target): number {
  const kind = kindOf(String(target.arn));
  if (kind !== "job") return 1;
  const fn = plan.find((r) => r.type === "aws:lambda/function:Function" && r.inputs.arn === target.arn);
  const byName = plan.find(
    (r) =>
      r.type === "aws:lambda/function:Function" && String(target.arn).endsWith(`:function:${r.inputs.name}`),
  );
  const timeout = (fn ?? byName)?.inputs.timeout;
  if (typeof timeout === "number") return Math.ceil(timeout / 60);
  const td = target.ecsParameters?.taskDefinitionArn as string | undefined;
  if (td) {
    const def = plan.find(
      (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && td.includes(`/${r.inputs.family}:`),
    );
    const m = /"JOB_DEADLINE_SECONDS","value":"(\d+)"/.exec(String(def?.inputs.containerDefinitions ?? ""));
    if (m) return Math.ceil(Number(m[1]) / 60);
  }
  return 15;
}

/** Every Scheduler schedule a plan declares, whatever it targets. */
export function schedulesOf(stack: string, plan: readonly PlannedResource[]): CalendarSchedule[] {
  const declared = plan.filter((r) => r.type === SCHEDULE_TYPE && r.inputs.state !== "DISABLED");
  const count = new Map<string, number>();
  for (const r of declared) count.set(String(r.inputs.name), (count.get(String(r.inputs.name)) ?? 0) + 1);
  // The plan's own region is the one most schedules are in; a name repeated elsewhere carries its region.
  const regions = new Map<string, number>();
  for (const r of declared) regions.set(r.region, (regions.get(r.region) ?? 0) + 1);
  const home = [...regions].sort((a, b) => b[1] - a[1])[0]?.[0];
  return declared
    .map((r) => {
      const target = (r.inputs.target ?? {}) as Target;
      const name = String(r.inputs.name ?? r.name);
      return {
        stack,
        name: (count.get(name) ?? 0) > 1 && r.region !== home ? `${name}@${r.region}` : name,
        region: r.region,
        expression: String(r.inputs.scheduleExpression),
        timezone: String(r.inputs.scheduleExpressionTimezone ?? "UTC"),
        description: String(r.inputs.description ?? ""),
        kind: kindOf(String(target.arn ?? "")),
        limitMinutes: limitMinutes(plan, target),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The runs of a schedule from `from` up to `until`, as Scheduler makes them; null for a rate() (no fixed anchor). */
export function runsOf(s: CalendarSchedule, from: Date, until: Date): Run[] | null {
  const parsed = parseScheduleExpression(s.expression);
  if (parsed.kind === "rate") return null;
  if (parsed.kind === "at") {
    const { year, month, day, hour, minute, second } = parsed.local;
    const [at] = localTimeInstants(s.timezone, year, month, day, hour, minute, second);
    const local = { date: s.expression.slice(3, 13), time: s.expression.slice(14, 19) };
    if (at !== undefined && (at < from.getTime() || at >= until.getTime())) return [];
    return [{ schedule: s, at: at === undefined ? null : new Date(at), local }];
  }
  const out: Run[] = [];
  for (const occ of cronOccurrences(parsed, s.timezone, from, until)) {
    if (occ.at && (occ.at < from || occ.at >= until)) continue;
    if (
      !occ.at &&
      DateTime.fromISO(`${occ.local.date}T${occ.local.time}`, { zone: "UTC" }).toMillis() <
        from.getTime() - DAY_MS
    )
      continue;
    out.push({ schedule: s, at: occ.at, local: occ.local });
    if (out.length > 200_000) break; // a per-minute schedule over a year: summarised anyway
  }
  return out;
}

const fmtEvery = (minutes: number) =>
  minutes % 60 === 0 ? `every ${minutes / 60} h` : `every ${minutes} min`;

/** Groups runs into events: single runs when at most one a local day, else one event per day from first to last run. */
function eventsOf(runs: readonly Run[]): CalendarEvent[] {
  const byDay = new Map<string, Run[]>();
  for (const r of runs) byDay.set(r.local.date, [...(byDay.get(r.local.date) ?? []), r]);
  const out: CalendarEvent[] = [];
  for (const dayRuns of byDay.values()) {
    const real = dayRuns.filter((r) => r.at);
    const skipped = dayRuns.filter((r) => !r.at);
    if (dayRuns.length === 1 || real.length <= 1) {
      for (const r of dayRuns)
        out.push({
          schedule: r.schedule,
          start: r.at,
          end: r.at && new Date(r.at.getTime() + r.schedule.limitMinutes * 60_000),
          local: r.local,
          runs: 1,
          skipped: !r.at,
          overlaps: [],
        });
      continue;
    }
    const first = real[0]!;
    const last = real[real.length - 1]!;
    out.push({
      schedule: first.schedule,
      start: first.at,
      end: new Date(last.at!.getTime() + first.schedule.limitMinutes * 60_000),
      local: first.local,
      runs: real.length,
      skipped: skipped.length > 0,
      overlaps: [],
    });
  }
  return out;
}

/** A line for a schedule that runs more than once on most days. */
function summaryOf(s: CalendarSchedule, runs: readonly Run[] | null): string {
  if (!runs) return `${s.expression} (${s.description}): rate, anchored at creation`;
  const times = [...new Set(runs.slice(0, 2000).map((r) => r.local.time))].sort();
  const gaps = runs
    .slice(0, 50)
    .map((r, i) =>
      i && r.at && runs[i - 1]!.at ? (r.at.getTime() - runs[i - 1]!.at!.getTime()) / 60_000 : 0,
    )
    .filter((g) => g > 0);
  const every = gaps.length ? Math.min(...gaps) : 0;
  const shown =
    times.length <= 4
      ? `at ${times.join(", ")}`
      : `${fmtEvery(every)} (${times[0]}-${times[times.length - 1]})`;
  return `${shown} ${s.timezone} daily (${s.expression})`;
}

/** Marks heavy job events (a run limit of 15 minutes or more) whose spans overlap another heavy job of the stack. */
function markOverlaps(events: CalendarEvent[]): CalendarEvent[] {
  const heavy = events
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.schedule.kind === "job" && e.start && e.schedule.limitMinutes >= 15)
    .sort((a, b) => a.e.start!.getTime() - b.e.start!.getTime());
  const overlaps = new Map<number, Set<string>>();
  for (let a = 0; a < heavy.length; a++) {
    for (let b = a + 1; b < heavy.length; b++) {
      const x = heavy[a]!;
      const y = heavy[b]!;
      if (y.e.start!.getTime() >= x.e.end!.getTime()) break;
      if (x.e.schedule.name === y.e.schedule.name) continue;
      overlaps.set(x.i, (overlaps.get(x.i) ?? new Set()).add(y.e.schedule.name));
      overlaps.set(y.i, (overlaps.get(y.i) ?? new Set()).add(x.e.schedule.name));
    }
  }
  return events.map((e, i) => (overlaps.has(i) ? { ...e, overlaps: [...overlaps.get(i)!].sort() } : e));
}

/**
 * A stack's calendar over [from, until): listed events (one per run, or one per day of a bursty sub-daily schedule
 * such as a window marker) and summarised schedules (sub-daily on at least half of the days, and rate()).
 */
export function stackCalendar(
  stack: string,
  plan: readonly PlannedResource[],
  from: Date,
  until: Date,
): StackCalendar {
  const events: CalendarEvent[] = [];
  const summarised: SummarisedSchedule[] = [];
  const days = Math.max(1, Math.round((until.getTime() - from.getTime()) / DAY_MS));
  for (const s of schedulesOf(stack, plan)) {
    const runs = runsOf(s, from, until);
    if (!runs) {
      summarised.push({ schedule: s, text: summaryOf(s, null) });
      continue;
    }
    const perDay = new Map<string, number>();
    for (const r of runs) perDay.set(r.local.date, (perDay.get(r.local.date) ?? 0) + 1);
    const busyDays = [...perDay.values()].filter((n) => n > 1).length;
    if (busyDays * 2 >= days) summarised.push({ schedule: s, text: summaryOf(s, runs) });
    else events.push(...eventsOf(runs));
  }
  const sorted = events.sort(
    (a, b) =>
      (a.start?.getTime() ?? Date.parse(`${a.local.date}T${a.local.time}Z`)) -
        (b.start?.getTime() ?? Date.parse(`${b.local.date}T${b.local.time}Z`)) ||
      (a.schedule.name < b.schedule.name ? -1 : 1),
  );
  return { stack, events: markOverlaps(sorted), summarised };
}

/** Monday 00:00 UTC of the week that holds `date`. */
export function weekStart(date: Date): Date {
  const d = DateTime.fromJSDate(date, { zone: "UTC" }).startOf("day");
  return d.minus({ days: d.weekday - 1 }).toJSDate();
}

/** The DST changes of `zone` in [from, until), as the local dates they happen on. */
export function dstChanges(
  zone: string,
  from: Date,
  until: Date,
): { date: string; fromOffset: number; toOffset: number }[] {
  const out: { date: string; fromOffset: number; toOffset: number }[] = [];
  let prev = DateTime.fromJSDate(from, { zone }).offset;
  for (let t = from.getTime() + 3_600_000; t <= until.getTime(); t += 3_600_000) {
    const dt = DateTime.fromMillis(t, { zone });
    if (dt.offset !== prev) {
      out.push({ date: dt.toISODate()!, fromOffset: prev, toOffset: dt.offset });
      prev = dt.offset;
    }
  }
  return out;
}
