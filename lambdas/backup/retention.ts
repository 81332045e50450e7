// Retention planning with restic's `forget` semantics for --keep-last and --keep-within-{daily,weekly,monthly,yearly}
// (restic internal/restic/snapshot_policy.go ApplyPolicy, internal/restic/duration.go ParseDuration). Pure.

export interface SnapshotRef {
  readonly id: string;
  readonly createdAt: Date;
}

export interface RetentionPolicy {
  readonly keepLast?: number;
  readonly keepWithinDaily?: string;
  readonly keepWithinWeekly?: string;
  readonly keepWithinMonthly?: string;
  readonly keepWithinYearly?: string;
}

export interface RetentionPlan {
  readonly keep: { id: string; reasons: string[] }[];
  readonly remove: { id: string }[];
}

/** restic's Duration: years, months, days, hours, each applied with calendar arithmetic. */
export interface ResticDuration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

export class RetentionPolicyError extends Error {
  override name = "RetentionPolicyError";
}

/**
 * Parses `30d`, `1m`, `1y`, `2y5m7d3h` as restic does: a sequence of <number><unit> with units y, m, d, h; a repeated
 * unit overwrites the earlier one, as in restic. restic also accepts a leading '-'; a retention window cannot be
 * negative, so that is an error here.
 */
export function parseDuration(text: string): ResticDuration {
  if (text === "") throw new RetentionPolicyError('duration "" is empty; use e.g. 30d, 1m, 1y, 2y5m7d3h');
  const d = { years: 0, months: 0, days: 0, hours: 0 };
  const re = /(\d+)(\D?)/gy;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    consumed = re.lastIndex;
    const n = Number(m[1]);
    switch (m[2]) {
      case "y":
        d.years = n;
        break;
      case "m":
        d.months = n;
        break;
      case "d":
        d.days = n;
        break;
      case "h":
        d.hours = n;
        break;
      case "":
        throw new RetentionPolicyError(`duration "${text}": no unit after number ${n}; units are y, m, d, h`);
      default:
        throw new RetentionPolicyError(
          `duration "${text}": invalid unit "${m[2]}" after number ${n}; units are y, m, d, h`,
        );
    }
  }
  if (consumed !== text.length) {
    throw new RetentionPolicyError(
      `duration "${text}" is not <number><unit>...; use e.g. 30d, 1m, 1y, 2y5m7d3h`,
    );
  }
  return d;
}

/** restic's Duration.String(): non-zero parts in y, m, d, h order. */
export function formatDuration(d: ResticDuration): string {
  const s = `${d.years ? `${d.years}y` : ""}${d.months ? `${d.months}m` : ""}${d.days ? `${d.days}d` : ""}${d.hours ? `${d.hours}h` : ""}`;
  return s;
}

const isZero = (d: ResticDuration) => d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0;

/**
 * `latest.AddDate(-y, -m, -d).Add(-h hours)` in UTC. Go's AddDate normalises overflow exactly as Date.UTC does
 * (March 31 minus one month is "February 31", i.e. March 3, or March 2 in a leap year).
 */
export function subtractDuration(latest: Date, d: ResticDuration): Date {
  const t = Date.UTC(
    latest.getUTCFullYear() - d.years,
    latest.getUTCMonth() - d.months,
    latest.getUTCDate() - d.days,
    latest.getUTCHours(),
    latest.getUTCMinutes(),
    latest.getUTCSeconds(),
    latest.getUTCMilliseconds(),
  );
  return new Date(t - d.hours * 3_600_000);
}

/** ISO-8601 week-numbering year and week, as Go's Time.ISOWeek. */
export function isoWeek(t: Date): { year: number; week: number } {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const dow = d.getUTCDay() || 7; // Monday=1..Sunday=7
  d.setUTCDate(d.getUTCDate() + 4 - dow); // the Thursday of this week decides the year
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return { year: d.getUTCFullYear(), week: Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7) };
}

const ymd = (t: Date) => t.getUTCFullYear() * 10_000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
const yw = (t: Date) => {
  const { year, week } = isoWeek(t);
  return year * 100 + week;
};
const ym = (t: Date) => t.getUTCFullYear() * 100 + (t.getUTCMonth() + 1);
const y = (t: Date) => t.getUTCFullYear();

export function validatePolicy(policy: RetentionPolicy): void {
  if (policy.keepLast !== undefined && (!Number.isInteger(policy.keepLast) || policy.keepLast < -1)) {
    throw new RetentionPolicyError(`keepLast ${policy.keepLast} must be a whole number (-1 keeps all)`);
  }
  for (const k of ["keepWithinDaily", "keepWithinWeekly", "keepWithinMonthly", "keepWithinYearly"] as const) {
    const v = policy[k];
    if (v !== undefined) {
      try {
        parseDuration(v);
      } catch (e) {
        throw new RetentionPolicyError(`${k}: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * Which snapshots to keep and which to remove. Newest first, like restic; durations count back from the newest
 * snapshot (not from now), so a stalled backup job never ages out the last copies. Within each UTC calendar day /
 * ISO week / month / year inside its window, the newest snapshot is kept. Snapshots with equal times are ordered by
 * id (restic keeps input order there; a stable order makes every run decide the same).
 * An empty policy keeps everything ("policy is empty"), as restic does.
 */
export function planRetention(snapshots: readonly SnapshotRef[], policy: RetentionPolicy): RetentionPlan {
  validatePolicy(policy);
  const list = [...snapshots].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const within = [
    { text: policy.keepWithinDaily, bucket: ymd, reason: "daily within" },
    { text: policy.keepWithinWeekly, bucket: yw, reason: "weekly within" },
    { text: policy.keepWithinMonthly, bucket: ym, reason: "monthly within" },
    { text: policy.keepWithinYearly, bucket: y, reason: "yearly within" },
  ]
    .filter((w) => w.text !== undefined)
    .map((w) => ({ ...w, duration: parseDuration(w.text!), last: Number.NaN }))
    .filter((w) => !isZero(w.duration));
  let lastCount = policy.keepLast ?? 0;
  if (lastCount === 0 && within.length === 0) {
    return { keep: list.map((s) => ({ id: s.id, reasons: ["policy is empty"] })), remove: [] };
  }
  const latest = list[0]?.createdAt;
  const keep: RetentionPlan["keep"] = [];
  const remove: RetentionPlan["remove"] = [];
  for (const cur of list) {
    const reasons: string[] = [];
    if (lastCount !== 0) {
      reasons.push("last snapshot");
      if (lastCount > 0) lastCount--;
    }
    for (const w of within) {
      const cutoff = subtractDuration(latest!, w.duration);
      if (cur.createdAt.getTime() > cutoff.getTime()) {
        const value = w.bucket(cur.createdAt);
        if (value !== w.last) {
          w.last = value;
          reasons.push(`${w.reason} ${formatDuration(w.duration)}`);
        }
      }
    }
    if (reasons.length) keep.push({ id: cur.id, reasons });
    else remove.push({ id: cur.id });
  }
  return { keep, remove };
}
