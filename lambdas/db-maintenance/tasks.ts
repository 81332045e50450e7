// The statement-level tasks: VACUUM, ANALYZE, REINDEX, rebuild (VACUUM FULL or ALTER TABLE ... FORCE) and the bloat
// report, with every name quoted; archive and purge are in batches.ts, checks in checks.ts.
import type { Task } from "./config";
import { quoteIdent, quoteTable, tableLabel } from "./quote";
import type { Db } from "./session";

/** One table's figures from statistics that are cheap to read (no table scan). */
export interface TableBloat {
  readonly table: string;
  readonly bytes: number;
  /** PostgreSQL: dead tuples / (live + dead). MySQL: data_free / (data + index + free). */
  readonly bloatRatio: number;
  readonly deadRows: number;
}

const tablesOf = (db: Db, tables: readonly Parameters<typeof quoteTable>[1][] | undefined) =>
  (tables ?? []).map((t) => quoteTable(db.engine, t)).join(", ");

/** Runs a statement task; returns what it ran (for the log), never the data. */
export async function runStatementTask(
  db: Db,
  t: Extract<Task, { kind: "vacuum" | "analyze" | "reindex" | "rebuild" }>,
): Promise<string[]> {
  const statements = await resolveStatements(db, statementsFor(db, t));
  for (const s of statements) {
    const r = await db.query(s);
    // MySQL's ANALYZE TABLE reports per-table problems as rows, not errors.
    const bad = r.rows.find((row) => String(row.Msg_type ?? "").toLowerCase() === "error");
    if (bad) throw new Error(`${s}: ${String(bad.Msg_text)}`);
  }
  return statements;
}

export function statementsFor(
  db: Db,
  t: Extract<Task, { kind: "vacuum" | "analyze" | "reindex" | "rebuild" }>,
): string[] {
  const e = db.engine;
  switch (t.kind) {
    case "vacuum":
      if (e !== "postgres") throw new Error("VACUUM is PostgreSQL's; MySQL's equivalent is rebuild");
      return [`VACUUM${t.analyze ? " (ANALYZE)" : ""}${t.tables ? ` ${tablesOf(db, t.tables)}` : ""}`];
    case "analyze":
      if (e === "mysql") {
        if (!t.tables) throw new Error("MySQL's ANALYZE TABLE needs its tables listed");
        return [`ANALYZE TABLE ${tablesOf(db, t.tables)}`];
      }
      return [`ANALYZE${t.tables ? ` ${tablesOf(db, t.tables)}` : ""}`];
    case "reindex": {
      if (e !== "postgres") throw new Error("REINDEX is PostgreSQL's; MySQL rebuilds indexes with rebuild");
      // CONCURRENTLY exists from PostgreSQL 12: https://www.postgresql.org/docs/12/sql-reindex.html
      if (t.concurrently && db.versionNum < 120000)
        throw new Error(`REINDEX CONCURRENTLY needs PostgreSQL 12 or later (server ${db.versionNum})`);
      const c = t.concurrently ? " CONCURRENTLY" : "";
      if ("database" in t.target) return [`REINDEX DATABASE${c} CURRENT_DATABASE_PLACEHOLDER`];
      if ("table" in t.target) return [`REINDEX TABLE${c} ${quoteTable(e, t.target.table)}`];
      return [`REINDEX INDEX${c} ${quoteTable(e, t.target.index)}`];
    }
    case "rebuild":
      if (e === "postgres")
        return [
          `VACUUM (FULL${t.analyze ? ", ANALYZE" : ""})${t.tables ? ` ${tablesOf(db, t.tables)}` : ""}`,
        ];
      if (!t.tables) throw new Error("MySQL's rebuild needs its tables listed");
      // OPTIMIZE TABLE on InnoDB is ALTER TABLE ... FORCE (a recreate), which reports errors as errors:
      // https://dev.mysql.com/doc/refman/8.0/en/optimize-table.html
      return t.tables.map((x) => `ALTER TABLE ${quoteTable(e, x)} FORCE`);
  }
}

/** REINDEX DATABASE names the current database; it is looked up, then quoted. */
export async function resolveStatements(db: Db, statements: string[]): Promise<string[]> {
  if (!statements.some((s) => s.includes("CURRENT_DATABASE_PLACEHOLDER"))) return statements;
  const r = await db.query("SELECT current_database() AS d");
  const name = quoteIdent("postgres", String(r.rows[0]?.d));
  return statements.map((s) => s.replace("CURRENT_DATABASE_PLACEHOLDER", name));
}

/** The largest `limit` tables with their size and dead-row ratio, from pg_stat_user_tables or information_schema. */
export async function bloatReport(db: Db, limit: number): Promise<TableBloat[]> {
  if (db.engine === "postgres") {
    const r = await db.query(
      `SELECT schemaname AS s, relname AS t, pg_total_relation_size(relid) AS bytes, n_dead_tup AS dead, n_live_tup AS live
       FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map((row) => {
      const dead = Number(row.dead);
      const live = Number(row.live);
      return {
        table: tableLabel({ schema: String(row.s), table: String(row.t) }),
        bytes: Number(row.bytes),
        deadRows: dead,
        bloatRatio: dead + live === 0 ? 0 : dead / (dead + live),
      };
    });
  }
  const r = await db.query(
    `SELECT table_name AS t, data_length + index_length AS bytes, data_free AS free FROM information_schema.tables
     WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY data_length + index_length DESC LIMIT ?`,
    [limit],
  );
  return r.rows.map((row) => {
    const bytes = Number(row.bytes ?? row.BYTES);
    const free = Number(row.free ?? row.FREE);
    return {
      table: String(row.t ?? row.T ?? row.TABLE_NAME),
      bytes,
      deadRows: 0,
      bloatRatio: bytes + free === 0 ? 0 : free / (bytes + free),
    };
  });
}
