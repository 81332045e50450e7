// EventBridge Scheduler expression semantics as pure code (no Pulumi, no SDK): parse cron/rate/at, compute next runs
// in an IANA timezone across DST, find runs lost in a spring-forward gap, and the longest gap between runs.
import { DateTime, Info, type Zone } from "luxon";

export class ScheduleExpressionError extends Error {
  override name = "ScheduleExpressionError";
}

/** A day-of-month rule: plain days, `L` (last day, optionally `L-n`), `nW` (nearest weekday), `LW`. */
export interface DayOfMonthField {
  readonly any: boolean;
  readonly days: ReadonlySet<number>;
  readonly last: boolean;
  readonly lastOffset: number;
  readonly nearestWeekday: readonly number[];
  readonly lastWeekday: boolean;
}

/** A day-of-week rule, 1=SUN..7=SAT as AWS numbers them: plain days, `nL` (last n-day of month), `n#k` (k-th n-day). */
export interface DayOfWeekField {
  readonly any: boolean;
  readonly days: ReadonlySet<number>;
  readonly lastOf: readonly number[];
  readonly nth: readonly (readonly [number, number])[];
}

export interface ParsedCron {
  readonly kind: "cron";
  readonly expression: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly dayOfMonth: DayOfMonthField;
  readonly months: ReadonlySet<number>;
  readonly dayOfWeek: DayOfWeekField;
  readonly years: ReadonlySet<number>;
}

export interface ParsedRate {
  readonly kind: "rate";
  readonly expression: string;
  readonly value: number;
  readonly unit: "minute" | "hour" | "day";
  readonly seconds: number;
}

export interface ParsedAt {
  readonly kind: "at";
  readonly expression: string;
  /** Local wall-clock time, interpreted in the schedule's timezone. */
  readonly local: { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

export type ParsedSchedule = ParsedCron | ParsedRate | ParsedAt;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly allowed: string;
}

const FIELDS = {
  minute: { name: "minutes", min: 0, max: 59, allowed: "0-59 with , - * /" },
  hour: { name: "hours", min: 0, max: 23, allowed: "0-23 with , - * /" },
  dom: { name: "day-of-month", min: 1, max: 31, allowed: "1-31 with , - * ? / L W" },
  month: { name: "month", min: 1, max: 12, names: MONTHS, allowed: "1-12 or JAN-DEC with , - * /" },
  dow: { name: "day-of-week", min: 1, max: 7, names: DAYS, allowed: "1-7 (SUN-SAT) with , - * ? / L #" },
  year: { name: "year", min: 1970, max: 2199, allowed: "1970-2199 with , - * /" },
} as const satisfies Record<string, FieldSpec>;

function fail(field: FieldSpec, value: string, why: string): never {
  throw new ScheduleExpressionError(`${field.name} "${value}" ${why}; allowed: ${field.allowed}`);
}

function number(field: FieldSpec, token: string, whole: string): number {
  const upper = token.toUpperCase();
  const byName = field.names?.indexOf(upper) ?? -1;
  if (byName >= 0) return byName + 1;
  if (!/^\d+$/.test(token))
    fail(field, whole, `has "${token}", which is not a number${field.names ? " or name" : ""}`);
  const n = Number(token);
  if (n < field.min || n > field.max) fail(field, whole, `is out of range ${field.min}-${field.max}`);
  return n;
}

/** `*`, `a`, `a-b`, `a/s`, `a-b/s`, `* /s` lists, as a sorted set of values. */
function values(field: FieldSpec, text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") fail(field, text, "has an empty list item");
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) fail(field, text, `has more than one "/" in "${part}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        fail(field, text, `has step "${stepText}", which must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = field.min;
      hi = field.max;
    } else if (range!.includes("-")) {
      const [a, b, more] = range!.split("-");
      if (more !== undefined || !a || !b) fail(field, text, `has a malformed range "${range}"`);
      lo = number(field, a, text);
      hi = number(field, b, text);
      if (hi < lo) fail(field, text, `has a range ${range} that runs backwards`);
    } else {
      lo = number(field, range!, text);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

function parseDayOfMonth(text: string): DayOfMonthField {
  const f = FIELDS.dom;
  const base = {
    any: false,
    days: new Set<number>(),
    last: false,
    lastOffset: 0,
    nearestWeekday: [] as number[],
    lastWeekday: false,
  };
  if (text === "?") return { ...base, any: true };
  if (text === "*") return { ...base, days: new Set(values(f, "*")) };
  const days = new Set<number>();
  const nearest: number[] = [];
  let last = false;
  let lastOffset = 0;
  let lastWeekday = false;
  for (const part of text.split(",")) {
    const upper = part.toUpperCase();
    if (upper === "L") last = true;
    else if (upper === "LW") lastWeekday = true;
    else if (/^L-\d+$/.test(upper)) {
      last = true;
      lastOffset = Number(upper.slice(2));
      if (lastOffset > 30) fail(f, text, "has an L-offset above 30");
    } else if (/^\d+W$/.test(upper)) nearest.push(number(f, upper.slice(0, -1), text));
    else if (/[LW#]/i.test(part))
      fail(f, text, `has "${part}": L and W stand alone (L, L-3, 15W, LW) and # belongs to day-of-week`);
    else for (const v of values(f, part)) days.add(v);
  }
  return { any: false, days, last, lastOffset, nearestWeekday: nearest, lastWeekday };
}

function parseDayOfWeek(text: string): DayOfWeekField {
  const f = FIELDS.dow;
  const base = { any: false, days: new Set<number>(), lastOf: [] as number[], nth: [] as [number, number][] };
  if (text === "?") return { ...base, any: true };
  const days = new Set<number>();
  const lastOf: number[] = [];
  const nth: [number, number][] = [];
  for (const part of text.split(",")) {
    const upper = part.toUpperCase();
    if (upper === "L")
      days.add(7); // L alone in day-of-week is the last day of the week: Saturday.
    else if (/^[A-Z0-9]+L$/.test(upper)) lastOf.push(number(f, upper.slice(0, -1), text));
    else if (upper.includes("#")) {
      const [d, k, more] = upper.split("#");
      if (more !== undefined || !d || !k || !/^[1-5]$/.test(k))
        fail(f, text, `has "${part}": use day#n with n 1-5, e.g. SUN#1 or 1#1`);
      nth.push([number(f, d, text), Number(k)]);
    } else if (/W/i.test(part) && !DAYS.some((n) => upper.includes(n)))
      fail(f, text, `has "${part}": W belongs to day-of-month`);
    else for (const v of values(f, part)) days.add(v);
  }
  return { any: false, days, lastOf, nth };
}

/**
 * Parses an EventBridge Scheduler expression: `cron(min hour dom month dow year)`, `rate(n unit)` or
 * `at(yyyy-mm-ddThh:mm:ss)`. https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]!);
    if (!m)
      throw new ScheduleExpressionError(
        `rate "${rate[1]}" must be "<n> minute(s)|hour(s)|day(s)", e.g. rate(6 hours)`,
      );
    const value = Number(m[1]);
    const unitWord = m[2]!;
    if (value < 1) throw new ScheduleExpressionError(`rate value ${value} must be a positive whole number`);
    if (value === 1 && unitWord.endsWith("s"))
      throw new ScheduleExpressionError(
        `rate(1 ${unitWord}) must use the singular: rate(1 ${unitWord.slice(0, -1)})`,
      );
    if (value > 1 && !unitWord.endsWith("s"))
      throw new ScheduleExpressionError(
        `rate(${value} ${unitWord}) must use the plural: rate(${value} ${unitWord}s)`,
      );
    const unit = unitWord.replace(/s$/, "") as ParsedRate["unit"];
    const seconds = value * { minute: 60, hour: 3600, day: 86_400 }[unit];
    return { kind: "rate", expression, value, unit, seconds };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const dt = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: "UTC" });
    if (!dt.isValid) throw new ScheduleExpressionError(`at "${expression}" is not a real date and time`);
    return { kind: "at", expression, local: { year, month, day, hour, minute, second } };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) {
    throw new ScheduleExpressionError(
      `"${expression}" is not a schedule expression; use cron(min hour day-of-month month day-of-week year), rate(n unit) or at(yyyy-mm-ddThh:mm:ss)`,
    );
  }
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length} in "${expression}"`,
    );
  }
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) {
    throw new ScheduleExpressionError(
      `one of day-of-month and day-of-week must be "?" (and only one), got "${dom}" and "${dow}" in "${expression}"`,
    );
  }
  for (const [spec, text] of [
    [FIELDS.minute, min],
    [FIELDS.hour, hour],
    [FIELDS.month, month],
    [FIELDS.year, year],
  ] as const) {
    if (text === "?") fail(spec, text, 'may not be "?" (only day-of-month or day-of-week)');
    if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (n) => (MONTHS.includes(n.toUpperCase()) ? "1" : n)))) {
      fail(spec, text, "may not use L, W or #");
    }
  }
  return {
    kind: "cron",
    expression,
    minutes: values(FIELDS.minute, min),
    hours: values(FIELDS.hour, hour),
    dayOfMonth: parseDayOfMonth(dom),
    months: new Set(values(FIELDS.month, month)),
    dayOfWeek: parseDayOfWeek(dow),
    years: new Set(values(FIELDS.year, year)),
  };
}

/** IANA names only: Intl must know it, and offsets ("+05:30") or abbreviations ("IST") are refused. */
export function isValidTimezone(name: string): boolean {
  if (name === "UTC") return true;
  if (!/^[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)+$/.test(name) && name !== "GMT") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function assertTimezone(timezone: string) {
  if (!isValidTimezone(timezone)) {
    throw new ScheduleExpressionError(
      `"${timezone}" is not an IANA timezone name (e.g. Europe/London, Asia/Kolkata, UTC)`,
    );
  }
}

// ---- calendar matching -------------------------------------------------------------------------------------------

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** 1=SUN..7=SAT, AWS numbering. */
const weekday = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1;

/** The weekday nearest to `day` within the same month (Quartz's W rule, which EventBridge follows). */
function nearestWeekday(y: number, m: number, day: number): number {
  const dim = daysInMonth(y, m);
  const d = Math.min(day, dim);
  const wd = weekday(y, m, d);
  if (wd === 7) return d === 1 ? 3 : d - 1; // Saturday: Friday, unless that leaves the month (then Monday the 3rd)
  if (wd === 1) return d === dim ? d - 2 : d + 1; // Sunday: Monday, unless that leaves the month (then Friday)
  return d;
}

function matchesDay(c: ParsedCron, y: number, m: number, d: number): boolean {
  if (!c.years.has(y) || !c.months.has(m)) return false;
  const dim = daysInMonth(y, m);
  if (!c.dayOfMonth.any) {
    const f = c.dayOfMonth;
    if (f.days.has(d) && d <= dim) return true;
    if (f.last && d === dim - f.lastOffset) return true;
    if (f.lastWeekday && d === nearestWeekday(y, m, dim)) return true;
    return f.nearestWeekday.some((n) => n <= dim && nearestWeekday(y, m, n) === d);
  }
  const f = c.dayOfWeek;
  const wd = weekday(y, m, d);
  if (f.days.has(wd)) return true;
  if (f.lastOf.includes(wd) && d + 7 > dim) return true;
  return f.nth.some(([dow, k]) => dow === wd && Math.ceil(d / 7) === k);
}

/**
 * Offset (minutes) of `zone` at instant `ms`: the zone's own offset function, which `DateTime.fromMillis(ms, { zone })`
 * calls, without building a DateTime around it (a schedule's 400-day DST scan asks thousands of times), and each
 * (zone, instant) asked once per process. The zone is normalized as DateTime normalizes it.
 */
const zones = new Map<string, { zone: Zone; offsets: Map<number, number> }>();
function offsetAt(name: string, ms: number): number {
  let z = zones.get(name);
  if (!z) {
    z = { zone: Info.normalizeZone(name), offsets: new Map() };
    zones.set(name, z);
  }
  // A fixed-offset zone (UTC) answers at once; a lookup would cost more than the answer.
  if (z.zone.isUniversal) return z.zone.offset(ms);
  let off = z.offsets.get(ms);
  if (off === undefined) {
    off = z.zone.offset(ms);
    // Bounded: a long-running process (jest's property tests) asks about many instants.
    if (z.offsets.size >= 200_000) z.offsets.clear();
    z.offsets.set(ms, off);
  }
  return off;
}

/**
 * Instants at which a local wall-clock time occurs in `zone`: none in a spring-forward gap, two in a fall-back
 * overlap, otherwise one.
 */
export function localTimeInstants(
  zone: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s = 0,
): number[] {
  return instantsOfWall(zone, Date.UTC(y, mo - 1, d, h, mi, s));
}

/**
 * The first instant of a local wall-clock time (`wall` is that time read as if it were UTC), or undefined in a gap:
 * localTimeInstants(...)[0] without its arrays when the zone's offset is the same a day either side and at the
 * time itself (every day but a transition's), which is most of a year-long scan.
 */
function firstInstantOfWall(zone: string, wall: number): number | undefined {
  const before = offsetAt(zone, wall - 86_400_000);
  if (before === offsetAt(zone, wall + 86_400_000) && before === offsetAt(zone, wall)) {
    const instant = wall - before * 60_000;
    return offsetAt(zone, instant) === before ? instant : undefined;
  }
  return instantsOfWall(zone, wall)[0];
}

function instantsOfWall(zone: string, wall: number): number[] {
  const candidates = new Set([
    offsetAt(zone, wall - 86_400_000),
    offsetAt(zone, wall + 86_400_000),
    offsetAt(zone, wall),
  ]);
  const out: number[] = [];
  for (const off of candidates) {
    const instant = wall - off * 60_000;
    if (offsetAt(zone, instant) === off) out.push(instant);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

export interface Occurrence {
  /** UTC instant of the run, or null when the local time does not exist that day (spring forward). */
  readonly at: Date | null;
  readonly local: { date: string; time: string };
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Every local fire time of a cron expression from the local day containing `from`, in order, until `until` or the
 * year field runs out. A local time in a spring-forward gap yields `at: null` (EventBridge Scheduler skips it);
 * one in the fall-back hour yields the first of its two instants only (it runs once).
 */
export function* cronOccurrences(
  c: ParsedCron,
  timezone: string,
  from: Date,
  until: Date,
): Generator<Occurrence> {
  for (const run of cronRuns(c, timezone, from, until))
    yield {
      at: Number.isNaN(run.at) ? null : new Date(run.at),
      local: { date: run.localDate(), time: run.localTime() },
    };
}

/** How many runs of cronOccurrences have an instant (a run lost in a spring-forward gap does not run), without them. */
export function cronRunCount(c: ParsedCron, timezone: string, from: Date, until: Date): number {
  let n = 0;
  for (const run of cronRuns(c, timezone, from, until)) if (!Number.isNaN(run.at)) n++;
  return n;
}

/** One run of cronRuns; the same object is filled again for the next run, so read it before asking for that. */
interface CronRun {
  /** UTC instant in milliseconds, NaN when the local time does not exist that day. */
  at: number;
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  localDate(): string;
  localTime(): string;
}

/**
 * cronOccurrences' walk without an object, a Date and two strings per run: the year-long scans of the plan
 * (maxIntervalSeconds, dstGapWarnings, nextRuns) read only the instant, and the local time of the few in a gap.
 */
function* cronRuns(c: ParsedCron, timezone: string, from: Date, until: Date): Generator<CronRun> {
  const start = DateTime.fromJSDate(from, { zone: timezone });
  let y = start.year;
  let m = start.month;
  let d = start.day;
  const lastYear = Math.max(...c.years);
  const untilMs = until.getTime();
  const run: CronRun = {
    at: Number.NaN,
    y,
    m,
    d,
    h: 0,
    mi: 0,
    localDate() {
      return `${this.y}-${pad(this.m)}-${pad(this.d)}`;
    },
    localTime() {
      return `${pad(this.h)}:${pad(this.mi)}`;
    },
  };
  for (;;) {
    if (y > lastYear) return;
    if (!c.years.has(y)) {
      y++;
      m = 1;
      d = 1;
      continue;
    }
    if (!c.months.has(m)) {
      m++;
      d = 1;
      if (m > 12) {
        m = 1;
        y++;
      }
      continue;
    }
    if (matchesDay(c, y, m, d)) {
      const day = Date.UTC(y, m - 1, d);
      // firstInstantOfWall's test asked once for the day: when the offset is the same from a day before it to two
      // days after (every run's own test reads offsets within that span), each run is its wall time less that offset,
      // with no question per run. A transition's days take the run-by-run path. The day-long scans (a year of a
      // five-minute schedule for the cost estimate) asked the zone twice per run.
      const before = offsetAt(timezone, day - 86_400_000);
      const steady =
        before === offsetAt(timezone, day) &&
        before === offsetAt(timezone, day + 86_400_000) &&
        before === offsetAt(timezone, day + 2 * 86_400_000);
      for (const h of c.hours) {
        for (const mi of c.minutes) {
          const wall = day + h * 3_600_000 + mi * 60_000;
          const at = steady ? wall - before * 60_000 : firstInstantOfWall(timezone, wall);
          if (at !== undefined && at > untilMs) return;
          if (at === undefined && wall - 14 * 3_600_000 > untilMs) return;
          run.at = at ?? Number.NaN;
          run.y = y;
          run.m = m;
          run.d = d;
          run.h = h;
          run.mi = mi;
          yield run;
        }
      }
    }
    d++;
    if (d > daysInMonth(y, m)) {
      d = 1;
      m++;
      if (m > 12) {
        m = 1;
        y++;
      }
    }
    if (Date.UTC(y, m - 1, d) - 14 * 3_600_000 > untilMs) return;
  }
}

const FAR_FUTURE = new Date(Date.UTC(2200, 0, 1));

/**
 * The next `count` runs strictly after `from`, as EventBridge Scheduler would invoke them in `timezone`.
 * rate() is anchored at `from` (Scheduler anchors a rate at the schedule's creation or start date), so its runs are
 * `from + k * period`.
 */
export function nextRuns(expression: string, timezone: string, from: Date, count: number): Date[] {
  assertTimezone(timezone);
  const parsed = parseScheduleExpression(expression);
  const out: Date[] = [];
  if (parsed.kind === "rate") {
    for (let k = 1; k <= count; k++) out.push(new Date(from.getTime() + k * parsed.seconds * 1000));
    return out;
  }
  if (parsed.kind === "at") {
    const { year, month, day, hour, minute, second } = parsed.local;
    const [at] = localTimeInstants(timezone, year, month, day, hour, minute, second);
    return at !== undefined && at > from.getTime() && count > 0 ? [new Date(at)] : [];
  }
  for (const run of cronRuns(parsed, timezone, from, FAR_FUTURE)) {
    if (run.at > from.getTime()) {
      out.push(new Date(run.at));
      if (out.length >= count) break;
    }
  }
  return out;
}

export interface DstGapWarning {
  readonly localDate: string;
  readonly localTime: string;
  readonly timezone: string;
}

/** Local fire times within `horizonDays` that fall into the timezone's spring-forward gap (those runs never happen). */
export function dstGapWarnings(
  expression: string,
  timezone: string,
  from: Date,
  horizonDays = 400,
): DstGapWarning[] {
  assertTimezone(timezone);
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind === "rate") return [];
  const until = new Date(from.getTime() + horizonDays * 86_400_000);
  if (parsed.kind === "at") {
    const { year, month, day, hour, minute, second } = parsed.local;
    return localTimeInstants(timezone, year, month, day, hour, minute, second).length === 0
      ? [
          {
            localDate: `${year}-${pad(month)}-${pad(day)}`,
            localTime: `${pad(hour)}:${pad(minute)}`,
            timezone,
          },
        ]
      : [];
  }
  const out: DstGapWarning[] = [];
  let seen = 0;
  for (const run of cronRuns(parsed, timezone, from, until)) {
    if (++seen > 600_000) break; // a per-minute schedule over the horizon: enough to have crossed every transition
    if (Number.isNaN(run.at)) out.push({ localDate: run.localDate(), localTime: run.localTime(), timezone });
  }
  return out;
}

/**
 * The longest gap in seconds between consecutive runs, used to size dead-man alarms: daily -> 86400 (90000 across a
 * DST change), weekly -> 604800, first Sunday of the month -> ~35 days, yearly -> 366 days. It looks at the runs of the
 * 400 days from the first, and further while a gap is long: until four of the longest gaps seen (so a yearly
 * schedule's leap year, a leap-day schedule's next leap day, are in view); a cron whose years have holes, until they
 * run out. Infinite with fewer than two runs (at(), years run out).
 */
export function maxIntervalSeconds(expression: string, timezone: string, from: Date): number {
  assertTimezone(timezone);
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind === "rate") return parsed.seconds;
  if (parsed.kind === "at") return Number.POSITIVE_INFINITY;
  // The scan below reads `from` only as the local day its runs start from and the UTC year the year field is read
  // from, so calls that share those share the answer (the plan asks ~130 times for ~30 schedules).
  const key = `${expression}\n${timezone}\n${DateTime.fromJSDate(from, { zone: timezone }).toISODate()}\n${from.getUTCFullYear()}`;
  let gap = longestGaps.get(key);
  if (gap === undefined) {
    gap = scanLongestGap(parsed, timezone, from);
    if (longestGaps.size >= 10_000) longestGaps.clear();
    longestGaps.set(key, gap);
  }
  return gap;
}

const longestGaps = new Map<string, number>();

function scanLongestGap(parsed: ParsedCron, timezone: string, from: Date): number {
  // Consecutive years repeat the calendar, so their runs stop once four of the longest gaps are seen (past 400 days
  // after the first run). Years with holes (2040,2041,2050) may leave any gap later on: those look until they run out.
  const ahead = [...parsed.years].filter((y) => y >= from.getUTCFullYear() - 1);
  const repeats = ahead.length === Math.max(...ahead) - Math.min(...ahead) + 1;
  let first: number | undefined;
  let previous: number | undefined;
  let longest = 0;
  let runs = 0;
  for (const run of cronRuns(parsed, timezone, from, FAR_FUTURE)) {
    if (Number.isNaN(run.at)) continue;
    const t = run.at;
    first ??= t;
    if (previous !== undefined) longest = Math.max(longest, (t - previous) / 1000);
    previous = t;
    if (++runs > 100_000) break; // sub-hourly schedules: a few weeks of runs already bound the gap
    if (repeats && t > first + Math.max(400 * 86_400_000, 4 * longest * 1000)) break;
  }
  return runs < 2 ? Number.POSITIVE_INFINITY : longest;
}
