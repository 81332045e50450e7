// What needs a second reviewer, by leaf: shortened retention, lowered floors, raised deletion caps, dry run turned
// off, wherever the value lives (a resource input or a field inside a JSON-valued input such as a job's JOB_CONFIG).

/** A changed leaf: its full path (`environment.variables.JOB_CONFIG.databases[app].retentionDays.daily`) and values. */
export interface LeafChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

type Direction = "shortened" | "lowered" | "raised";

/**
 * The rules, matched against the path's last segments. Retention: a smaller value (or none) keeps data for less
 * time. Floors: fewer kept. Caps and freshness guards: a higher value lets more go, or go while backups are older.
 * The list follows docs/reviewing.md ("Never merge without a second reviewer").
 */
const RULES: readonly { readonly pattern: RegExp; readonly direction: Direction }[] = [
  { pattern: /(^|\.)retentionInDays$/, direction: "shortened" },
  { pattern: /(^|\.)expiration\.days$/, direction: "shortened" },
  { pattern: /(^|\.)noncurrentVersionExpiration\.noncurrentDays$/, direction: "shortened" },
  { pattern: /(^|\.)defaultRetention\.(days|years)$/, direction: "shortened" },
  { pattern: /(^|\.)messageRetentionSeconds$/, direction: "shortened" },
  { pattern: /(^|\.)deletionWindowInDays$/, direction: "shortened" },
  // Inside job config: dump tiers (retentionDays.<tier>), log hot retention (retentionDays), archive expiry.
  { pattern: /(^|\.)(hot)?[rR]etentionDays(\.\w+)?$/, direction: "shortened" },
  { pattern: /(^|\.)expirationDays$/, direction: "shortened" },
  { pattern: /(^|\.)keepWithin(Daily|Weekly|Monthly|Yearly)?$/, direction: "shortened" },
  { pattern: /(^|\.)keepLast(Floor)?$/, direction: "lowered" },
  { pattern: /(^|\.)(maxDeletesPerRun|maxMarksPerRun)$/, direction: "raised" },
  { pattern: /(^|\.)(freshnessHours|freshnessSeconds|drFreshnessHours)$/, direction: "raised" },
  // Database maintenance (archive/purge cutoffs and per-run row cap) and host chores (file and image ages, the bound
  // on files one run may touch, pgBackRest's full backups kept; read from the generated script).
  { pattern: /(^|\.)(olderThanDays|olderThanHours)$/, direction: "shortened" },
  { pattern: /(^|\.)(maxRowsPerRun|maxFiles)$/, direction: "raised" },
  { pattern: /(^|\.)retentionFull$/, direction: "lowered" },
];

const UNIT_HOURS: Record<string, number> = { y: 8766, m: 730.5, w: 168, d: 24, h: 1 };

/** A number, or a restic-style duration (`30d`, `1y`, `2y5m7d3h`) in hours, else undefined. */
function magnitude(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string" || !/^(\d+[ymwdh])+$/.test(v)) return undefined;
  let hours = 0;
  for (const [, n, u] of v.matchAll(/(\d+)([ymwdh])/g)) hours += Number(n) * UNIT_HOURS[u!]!;
  return hours;
}

const show = (v: unknown) => (v === undefined ? "unset" : typeof v === "string" ? v : JSON.stringify(v));

/** One line per leaf change a second reviewer must approve, naming the path and both values. */
export function reviewFlags(changes: readonly LeafChange[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (/(^|\.)dryRun$/.test(c.path) && c.before === true && c.after !== true) {
      out.push(`${c.path}: dry run turned off (${show(c.before)} => ${show(c.after)})`);
      continue;
    }
    if (/(^|\.)allowEmptying$/.test(c.path) && c.after === true && c.before !== true) {
      out.push(`${c.path}: allowed to empty the table (${show(c.before)} => ${show(c.after)})`);
      continue;
    }
    if (/\.script\.tasks\[[^\]]+\]\.files$/.test(c.path) && c.after !== undefined) {
      // A chore that deletes or compresses other files than before (or new ones): its directory or pattern changed.
      out.push(`${c.path}: selects other files (${show(c.before)} => ${show(c.after)})`);
      continue;
    }
    const rule = RULES.find((r) => r.pattern.test(c.path));
    if (!rule) continue;
    const a = magnitude(c.before);
    const b = magnitude(c.after);
    if (a === undefined) continue;
    const worse = rule.direction === "raised" ? b !== undefined && b > a : b === undefined || b < a;
    if (worse) out.push(`${c.path} ${rule.direction} from ${show(c.before)} to ${show(c.after)}`);
  }
  return out;
}
