// For the contract runs of database maintenance jobs: a fresh local database per stack holding every table the
// stack's tasks name (keys, timestamp and expiry columns, archive twins, the index a reindex names), seeded so
// archive and purge have rows on both sides of their cutoff, and the job's connection pointed at it.
import { execFileSync } from "node:child_process";
import type { Task } from "../../lambdas/db-maintenance/config";
import { quoteIdent, quoteTable } from "../../lambdas/db-maintenance/quote";

type Engine = "postgres" | "mysql";

/** Tables the stacks' `check` queries read (free SQL names no columns): add the tables a new check reads. */
const CHECK_TABLES: Record<string, string[]> = {
  patients: ["created_at ts", "phone text"],
};

interface TableShape {
  key: string;
  timestamps: Set<string>;
  expires: Set<string>;
  indexes: Set<string>;
  rows: boolean;
}

function shapes(tasks: readonly Task[]): Map<string, TableShape> {
  const out = new Map<string, TableShape>();
  const shape = (t: unknown, key = "id") => {
    const name = typeof t === "string" ? t : (t as { table: string }).table;
    const s = out.get(name) ?? {
      key,
      timestamps: new Set(),
      expires: new Set(),
      indexes: new Set(),
      rows: false,
    };
    out.set(name, s);
    return s;
  };
  for (const t of tasks) {
    if (t.kind === "vacuum" || t.kind === "analyze" || t.kind === "rebuild")
      for (const x of t.tables ?? []) shape(x);
    if (t.kind === "reindex" && "table" in t.target) shape(t.target.table);
    if (t.kind === "reindex" && "index" in t.target) {
      const index = t.target.index;
      shape(`${typeof index === "string" ? index : index.table}_table`).indexes.add(
        typeof index === "string" ? index : index.table,
      );
    }
    if (t.kind === "archive" || t.kind === "purge") {
      for (const x of t.kind === "archive" ? [t.table, t.archiveTable] : [t.table]) {
        const s = shape(x, t.keyColumn);
        if (t.timestampColumn) s.timestamps.add(t.timestampColumn);
        if (t.kind === "purge" && t.expiresColumn) s.expires.add(t.expiresColumn);
        s.rows ||= x === t.table;
      }
    }
  }
  return out;
}

/** DDL and seed rows: 20 rows aged 30 days apart (timestamps) or an hour either side of now (expiry columns). */
function statements(engine: Engine, tasks: readonly Task[], checks: readonly string[]): string[] {
  const ts = engine === "postgres" ? "timestamptz" : "datetime";
  const out: string[] = [];
  for (const [name, s] of shapes(tasks)) {
    const cols = [
      `${quoteIdent(engine, s.key)} bigint PRIMARY KEY`,
      ...[...s.timestamps, ...s.expires].map((c) => `${quoteIdent(engine, c)} ${ts} NOT NULL`),
      "note varchar(40)",
    ];
    out.push(`CREATE TABLE ${quoteTable(engine, name)} (${cols.join(", ")})`);
    for (const i of s.indexes)
      out.push(`CREATE INDEX ${quoteIdent(engine, i)} ON ${quoteTable(engine, name)} (note)`);
    if (!s.rows) continue;
    const now = Date.now();
    const values = Array.from({ length: 20 }, (_, k) => {
      const i = k + 1;
      const at = (ms: number) => `'${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}'`;
      const times = [
        ...[...s.timestamps].map(() => at(now - i * 30 * 86_400_000)),
        ...[...s.expires].map(() => at(now + (i <= 10 ? -i : i) * 3_600_000)),
      ];
      return `(${[String(i), ...times, `'row ${i}'`].join(", ")})`;
    });
    const names = [s.key, ...s.timestamps, ...s.expires, "note"].map((c) => quoteIdent(engine, c));
    out.push(`INSERT INTO ${quoteTable(engine, name)} (${names.join(", ")}) VALUES ${values.join(", ")}`);
  }
  for (const [table, cols] of Object.entries(CHECK_TABLES)) {
    if (!checks.some((q) => q.includes(table))) continue;
    const defs = cols.map((c) => c.replace(/ ts$/, ` ${ts}`));
    out.push(`CREATE TABLE ${quoteTable(engine, table)} (id bigint PRIMARY KEY, ${defs.join(", ")})`);
  }
  return out;
}

const PG_ENV = { ...process.env, PGPASSWORD: "postgres" };
const MY_ENV = { ...process.env, MYSQL_PWD: "backup" };

/** Makes the stack's maintenance database afresh and returns the job's config pointed at it. */
export function maintenanceDatabase(stack: string, config: Record<string, any>): Record<string, unknown> {
  const engine = config.connection.engine as Engine;
  const database = `contract_m_${stack.replace(/[^a-z0-9]/g, "_")}`;
  const tasks = (config.tasks as { task: Task }[]).map((t) => t.task);
  const checks = tasks.flatMap((t) => (t.kind === "check" ? [t.query] : []));
  const sql = statements(engine, tasks, checks);
  if (engine === "postgres") {
    const psql = (db: string, command: string) =>
      execFileSync(
        "psql",
        ["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qtA", "-v", "ON_ERROR_STOP=1", "-c", command],
        {
          env: PG_ENV,
        },
      );
    psql("postgres", `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    psql("postgres", `CREATE DATABASE ${database}`);
    if (sql.length) psql(database, sql.join(";\n"));
  } else {
    execFileSync(
      "mysql",
      [
        "-h",
        "127.0.0.1",
        "-u",
        "backup",
        "-e",
        [
          `DROP DATABASE IF EXISTS ${database}`,
          `CREATE DATABASE ${database}`,
          `USE ${database}`,
          ...sql,
        ].join(";\n"),
      ],
      { env: MY_ENV },
    );
  }
  const local = engine === "postgres" ? { port: 5432, user: "postgres" } : { port: 3306, user: "backup" };
  const { sslMode: _ignored, ...connection } = config.connection as Record<string, unknown>;
  return { ...config, connection: { ...connection, host: "127.0.0.1", ...local, databaseName: database } };
}
