// Archival of 1,000,000 rows on the local PostgreSQL: the job's keyset batches (one transaction per batch) beside a
// single `INSERT ... SELECT; DELETE` transaction of the same rows; rows per second, and the longest any one
// transaction held its row locks (the whole run, for the single statement pair).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { runBatches } from "../../lambdas/db-maintenance/batches";
import { taskSchema } from "../../lambdas/db-maintenance/config";
import { connect } from "../../lambdas/db-maintenance/session";

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const ROWS = 1_000_000;
const env = { ...process.env, PGPASSWORD: PG.password };
const psql = (db: string, sql: string) =>
  execFileSync("psql", ["-h", PG.host, "-U", PG.user, "-d", db, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    env,
    encoding: "utf8",
  }).trim();

export interface ArchiveBench {
  readonly rows: number;
  readonly batchSize: number;
  readonly batched: { rowsPerSecond: number; longestLockMs: number; batches: number };
  readonly single: { rowsPerSecond: number; longestLockMs: number };
}

function seed(db: string): void {
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  // Every row older than the 90-day cutoff, as a first archival of a long-lived audit log finds them; 10,000 young
  // rows stay.
  psql(
    db,
    `CREATE TABLE audit_log (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, action text, detail text);
     CREATE TABLE audit_log_archive (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, action text, detail text);
     INSERT INTO audit_log SELECT g, now() - interval '100 days' - g * interval '1 second', 'login', md5(g::text)
       FROM generate_series(1, ${ROWS}) g;
     INSERT INTO audit_log SELECT ${ROWS} + g, now(), 'login', md5(g::text) FROM generate_series(1, 10000) g`,
  );
  psql(db, "VACUUM ANALYZE audit_log");
}

export async function benchArchive(batchSize = 5000): Promise<ArchiveBench> {
  execFileSync("bash", [join(__dirname, "..", "ci", "databases.sh")], { stdio: "ignore" });
  const db = "mstack_bench_archive";
  seed(db);
  const session = await connect(
    { engine: "postgres", ...PG, database: db },
    { lockTimeoutMs: 5000, statementTimeoutSeconds: 3600, idleInTransactionSeconds: 60 },
  );
  const task = taskSchema.parse({
    kind: "archive",
    name: "bench",
    table: "audit_log",
    archiveTable: "audit_log_archive",
    timestampColumn: "created_at",
    olderThanDays: 90,
    keyColumn: "id",
    batchSize,
    maxSeconds: 6 * 3600,
    maxRowsPerRun: 100_000_000,
  }) as Parameters<typeof runBatches>[1];
  const t0 = performance.now();
  const r = await runBatches(session, task, { now: () => new Date() });
  const batchedMs = performance.now() - t0;
  await session.close();
  if (r.rows !== ROWS) throw new Error(`bench: archived ${r.rows} rows, expected ${ROWS}`);

  seed(db);
  const t1 = performance.now();
  // The runbooks' statements, as one transaction (what a crash must not split): every row's lock is held to COMMIT.
  psql(
    db,
    `BEGIN;
     INSERT INTO audit_log_archive SELECT * FROM audit_log WHERE created_at < now() - interval '90 days';
     DELETE FROM audit_log WHERE created_at < now() - interval '90 days';
     COMMIT`,
  );
  const singleMs = performance.now() - t1;
  if (Number(psql(db, "SELECT count(*) FROM audit_log_archive")) !== ROWS)
    throw new Error("bench: single run moved a different count");
  psql("postgres", `DROP DATABASE ${db}`);
  return {
    rows: ROWS,
    batchSize,
    batched: {
      rowsPerSecond: ROWS / (batchedMs / 1000),
      longestLockMs: r.longestBatchMs,
      batches: r.batches,
    },
    single: { rowsPerSecond: ROWS / (singleMs / 1000), longestLockMs: singleMs },
  };
}

if (require.main === module) {
  benchArchive().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
}
