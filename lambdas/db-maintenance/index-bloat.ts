// A reindex that rebuilds only bloated indexes (the runbooks' "REINDEX (if fragmentation > 20%)"): the leftovers of
// an earlier failed REINDEX CONCURRENTLY dropped first, then the target's indexes from the catalog, each measured with
// pgstattuple's pgstatindex(), rebuilt most bloated first, one by one, while the runner has time for one more
// statement; one index that fails is reported and the rest still run.
import type { Task } from "./config";
import { quoteIdent, tableParts } from "./quote";
import { type Db, isLockTimeout, isStatementTimeout } from "./session";

type Reindex = Extract<Task, { kind: "reindex" }>;

/** One index of the target, from the catalog (by value, never by interpolated name). */
export interface CandidateIndex {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly method: string;
  readonly fillfactor: number;
  /** Backs an exclusion constraint: REINDEX INDEX CONCURRENTLY refuses it (0A000). */
  readonly exclusion: boolean;
}

export interface IndexVerdict {
  /** `schema.index`, the metric's `Index` dimension. */
  readonly index: string;
  /** Percent of the index's leaf level a healthy index would not need; null when it was not measured. */
  readonly bloatPercent: number | null;
  /**
   * rebuilt / would-rebuild (dry run); skipped (under the threshold, or it cannot be rebuilt CONCURRENTLY);
   * dropped / would-drop: an INVALID `_ccnew`/`_ccold` index an earlier REINDEX CONCURRENTLY left; failed: its
   * statement failed (the rest went on); not-done: the runner had no time left for its statement.
   */
  readonly action: "rebuilt" | "would-rebuild" | "skipped" | "dropped" | "would-drop" | "failed" | "not-done";
  readonly reason: string;
  /** failed: the statement gave up on a lock or statement timeout (gave-up), not an error. */
  readonly timeout?: "lock" | "statement";
}

export interface ReindexDeps {
  /** Each measured figure (the IndexBloatPercent metric). */
  readonly report: (index: string, bloatPercent: number) => void;
  /** Null while the runner has time for one more statement; else why not (the statement is not started). */
  readonly noTimeFor: () => string | null;
  /** The session's limits (lock_timeout is raised for a concurrent REINDEX alone, then set back). */
  readonly limits: { readonly lockTimeoutMs: number; readonly statementTimeoutSeconds: number };
}

/** The longest a REINDEX INDEX CONCURRENTLY may wait for its locks. */
export const CONCURRENT_REINDEX_LOCK_TIMEOUT_MS = 60_000;

/**
 * lock_timeout for one REINDEX INDEX CONCURRENTLY: max(the session's, min(60 s, statement_timeout / 2)). Its waits
 * (SHARE UPDATE EXCLUSIVE on the table, then for transactions that predate each phase) conflict with no lock a
 * SELECT, INSERT, UPDATE or DELETE takes, so waiting longer blocks only VACUUM and DDL, never the application; a short
 * one makes every transaction longer than it fail the rebuild, leaving an INVALID _ccnew behind.
 * https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
 */
export function concurrentReindexLockTimeoutMs(limits: ReindexDeps["limits"]): number {
  return Math.max(
    limits.lockTimeoutMs,
    Math.min(CONCURRENT_REINDEX_LOCK_TIMEOUT_MS, Math.floor((limits.statementTimeoutSeconds * 1000) / 2)),
  );
}

/** Runs one REINDEX INDEX, CONCURRENTLY with its longer lock_timeout, set back to the session's after. */
async function reindexOne(db: Db, t: Reindex, c: CandidateIndex, deps: ReindexDeps): Promise<void> {
  const sql = `REINDEX INDEX${t.concurrently ? " CONCURRENTLY" : ""} ${qualified(c)}`;
  const longer = concurrentReindexLockTimeoutMs(deps.limits);
  if (!t.concurrently || longer === deps.limits.lockTimeoutMs) {
    await db.query(sql);
    return;
  }
  // Integers computed here, never config text.
  await db.query(`SET lock_timeout = ${Math.trunc(longer)}`);
  try {
    await db.query(sql);
  } finally {
    await db.query(`SET lock_timeout = ${Math.trunc(deps.limits.lockTimeoutMs)}`);
  }
}

const targetFilter = `($1::text IS NULL OR (n.nspname = $1 AND t.relname = $2))
        AND ($3::text IS NULL OR x.indrelid = (SELECT i.indrelid FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_namespace inn ON inn.oid = ic.relnamespace WHERE inn.nspname = $3 AND ic.relname = $4))`;
const targetParams = (target: Reindex["target"]) => {
  const table = "table" in target ? tableParts("postgres", target.table) : null;
  const index = "index" in target ? tableParts("postgres", target.index) : null;
  return [table?.schema ?? null, table?.table ?? null, index?.schema ?? null, index?.table ?? null];
};

/**
 * The target's valid indexes. relkind 'i' only: a partitioned table's own index (relkind 'I') has no storage
 * (pgstatindex refuses it, 42809); its partitions' indexes are listed themselves.
 * https://www.postgresql.org/docs/current/catalog-pg-class.html
 */
export async function candidateIndexes(db: Db, target: Reindex["target"]): Promise<CandidateIndex[]> {
  const p = targetParams(target);
  const r = await db.query(
    `SELECT c.oid::int AS oid, n.nspname AS s, c.relname AS i, am.amname AS am,
            COALESCE((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 90) AS ff,
            x.indisexclusion AS excl
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am am ON am.oid = c.relam
      WHERE x.indisvalid AND c.relkind = 'i' AND c.relpersistence = 'p'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        AND ($1::text IS NULL OR (n.nspname = $1 AND t.relname = $2))
        AND ($3::text IS NULL OR (n.nspname = $3 AND c.relname = $4))
      ORDER BY n.nspname, c.relname`,
    p,
  );
  return r.rows.map((row) => ({
    oid: Number(row.oid),
    schema: String(row.s),
    name: String(row.i),
    method: String(row.am),
    fillfactor: Number(row.ff),
    exclusion: row.excl === true,
  }));
}

/**
 * INVALID indexes a failed REINDEX CONCURRENTLY left on the target's tables: `<index>_ccnew[N]` (the new copy) or
 * `<index>_ccold[N]` (the old one). PostgreSQL's advice is to drop them ("Rebuilding Indexes Concurrently"):
 * https://www.postgresql.org/docs/current/sql-reindex.html#SQL-REINDEX-CONCURRENTLY
 * A run names only these; an index being built by someone else right now holds a lock DROP INDEX CONCURRENTLY waits
 * for, so that drop gives up after lock_timeout instead.
 */
export async function invalidLeftovers(db: Db, target: Reindex["target"]): Promise<CandidateIndex[]> {
  const r = await db.query(
    `SELECT c.oid::int AS oid, n.nspname AS s, c.relname AS i, am.amname AS am
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am am ON am.oid = c.relam
      WHERE NOT x.indisvalid AND c.relkind = 'i' AND c.relname ~ '_cc(new|old)[0-9]*$'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_temp%'
        AND ${targetFilter}
      ORDER BY n.nspname, c.relname`,
    targetParams(target),
  );
  return r.rows.map((row) => ({
    oid: Number(row.oid),
    schema: String(row.s),
    name: String(row.i),
    method: String(row.am),
    fillfactor: 90,
    exclusion: false,
  }));
}

/** The schema pgstattuple is installed in, or why it cannot be used. */
async function pgstattuple(db: Db): Promise<{ schema: string } | { missing: string }> {
  const r = await db.query(
    "SELECT n.nspname AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgstattuple'",
  );
  const schema = r.rows[0]?.s;
  if (typeof schema === "string") return { schema };
  return {
    missing:
      "pgstattuple is not installed in this database (CREATE EXTENSION pgstattuple; its functions need pg_stat_scan_tables)",
  };
}

/**
 * The leaf density a healthy btree keeps without a rebuild: random-order inserts split pages 50/50 and settle at
 * ln 2 ~ 69 % full (Yao, "On random 2-3 trees", 1978; pgstatindex shows 67-70 % on such indexes), whatever the
 * fillfactor, which only rightmost (ascending-key) splits honour. Measuring against 90 would call every such index
 * ~22 % bloated and rebuild it every month for nothing it keeps.
 */
export const HEALTHY_LEAF_DENSITY = 70;

/** What pgstatindex() reports about the leaf level (its documented columns). */
export interface LeafStats {
  readonly leafPages: number;
  readonly emptyPages: number;
  readonly deletedPages: number;
  /** Average fill of the live leaf pages, percent (NaN for an index with no leaf page). */
  readonly avgLeafDensity: number;
}

/**
 * Bloat of a btree index in percent: the share of its leaf level (live, empty and deleted pages: a range purge
 * leaves the emptied pages deleted, not counted in avg_leaf_density) that a healthy index holding the same live
 * data would not need, a healthy index being one at min(fillfactor, 70 %) density. 0 for an empty index.
 * https://www.postgresql.org/docs/current/pgstattuple.html
 */
export function bloatPercentOf(s: LeafStats, fillfactor: number): number {
  const all = s.leafPages + s.emptyPages + s.deletedPages;
  if (all <= 0 || !Number.isFinite(all)) return 0;
  const density = Number.isFinite(s.avgLeafDensity) && s.avgLeafDensity > 0 ? s.avgLeafDensity : 0;
  const needed = (s.leafPages * density) / Math.min(fillfactor, HEALTHY_LEAF_DENSITY);
  return Math.max(0, Math.round((1 - needed / all) * 1000) / 10);
}

async function measure(
  db: Db,
  ext: { schema: string } | { missing: string },
  c: CandidateIndex,
): Promise<{ percent: number } | { unmeasured: string }> {
  if ("missing" in ext) return { unmeasured: ext.missing };
  if (c.method !== "btree") return { unmeasured: `a ${c.method} index: pgstatindex measures btree only` };
  try {
    const r = await db.query(
      `SELECT leaf_pages AS l, empty_pages AS e, deleted_pages AS d, avg_leaf_density AS ld
         FROM ${quoteIdent("postgres", ext.schema)}.pgstatindex($1::oid::regclass)`,
      [c.oid],
    );
    const row = r.rows[0] ?? {};
    const stats = {
      leafPages: Number(row.l),
      emptyPages: Number(row.e),
      deletedPages: Number(row.d),
      avgLeafDensity: Number(row.ld),
    };
    return { percent: bloatPercentOf(stats, c.fillfactor) };
  } catch (e) {
    // 42501: the maintenance user lacks pg_stat_scan_tables; measuring is then impossible for every index.
    if ((e as { code?: string }).code === "42501") return { unmeasured: (e as Error).message };
    throw e;
  }
}

const labelOf = (c: CandidateIndex) => `${c.schema}.${c.name}`;
const qualified = (c: CandidateIndex) =>
  `${quoteIdent("postgres", c.schema)}.${quoteIdent("postgres", c.name)}`;

/** A statement's failure as a verdict: the task carries on with the next index and fails at the end. */
function failedVerdict(label: string, percent: number | null, e: unknown): IndexVerdict {
  const timeout = isLockTimeout(e) ? "lock" : isStatementTimeout(e) ? "statement" : undefined;
  const code = (e as { code?: string }).code;
  return {
    index: label,
    bloatPercent: percent,
    action: "failed",
    reason: `${code ? `${code} ` : ""}${(e as Error).message}`,
    ...(timeout ? { timeout } : {}),
  };
}

/** Drops (or, in a dry run, names) the INVALID leftovers of earlier failed concurrent rebuilds. */
async function dropLeftovers(db: Db, t: Reindex, deps: ReindexDeps): Promise<IndexVerdict[]> {
  const out: IndexVerdict[] = [];
  const reason = "INVALID, left by a failed REINDEX CONCURRENTLY";
  for (const c of await invalidLeftovers(db, t.target)) {
    const late = deps.noTimeFor();
    if (late) {
      out.push({ index: labelOf(c), bloatPercent: null, action: "not-done", reason: late });
      continue;
    }
    if (t.dryRun) {
      out.push({ index: labelOf(c), bloatPercent: null, action: "would-drop", reason });
      continue;
    }
    try {
      await db.query(`DROP INDEX CONCURRENTLY ${qualified(c)}`);
      out.push({ index: labelOf(c), bloatPercent: null, action: "dropped", reason });
    } catch (e) {
      out.push(failedVerdict(labelOf(c), null, e));
    }
  }
  return out;
}

type Measured = { c: CandidateIndex; percent: number | null; reason: string } | { verdict: IndexVerdict };

/** Measures one candidate, or says why it is skipped, failed or not done. */
async function assess(
  db: Db,
  t: Reindex,
  ext: Awaited<ReturnType<typeof pgstattuple>>,
  c: CandidateIndex,
  deps: ReindexDeps,
): Promise<Measured> {
  const label = labelOf(c);
  if (c.exclusion && t.concurrently)
    return {
      verdict: {
        index: label,
        bloatPercent: null,
        action: "skipped",
        reason:
          "backs an exclusion constraint: REINDEX CONCURRENTLY cannot rebuild it (REINDEX TABLE/DATABASE CONCURRENTLY skip it too); a reindex without CONCURRENTLY, in a window, can",
      },
    };
  const threshold = t.ifBloatOverPercent;
  if (threshold === undefined)
    return { c, percent: null, reason: "unmeasured (no threshold): every index is rebuilt" };
  const late = deps.noTimeFor();
  if (late) return { verdict: { index: label, bloatPercent: null, action: "not-done", reason: late } };
  let m: Awaited<ReturnType<typeof measure>>;
  try {
    m = await measure(db, ext, c);
  } catch (e) {
    return { verdict: failedVerdict(label, null, e) };
  }
  if ("unmeasured" in m)
    return { c, percent: null, reason: `unmeasured (${m.unmeasured}): rebuilt as without the condition` };
  deps.report(label, m.percent);
  const over = m.percent > threshold;
  const reason = `bloat ${m.percent}% ${over ? ">" : "<="} ${threshold}%`;
  if (!over) return { verdict: { index: label, bloatPercent: m.percent, action: "skipped", reason } };
  return { c, percent: m.percent, reason };
}

/**
 * Drops the leftovers of failed concurrent rebuilds, measures each of the target's indexes and rebuilds those over
 * the threshold (one REINDEX INDEX each, most bloated first so a run cut short by its runner does the most useful
 * ones; unmeasured ones last), each statement started only while the runner has time for it. An index it cannot
 * measure is rebuilt (what the task did before it had a condition). Verdicts come in catalog order, leftovers first.
 */
export async function conditionalReindex(db: Db, t: Reindex, deps: ReindexDeps): Promise<IndexVerdict[]> {
  // CONCURRENTLY exists from PostgreSQL 12: https://www.postgresql.org/docs/12/sql-reindex.html
  if (t.concurrently && db.versionNum < 120000)
    throw new Error(`REINDEX CONCURRENTLY needs PostgreSQL 12 or later (server ${db.versionNum})`);
  const leftovers = await dropLeftovers(db, t, deps);
  const candidates = await candidateIndexes(db, t.target);
  if ("index" in t.target && candidates.length === 0)
    throw new Error(`no valid index ${JSON.stringify(t.target.index)} in this database`);
  const ext = await pgstattuple(db);
  const verdicts = new Map<string, IndexVerdict>();
  const toRebuild: { c: CandidateIndex; percent: number | null; reason: string }[] = [];
  for (const c of candidates) {
    const a = await assess(db, t, ext, c, deps);
    if ("verdict" in a) verdicts.set(labelOf(c), a.verdict);
    else toRebuild.push(a);
  }
  toRebuild.sort((a, b) => (b.percent ?? -1) - (a.percent ?? -1));
  for (const { c, percent, reason } of toRebuild) {
    const label = labelOf(c);
    const late = deps.noTimeFor();
    if (late) {
      verdicts.set(label, { index: label, bloatPercent: percent, action: "not-done", reason: late });
      continue;
    }
    if (t.dryRun) {
      verdicts.set(label, { index: label, bloatPercent: percent, action: "would-rebuild", reason });
      continue;
    }
    try {
      await reindexOne(db, t, c, deps);
      verdicts.set(label, { index: label, bloatPercent: percent, action: "rebuilt", reason });
    } catch (e) {
      verdicts.set(label, failedVerdict(label, percent, e));
    }
  }
  return [...leftovers, ...candidates.map((c) => verdicts.get(labelOf(c))!)];
}
