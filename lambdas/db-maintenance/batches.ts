// Archive and purge in keyset-paginated batches, pt-archiver's rules: walk a unique index in order, one transaction
// per batch (move into the archive, then delete by key with the filter checked again), bounded batch size, run time
// and rows per run, a dry run; and refuse when the inputs look wrong (no unique key, columns that differ, a cutoff
// that would empty the table). A crash or retry never duplicates or loses a row: a batch commits whole or not at all.
import type { Task } from "./config";
import { quoteIdent, quoteTable, tableParts } from "./quote";
import type { Db } from "./session";

type Archive = Extract<Task, { kind: "archive" }>;
type Purge = Extract<Task, { kind: "purge" }>;

export interface BatchResult {
  readonly rows: number;
  readonly batches: number;
  /** Why the run stopped: nothing left, its time, its row cap; or a dry run that only counted. */
  readonly stoppedBy: "done" | "time" | "rows" | "dry-run";
  /** The longest a batch held its locks (its transaction's open time), in milliseconds. */
  readonly longestBatchMs: number;
}

export class RefusedError extends Error {
  override name = "RefusedError";
}

export interface BatchDeps {
  readonly now: () => Date;
  /** Test seam: runs inside a batch's transaction after its writes, before COMMIT. */
  readonly beforeCommit?: (db: Db, batch: number) => Promise<void>;
}

const ph = (db: Db, n: number) => (db.engine === "postgres" ? `$${n}` : "?");

/** The key column must carry a unique single-column index: otherwise keyset batches could skip or repeat rows. */
async function requireUniqueKey(db: Db, t: Archive | Purge): Promise<void> {
  const { schema, table } = tableParts(db.engine, t.table);
  const sql =
    db.engine === "postgres"
      ? `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
         WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND i.indisunique AND i.indnkeyatts = 1`
      : `SELECT 1 FROM information_schema.statistics s WHERE s.table_schema = DATABASE() AND s.table_name = ?
         AND s.column_name = ? AND s.non_unique = 0 AND s.seq_in_index = 1 AND NOT EXISTS (
           SELECT 1 FROM information_schema.statistics o WHERE o.table_schema = s.table_schema
           AND o.table_name = s.table_name AND o.index_name = s.index_name AND o.seq_in_index = 2)`;
  const params = db.engine === "postgres" ? [schema, table, t.keyColumn] : [table, t.keyColumn];
  const r = await db.query(sql, params);
  if (r.rows.length === 0)
    throw new RefusedError(
      `${t.name}: ${t.keyColumn} of ${table} has no unique single-column index; batches walk such a key (a primary key)`,
    );
}

async function columnsOf(db: Db, ref: Archive["table"]): Promise<string[]> {
  const { schema, table } = tableParts(db.engine, ref);
  const r =
    db.engine === "postgres"
      ? await db.query(
          "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
          [schema, table],
        )
      : await db.query(
          "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
          [table],
        );
  return r.rows.map(
    (row) => `${String(row.c ?? row.C ?? row.COLUMN_NAME)} ${String(row.t ?? row.T ?? row.DATA_TYPE)}`,
  );
}

/** The archive receives `SELECT *` as the runbooks write it, so both tables must have the same columns in order. */
async function requireSameColumns(db: Db, t: Archive): Promise<void> {
  const [src, dst] = await Promise.all([columnsOf(db, t.table), columnsOf(db, t.archiveTable)]);
  if (src.length === 0) throw new RefusedError(`${t.name}: table ${JSON.stringify(t.table)} not found`);
  if (dst.length === 0)
    throw new RefusedError(`${t.name}: archive table ${JSON.stringify(t.archiveTable)} not found`);
  if (src.join(",") !== dst.join(","))
    throw new RefusedError(
      `${t.name}: the archive table's columns (${dst.join(", ")}) are not the table's (${src.join(", ")})`,
    );
}

/** The filter a row must match to go, as SQL with its parameter: past the cutoff, or past its own expiry. */
function filterOf(db: Db, t: Archive | Purge, now: Date, n: number): { sql: string; value: Date } {
  if (t.kind === "purge" && t.expiresColumn)
    return { sql: `${quoteIdent(db.engine, t.expiresColumn)} < ${ph(db, n)}`, value: now };
  const days = t.olderThanDays!;
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  return { sql: `${quoteIdent(db.engine, t.timestampColumn!)} < ${ph(db, n)}`, value: cutoff };
}

/** Refuses when every row would go (unless allowed): the likely cause is a wrong column or clock, not old data. */
async function refuseEmptying(
  db: Db,
  t: Archive | Purge,
  filter: { sql: string; value: Date },
): Promise<number> {
  const src = quoteTable(db.engine, t.table);
  const r = await db.query(
    `SELECT count(*) AS total, count(CASE WHEN ${filter.sql} THEN 1 END) AS due FROM ${src}`,
    [filter.value],
  );
  const total = Number(r.rows[0]?.total ?? 0);
  const due = Number(r.rows[0]?.due ?? 0);
  if (!t.allowEmptying && total > 0 && due === total)
    throw new RefusedError(
      `${t.name}: every one of the ${total} rows of the table matches (${filter.sql.replace(/\$1|\?/, filter.value.toISOString())}); ` +
        "refusing to empty it (a wrong column or clock?); set allowEmptying: true if it may",
    );
  return due;
}

/** Archives (move, then delete) or purges (delete) rows in batches; see the file comment for the rules. */
export async function runBatches(db: Db, t: Archive | Purge, deps: BatchDeps): Promise<BatchResult> {
  const started = deps.now().getTime();
  await requireUniqueKey(db, t);
  if (t.kind === "archive") await requireSameColumns(db, t);
  const now = deps.now();
  const filter = filterOf(db, t, now, 1);
  const due = await refuseEmptying(db, t, filter);
  if (t.dryRun)
    return { rows: Math.min(due, t.maxRowsPerRun), batches: 0, stoppedBy: "dry-run", longestBatchMs: 0 };

  const e = db.engine;
  const src = quoteTable(e, t.table);
  const key = quoteIdent(e, t.keyColumn);
  let last: unknown = null;
  let rows = 0;
  let batches = 0;
  let longest = 0;
  for (;;) {
    if (rows >= t.maxRowsPerRun) return { rows, batches, stoppedBy: "rows", longestBatchMs: longest };
    if (deps.now().getTime() - started >= t.maxSeconds * 1000)
      return { rows, batches, stoppedBy: "time", longestBatchMs: longest };
    const limit = Math.min(t.batchSize, t.maxRowsPerRun - rows);
    const t0 = Date.now();
    await db.query("BEGIN");
    try {
      // The batch's keys, locked, in key order after the last batch (keyset pagination on the unique index).
      const after = last === null ? "" : ` AND ${key} > ${ph(db, 2)}`;
      const keys = await db.query(
        `SELECT ${key} AS k FROM ${src} WHERE ${filter.sql}${after} ORDER BY ${key} LIMIT ${Math.trunc(limit)} FOR UPDATE`,
        last === null ? [filter.value] : [filter.value, last],
      );
      const ks = keys.rows.map((r) => r.k);
      if (ks.length === 0) {
        await db.query("COMMIT");
        return { rows, batches, stoppedBy: "done", longestBatchMs: longest };
      }
      const moved = await moveBatch(db, t, filter, ks);
      if (deps.beforeCommit) await deps.beforeCommit(db, batches + 1);
      await db.query("COMMIT");
      rows += moved;
      batches += 1;
      last = ks[ks.length - 1];
    } catch (err) {
      await db.query("ROLLBACK").catch(() => {});
      throw err;
    }
    longest = Math.max(longest, Date.now() - t0);
  }
}

/** One batch's writes: the filter is checked again on every statement, and archive's insert and delete must agree. */
async function moveBatch(
  db: Db,
  t: Archive | Purge,
  filter: { sql: string; value: Date },
  ks: unknown[],
): Promise<number> {
  const e = db.engine;
  const src = quoteTable(e, t.table);
  const key = quoteIdent(e, t.keyColumn);
  if (e === "postgres") {
    const where = `${filter.sql} AND ${key} = ANY(${ph(db, 2)})`;
    if (t.kind === "purge")
      return (await db.query(`DELETE FROM ${src} WHERE ${where}`, [filter.value, ks])).affected;
    // One statement: the rows deleted are exactly the rows inserted.
    const r = await db.query(
      `WITH moved AS (DELETE FROM ${src} WHERE ${where} RETURNING *) INSERT INTO ${quoteTable(e, t.archiveTable)} SELECT * FROM moved`,
      [filter.value, ks],
    );
    return r.affected;
  }
  const where = `${filter.sql} AND ${key} IN (?)`;
  if (t.kind === "purge")
    return (await db.query(`DELETE FROM ${src} WHERE ${where}`, [filter.value, ks])).affected;
  const inserted = (
    await db.query(`INSERT INTO ${quoteTable(e, t.archiveTable)} SELECT * FROM ${src} WHERE ${where}`, [
      filter.value,
      ks,
    ])
  ).affected;
  const deleted = (await db.query(`DELETE FROM ${src} WHERE ${where}`, [filter.value, ks])).affected;
  if (inserted !== deleted)
    throw new Error(
      `${t.name}: a batch inserted ${inserted} archive rows but deleted ${deleted}; rolled back`,
    );
  return deleted;
}
