// A reindex that rebuilds only bloated indexes (the runbooks' "REINDEX (if fragmentation > 20%)"): the target's
// indexes from the catalog, each measured with pgstattuple's pgstatindex(), rebuilt one by one (CONCURRENTLY where
// the task says so) when over the threshold, with what was rebuilt, skipped and left unmeasured reported.
import type { Task } from "./config";
import { quoteIdent, tableParts } from "./quote";
import type { Db } from "./session";

type Reindex = Extract<Task, { kind: "reindex" }>;

/** One index of the target, from the catalog (by value, never by interpolated name). */
export interface CandidateIndex {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly method: string;
  readonly fillfactor: number;
}

export interface IndexVerdict {
  /** `schema.index`, the metric's `Index` dimension. */
  readonly index: string;
  /** Percent the leaf pages are emptier than the fillfactor; null when it could not be measured. */
  readonly bloatPercent: number | null;
  readonly action: "rebuilt" | "skipped" | "would-rebuild";
  readonly reason: string;
}

/**
 * pgstatindex() reads every page of the index: exact, where a statistics-only estimate (from reltuples and column
 * widths) is off by tens of percent on wide or skewed keys; the runbook asks for a threshold, so the figure must hold.
 * The extension ships with PostgreSQL (contrib) and RDS, Aurora and Supabase allow it. It measures btree indexes only.
 * https://www.postgresql.org/docs/current/pgstattuple.html
 */
export async function candidateIndexes(db: Db, target: Reindex["target"]): Promise<CandidateIndex[]> {
  const table = "table" in target ? tableParts("postgres", target.table) : null;
  const index = "index" in target ? tableParts("postgres", target.index) : null;
  const r = await db.query(
    `SELECT c.oid::int AS oid, n.nspname AS s, c.relname AS i, am.amname AS am,
            COALESCE((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 90) AS ff
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am am ON am.oid = c.relam
      WHERE x.indisvalid AND c.relpersistence = 'p'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        AND ($1::text IS NULL OR (n.nspname = $1 AND t.relname = $2))
        AND ($3::text IS NULL OR (n.nspname = $3 AND c.relname = $4))
      ORDER BY n.nspname, c.relname`,
    [table?.schema ?? null, table?.table ?? null, index?.schema ?? null, index?.table ?? null],
  );
  return r.rows.map((row) => ({
    oid: Number(row.oid),
    schema: String(row.s),
    name: String(row.i),
    method: String(row.am),
    fillfactor: Number(row.ff),
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

/** Bloat of a btree index: how far its leaf density is below its fillfactor, in percent (0 for an empty index). */
export function bloatPercentOf(avgLeafDensity: number, fillfactor: number): number {
  if (!Number.isFinite(avgLeafDensity) || avgLeafDensity <= 0) return 0;
  return Math.max(0, Math.round((1 - avgLeafDensity / fillfactor) * 1000) / 10);
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
      `SELECT avg_leaf_density AS d FROM ${quoteIdent("postgres", ext.schema)}.pgstatindex($1::oid::regclass)`,
      [c.oid],
    );
    return { percent: bloatPercentOf(Number(r.rows[0]?.d), c.fillfactor) };
  } catch (e) {
    // 42501: the maintenance user lacks pg_stat_scan_tables; measuring is then impossible for every index.
    if ((e as { code?: string }).code === "42501") return { unmeasured: (e as Error).message };
    throw e;
  }
}

/**
 * Measures each of the target's indexes and rebuilds those over the threshold, one REINDEX INDEX each; an index it
 * cannot measure is rebuilt (what the task did before it had a condition) and reported. `report` gets each measured
 * figure; a dry run rebuilds nothing.
 */
export async function conditionalReindex(
  db: Db,
  t: Reindex,
  report: (index: string, bloatPercent: number) => void,
): Promise<IndexVerdict[]> {
  // CONCURRENTLY exists from PostgreSQL 12: https://www.postgresql.org/docs/12/sql-reindex.html
  if (t.concurrently && db.versionNum < 120000)
    throw new Error(`REINDEX CONCURRENTLY needs PostgreSQL 12 or later (server ${db.versionNum})`);
  const candidates = await candidateIndexes(db, t.target);
  if ("index" in t.target && candidates.length === 0)
    throw new Error(`no valid index ${JSON.stringify(t.target.index)} in this database`);
  const ext = await pgstattuple(db);
  const threshold = t.ifBloatOverPercent;
  const out: IndexVerdict[] = [];
  for (const c of candidates) {
    const label = `${c.schema}.${c.name}`;
    const m =
      threshold === undefined
        ? { unmeasured: "no threshold: every index is rebuilt" }
        : await measure(db, ext, c);
    if ("percent" in m) report(label, m.percent);
    const over = "percent" in m ? m.percent > threshold! : true;
    const reason =
      "percent" in m
        ? `bloat ${m.percent}% ${over ? ">" : "<="} ${threshold}%`
        : `unmeasured (${m.unmeasured}): rebuilt as without the condition`;
    const percent = "percent" in m ? m.percent : null;
    if (!over) {
      out.push({ index: label, bloatPercent: percent, action: "skipped", reason });
      continue;
    }
    if (!t.dryRun)
      await db.query(
        `REINDEX INDEX${t.concurrently ? " CONCURRENTLY" : ""} ${quoteIdent("postgres", c.schema)}.${quoteIdent("postgres", c.name)}`,
      );
    out.push({
      index: label,
      bloatPercent: percent,
      action: t.dryRun ? "would-rebuild" : "rebuilt",
      reason,
    });
  }
  return out;
}
