// Real PostgreSQL and MariaDB (scripts/ci/databases.sh): VACUUM lowers n_dead_tup, archival moves exactly the rows
// past the cutoff and survives a run killed mid-batch, purge keeps its bounds, a held lock makes a task give up, a
// check cannot write, odd identifiers work while injections are refused, heavy tasks refuse outside their window,
// and rewriting tasks refuse while the newest verified dump is stale (read from an S3 protocol server).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import pg from "pg";
import S3rver from "s3rver";
import {
  MAX_DUMPS_LOOKED_AT,
  newestVerifiedDump,
  staleBackupReason,
} from "../../../lambdas/db-maintenance/backup-guard";
import { RefusedError, runBatches } from "../../../lambdas/db-maintenance/batches";
import { runChecks } from "../../../lambdas/db-maintenance/checks";
import { runStatementTask } from "../../../lambdas/db-maintenance/tasks";
import {
  type MaintenanceConfig,
  maintenanceConfigSchema,
  taskSchema,
} from "../../../lambdas/db-maintenance/config";
import type { MaintenanceMetric } from "../../../lambdas/db-maintenance/config";
import { runTask } from "../../../lambdas/db-maintenance/run";
import { connect, isLockTimeout } from "../../../lambdas/db-maintenance/session";

jest.setTimeout(60_000);

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const MY = { host: "127.0.0.1", port: 3306, user: "backup", password: "backup" };
const suffix = `${process.pid}_${Date.now() % 100000}`;
const PGDB = `maint_${suffix}`;
const MYDB = `maint_${suffix}`;
const LIMITS = { lockTimeoutMs: 300, statementTimeoutSeconds: 30, idleInTransactionSeconds: 30 };
const NOW = new Date("2026-06-07T02:30:00Z"); // a Sunday, 02:30 UTC
const DAY = 86_400_000;

async function pgAdmin(database = "postgres"): Promise<pg.Client> {
  const c = new pg.Client({ ...PG, database });
  c.on("error", () => {});
  await c.connect();
  return c;
}
const mysqlCli = (sql: string, db?: string) =>
  execFileSync(
    "mysql",
    ["-h", MY.host, "-P", String(MY.port), "-u", MY.user, "-N", "-B", ...(db ? [db] : []), "-e", sql],
    {
      env: { ...process.env, MYSQL_PWD: MY.password },
      encoding: "utf8",
    },
  ).trim();

const pgDb = () => connect({ engine: "postgres", ...PG, database: PGDB }, LIMITS);
const myDb = () => connect({ engine: "mysql", ...MY, database: MYDB }, LIMITS);
const task = (t: unknown) => taskSchema.parse(t);
const clock = (start = NOW, stepMs = 0) => {
  let t = start.getTime();
  return () => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
};

let root: pg.Client;
beforeAll(async () => {
  root = await pgAdmin();
  await root.query(`CREATE DATABASE ${PGDB}`);
  mysqlCli(`CREATE DATABASE ${MYDB}`);
});
afterAll(async () => {
  await root.query(`DROP DATABASE IF EXISTS ${PGDB} WITH (FORCE)`);
  await root.end();
  mysqlCli(`DROP DATABASE IF EXISTS ${MYDB}`);
});

describe("sessions", () => {
  it("set lock_timeout, statement_timeout and idle_in_transaction_session_timeout (PostgreSQL) before any task", async () => {
    const db = await pgDb();
    try {
      const r = await db.query(
        "SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i",
      );
      expect(r.rows[0]).toEqual({ l: "300ms", s: "30s", i: "30s" });
    } finally {
      await db.close();
    }
  });

  it("set the lock waits, the statement time and the idle-transaction timeout (MariaDB)", async () => {
    const db = await myDb();
    try {
      const r = await db.query(
        "SELECT @@SESSION.innodb_lock_wait_timeout AS l, @@SESSION.lock_wait_timeout AS m, @@SESSION.max_statement_time AS s, @@SESSION.idle_transaction_timeout AS i",
      );
      expect(r.rows.map((x) => ({ ...x, s: Number(x.s) }))).toEqual([{ l: 1, m: 1, s: 30, i: 30 }]);
      expect(db.mariadb).toBe(true);
    } finally {
      await db.close();
    }
  });
});

describe("VACUUM", () => {
  it("lowers n_dead_tup of the table it names", async () => {
    const a = await pgAdmin(PGDB);
    try {
      await a.query("CREATE TABLE churn (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)");
      await a.query("INSERT INTO churn SELECT g, 'x' FROM generate_series(1, 4000) g");
      await a.query("DELETE FROM churn WHERE id % 2 = 0");
      const dead = async () => {
        // Statistics reach pg_stat_user_tables when the backend reports them; ask for a fresh snapshot.
        await a.query("SELECT pg_stat_force_next_flush()").catch(() => {});
        await a.query("SELECT pg_stat_clear_snapshot()");
        return Number(
          (await a.query("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'")).rows[0]
            .n_dead_tup,
        );
      };
      for (let i = 0; i < 50 && (await dead()) < 2000; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await dead()).toBeGreaterThanOrEqual(2000);
      const outcome = await runTask(
        { task: "vacuum" },
        config("postgres", [{ task: task({ kind: "vacuum", name: "vacuum", tables: ["churn"] }) }]),
        deps(),
      );
      expect(outcome).toMatchObject({ outcome: "ok" });
      for (let i = 0; i < 50 && (await dead()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await dead()).toBe(0);
    } finally {
      await a.end();
    }
  });
});

/** A table `name` with `n` rows, row i created i days before NOW, and its archive twin (same columns). */
async function seedPg(name: string, n: number, archive = true): Promise<void> {
  const a = await pgAdmin(PGDB);
  try {
    await a.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, note text)`);
    if (archive)
      await a.query(
        `CREATE TABLE ${name}_archive (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, note text)`,
      );
    await a.query(
      `INSERT INTO ${name} SELECT g, $1::timestamptz - g * interval '1 day' + interval '1 hour', 'n' || g FROM generate_series(1, $2) g`,
      [NOW.toISOString(), n],
    );
  } finally {
    await a.end();
  }
}

async function idsOf(sql: string): Promise<number[]> {
  const a = await pgAdmin(PGDB);
  try {
    return (await a.query(sql)).rows.map((r) => Number(r.id));
  } finally {
    await a.end();
  }
}

describe("archive (PostgreSQL)", () => {
  it("moves exactly the rows past the cutoff, in batches, and leaves the rest", async () => {
    await seedPg("audit", 3000);
    const db = await pgDb();
    try {
      const r = await runBatches(
        db,
        task({
          kind: "archive",
          name: "a",
          table: "audit",
          archiveTable: "audit_archive",
          timestampColumn: "created_at",
          olderThanDays: 90,
          keyColumn: "id",
          batchSize: 500,
        }) as never,
        { now: clock() },
      );
      // Row i is i days old less an hour: rows 91..3000 are older than 90 days.
      expect(r).toMatchObject({ rows: 2910, batches: 6, stoppedBy: "done" });
    } finally {
      await db.close();
    }
    const kept = await idsOf("SELECT id FROM audit ORDER BY id");
    const moved = await idsOf("SELECT id FROM audit_archive ORDER BY id");
    expect(kept).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(moved).toEqual(Array.from({ length: 2910 }, (_, i) => i + 91));
  });

  it("killed mid-batch (its session terminated before COMMIT), then retried, leaves each row exactly once in one table", async () => {
    await seedPg("killed", 2000);
    const a = await pgAdmin(PGDB);
    const t = task({
      kind: "archive",
      name: "k",
      table: "killed",
      archiveTable: "killed_archive",
      timestampColumn: "created_at",
      olderThanDays: 30,
      keyColumn: "id",
      batchSize: 300,
    });
    const db = await pgDb();
    await expect(
      runBatches(db, t as never, {
        now: clock(),
        // The third batch's writes are done; the server kills the session before it commits.
        beforeCommit: async (session, batch) => {
          if (batch === 3) await a.query("SELECT pg_terminate_backend($1)", [session.sessionId]);
        },
      }),
    ).rejects.toThrow();
    await db.close();
    const mid = await idsOf("SELECT id FROM killed_archive");
    expect(mid).toHaveLength(600); // two batches committed, the third rolled back
    const retry = await pgDb();
    try {
      expect(await runBatches(retry, t as never, { now: clock() })).toMatchObject({
        rows: 1970 - 600,
        stoppedBy: "done",
      });
    } finally {
      await retry.close();
    }
    const both = await a.query(
      "SELECT id, count(*) AS n FROM (SELECT id FROM killed UNION ALL SELECT id FROM killed_archive) x GROUP BY id HAVING count(*) <> 1",
    );
    expect(both.rows).toEqual([]);
    expect(await idsOf("SELECT id FROM killed ORDER BY id")).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    expect((await idsOf("SELECT id FROM killed_archive")).length).toBe(1970);
    await a.end();
  });

  it("refuses without a unique key, with an archive of other columns, or when every row would go", async () => {
    await seedPg("plain", 50);
    const a = await pgAdmin(PGDB);
    await a.query("CREATE TABLE nokey (id bigint, created_at timestamptz)");
    await a.query("CREATE TABLE nokey_archive (id bigint, created_at timestamptz)");
    await a.query("CREATE TABLE other_archive (id bigint PRIMARY KEY, created_at timestamptz)");
    // As many columns as the table, but one renamed or retyped: SELECT * would land in the wrong column or fail.
    await a.query("CREATE TABLE renamed_archive (id bigint PRIMARY KEY, created timestamptz, note text)");
    await a.query("CREATE TABLE retyped_archive (id bigint PRIMARY KEY, created_at text, note text)");
    await a.end();
    const db = await pgDb();
    const base = {
      kind: "archive",
      name: "r",
      timestampColumn: "created_at",
      olderThanDays: 10,
      keyColumn: "id",
    };
    try {
      await expect(
        runBatches(db, task({ ...base, table: "nokey", archiveTable: "nokey_archive" }) as never, {
          now: clock(),
        }),
      ).rejects.toThrow(/no unique single-column index/);
      await expect(
        runBatches(db, task({ ...base, table: "plain", archiveTable: "other_archive" }) as never, {
          now: clock(),
        }),
      ).rejects.toThrow(/are not the table's/);
      const columns = "id bigint, created_at timestamp with time zone, note text";
      await expect(
        runBatches(db, task({ ...base, table: "plain", archiveTable: "renamed_archive" }) as never, {
          now: clock(),
        }),
      ).rejects.toThrow(
        `r: the archive table's columns (id bigint, created timestamp with time zone, note text) are not the table's (${columns})`,
      );
      await expect(
        runBatches(db, task({ ...base, table: "plain", archiveTable: "retyped_archive" }) as never, {
          now: clock(),
        }),
      ).rejects.toThrow(
        `r: the archive table's columns (id bigint, created_at text, note text) are not the table's (${columns})`,
      );
      await expect(
        runBatches(db, task({ ...base, table: "plain", archiveTable: "nowhere_archive" }) as never, {
          now: clock(),
        }),
      ).rejects.toThrow(new RefusedError('r: archive table "nowhere_archive" not found'));
      // What the on-call engineer reads: how many rows, the filter with its cutoff, and how to allow it.
      await expect(
        runBatches(
          db,
          task({ ...base, olderThanDays: 1, table: "plain", archiveTable: "plain_archive" }) as never,
          { now: clock(new Date(NOW.getTime() + 400 * DAY)) },
        ),
      ).rejects.toThrow(
        new RefusedError(
          'r: every one of the 50 rows of the table matches ("created_at" < 2027-07-11T02:30:00.000Z); refusing to empty it (a wrong column or clock?); set allowEmptying: true if it may',
        ),
      );
      // A dry run counts and changes nothing.
      expect(
        await runBatches(
          db,
          task({ ...base, dryRun: true, table: "plain", archiveTable: "plain_archive" }) as never,
          { now: clock() },
        ),
      ).toEqual({ rows: 40, batches: 0, stoppedBy: "dry-run", longestBatchMs: 0 });
    } finally {
      await db.close();
    }
    expect(await idsOf("SELECT id FROM plain")).toHaveLength(50);
  });
});

describe("purge", () => {
  it("stops at its row cap, and at its time bound between batches (PostgreSQL)", async () => {
    await seedPg("notes", 1000, false);
    const db = await pgDb();
    const base = {
      kind: "purge",
      name: "p",
      table: "notes",
      timestampColumn: "created_at",
      olderThanDays: 100,
      keyColumn: "id",
      batchSize: 100,
    };
    try {
      expect(
        await runBatches(db, task({ ...base, maxRowsPerRun: 250 }) as never, { now: clock() }),
      ).toMatchObject({ rows: 250, batches: 3, stoppedBy: "rows" });
      // Each clock reading moves 20 s on: the bound of 60 s is reached after the batches started within it.
      expect(
        await runBatches(db, task({ ...base, maxSeconds: 60 }) as never, { now: clock(NOW, 20_000) }),
      ).toMatchObject({ rows: 100, batches: 1, stoppedBy: "time" });
    } finally {
      await db.close();
    }
    expect((await idsOf("SELECT id FROM notes")).length).toBe(1000 - 350);
  });

  it("finds nothing to do in an empty table (not a refusal), and empties a table that allowEmptying lets go", async () => {
    await seedPg("empty", 0, false);
    await seedPg("drain", 300, false);
    const base = {
      kind: "purge",
      name: "e",
      timestampColumn: "created_at",
      olderThanDays: 1,
      keyColumn: "id",
    };
    const db = await pgDb();
    try {
      expect(await runBatches(db, task({ ...base, table: "empty" }) as never, { now: clock() })).toEqual({
        rows: 0,
        batches: 0,
        stoppedBy: "done",
        longestBatchMs: 0,
      });
      const t0 = Date.now();
      const r = await runBatches(
        db,
        task({ ...base, table: "drain", allowEmptying: true, batchSize: 100 }) as never,
        {
          now: clock(new Date(NOW.getTime() + 400 * DAY)),
        },
      );
      expect(r).toMatchObject({ rows: 300, batches: 3, stoppedBy: "done" });
      // The longest a batch held its locks: some time, and never more than the whole run.
      expect(r.longestBatchMs).toBeGreaterThan(0);
      expect(r.longestBatchMs).toBeLessThanOrEqual(Date.now() - t0);
    } finally {
      await db.close();
    }
    expect(await idsOf("SELECT id FROM drain")).toEqual([]);
  });

  it("deletes rows past their own expiry column in batches (MariaDB), and no others", async () => {
    mysqlCli("CREATE TABLE sessions (id int PRIMARY KEY, expires_at datetime NOT NULL)", MYDB);
    const rows = Array.from(
      { length: 400 },
      (_, i) =>
        `(${i + 1}, '${new Date(NOW.getTime() + (i < 300 ? -1 : 1) * (i + 1) * 60_000).toISOString().slice(0, 19).replace("T", " ")}')`,
    );
    mysqlCli(`INSERT INTO sessions VALUES ${rows.join(",")}`, MYDB);
    const db = await myDb();
    try {
      const r = await runBatches(
        db,
        task({
          kind: "purge",
          name: "s",
          table: "sessions",
          expiresColumn: "expires_at",
          keyColumn: "id",
          batchSize: 120,
        }) as never,
        { now: clock() },
      );
      expect(r).toMatchObject({ rows: 300, batches: 3, stoppedBy: "done" });
    } finally {
      await db.close();
    }
    expect(mysqlCli("SELECT MIN(id), COUNT(*) FROM sessions", MYDB)).toBe("301\t100");
  });

  it("archives on MariaDB with insert and delete in one transaction per batch", async () => {
    mysqlCli("CREATE TABLE appointments (id int PRIMARY KEY, created_at datetime NOT NULL)", MYDB);
    mysqlCli("CREATE TABLE appointments_archive (id int PRIMARY KEY, created_at datetime NOT NULL)", MYDB);
    const rows = Array.from(
      { length: 500 },
      (_, i) =>
        `(${i + 1}, '${new Date(NOW.getTime() - (i + 1) * 2 * DAY).toISOString().slice(0, 19).replace("T", " ")}')`,
    );
    mysqlCli(`INSERT INTO appointments VALUES ${rows.join(",")}`, MYDB);
    const db = await myDb();
    try {
      const r = await runBatches(
        db,
        task({
          kind: "archive",
          name: "a",
          table: "appointments",
          archiveTable: "appointments_archive",
          timestampColumn: "created_at",
          olderThanDays: 730,
          keyColumn: "id",
          batchSize: 50,
        }) as never,
        { now: clock() },
      );
      // Row i is 2i days old: rows 366..500 are older than 730 days.
      expect(r).toMatchObject({ rows: 135, stoppedBy: "done" });
    } finally {
      await db.close();
    }
    expect(mysqlCli("SELECT COUNT(*), MAX(id) FROM appointments", MYDB)).toBe("365\t365");
    expect(mysqlCli("SELECT COUNT(*), MIN(id) FROM appointments_archive", MYDB)).toBe("135\t366");
  });
});

describe("locks", () => {
  it("a held lock makes the task give up within its lock_timeout and report it", async () => {
    await seedPg("locked", 200, false);
    const holder = await pgAdmin(PGDB);
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE");
    const puts: [string, string, number][] = [];
    const s3 = await dumpStore([NOW.getTime() - 3600_000]);
    try {
      const outcome = await runTask(
        { task: "purge" },
        config(
          "postgres",
          [
            {
              task: task({
                kind: "purge",
                name: "purge",
                table: "locked",
                timestampColumn: "created_at",
                olderThanDays: 10,
                keyColumn: "id",
              }),
            },
          ],
          true,
        ),
        deps({ s3: s3.client, put: (d, m, v) => puts.push([d.value, m, v]) }),
      );
      expect(outcome).toMatchObject({
        outcome: "gave-up",
        reason: expect.stringMatching(/^lock timeout after 300 ms/),
      });
      expect(puts.filter(([, m]) => m === "LockTimeouts" || m === "TaskFailed")).toEqual([
        ["purge", "LockTimeouts", 1],
        ["purge", "TaskFailed", 1],
      ]);
    } finally {
      await s3.close();
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect((await idsOf("SELECT id FROM locked")).length).toBe(200);
  });
  it("a row lock held on MariaDB makes a batch give up after innodb_lock_wait_timeout (whole seconds)", async () => {
    mysqlCli("CREATE TABLE held (id int PRIMARY KEY, created_at datetime NOT NULL)", MYDB);
    mysqlCli(
      "INSERT INTO held VALUES (1, '2020-01-01 00:00:00'), (2, '2020-01-02 00:00:00'), (3, NOW())",
      MYDB,
    );
    const holder = await connect(
      { engine: "mysql", ...MY, database: MYDB },
      { ...LIMITS, lockTimeoutMs: 30_000 },
    );
    await holder.query("START TRANSACTION");
    await holder.query("SELECT id FROM held WHERE id = 1 FOR UPDATE");
    const db = await myDb();
    try {
      const t = task({
        kind: "purge",
        name: "p",
        table: "held",
        timestampColumn: "created_at",
        olderThanDays: 30,
        keyColumn: "id",
      });
      const err = await runBatches(db, t as never, { now: () => new Date() }).catch((e: unknown) => e);
      expect(isLockTimeout(err)).toBe(true);
    } finally {
      await db.close();
      await holder.query("ROLLBACK");
      await holder.close();
    }
    expect(mysqlCli("SELECT COUNT(*) FROM held", MYDB)).toBe("3");
  });
  it("a statement that outruns statement_timeout gives up and says so (the lock wait allowed longer)", async () => {
    await seedPg("slow", 20, false);
    const holder = await pgAdmin(PGDB);
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE slow IN ACCESS EXCLUSIVE MODE");
    try {
      const c = config("postgres", [{ task: task({ kind: "vacuum", name: "v", tables: ["slow"] }) }]);
      const outcome = await runTask(
        { task: "v" },
        {
          ...c,
          session: { lockTimeoutMs: 60_000, statementTimeoutSeconds: 1, idleInTransactionSeconds: 30 },
        },
        deps(),
      );
      expect(outcome).toMatchObject({
        outcome: "gave-up",
        reason: expect.stringMatching(
          /^statement timeout after 1s: canceling statement due to statement timeout/,
        ),
      });
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });
});

describe("checks", () => {
  it("turn a query's number into a value, and a check that tries to write fails (PostgreSQL and MariaDB)", async () => {
    await seedPg("patients", 20, false);
    const seq = await pgAdmin(PGDB);
    await seq.query("CREATE SEQUENCE patients_seq");
    await seq.end();
    const db = await pgDb();
    try {
      const results = await runChecks(db, [
        task({
          kind: "check",
          name: "old",
          query: "SELECT count(*) FROM patients WHERE created_at < timestamptz '2026-05-28T02:30:00Z'",
        }),
        task({
          kind: "check",
          name: "cte-write",
          query: "WITH d AS (DELETE FROM patients RETURNING 1) SELECT count(*) FROM d",
        }),
        task({ kind: "check", name: "two", query: "SELECT 1; DELETE FROM patients" }),
        task({ kind: "check", name: "fn-write", query: "SELECT nextval('patients_seq')" }),
        task({ kind: "check", name: "text", query: "SELECT 'abc'" }),
      ]);
      expect(results.map((r) => [r.name, r.value, r.error ?? null])).toEqual([
        ["old", 10, null],
        ["cte-write", null, expect.stringMatching(/in a read-only transaction$/)],
        ["two", null, "cannot insert multiple commands into a prepared statement"],
        ["fn-write", null, "cannot execute nextval() in a read-only transaction"],
        ["text", null, 'returned "abc", not a number'],
      ]);
    } finally {
      await db.close();
    }
    expect((await idsOf("SELECT id FROM patients")).length).toBe(20);
    mysqlCli("CREATE TABLE notification_logs (id int PRIMARY KEY)", MYDB);
    mysqlCli("INSERT INTO notification_logs VALUES (1), (2)", MYDB);
    const my = await myDb();
    try {
      const results = await runChecks(my, [
        task({ kind: "check", name: "n", query: "SELECT COUNT(*) FROM notification_logs" }),
        task({ kind: "check", name: "w", query: "DELETE FROM notification_logs" }),
        task({ kind: "check", name: "two", query: "SELECT 1; DELETE FROM notification_logs" }),
      ]);
      expect(results.map((r) => [r.name, r.value, r.error === undefined ? null : "error"])).toEqual([
        ["n", 2, null],
        ["w", null, "error"],
        ["two", null, "error"],
      ]);
      expect(results[1]!.error).toMatch(/READ ONLY transaction/i);
    } finally {
      await my.close();
    }
    expect(mysqlCli("SELECT COUNT(*) FROM notification_logs", MYDB)).toBe("2");
  });
});

describe("identifiers", () => {
  it("handles a name with quotes and spaces, and rejects an injection attempt in config", async () => {
    const a = await pgAdmin(PGDB);
    await a.query(`CREATE TABLE "Odd ""Name"" t" (id int PRIMARY KEY, "created at" timestamptz)`);
    await a.query(`CREATE TABLE "Odd ""Name"" t archive" (id int PRIMARY KEY, "created at" timestamptz)`);
    await a.query(
      `INSERT INTO "Odd ""Name"" t" SELECT g, now() - g * interval '1 day' + interval '1 hour' FROM generate_series(1, 30) g`,
    );
    await a.end();
    const db = await pgDb();
    try {
      const r = await runBatches(
        db,
        task({
          kind: "archive",
          name: "o",
          table: 'Odd "Name" t',
          archiveTable: 'Odd "Name" t archive',
          timestampColumn: "created at",
          olderThanDays: 20,
          keyColumn: "id",
        }) as never,
        { now: () => new Date() },
      );
      expect(r).toMatchObject({ rows: 10, stoppedBy: "done" });
    } finally {
      await db.close();
    }
    for (const bad of ['x"; DROP TABLE audit; --', "audit; DROP TABLE audit", "a/*b*/", "a`b", "tab\nle"]) {
      const parsed = taskSchema.safeParse({ kind: "vacuum", name: "v", tables: [bad] });
      expect({ bad, ok: parsed.success }).toEqual({ bad, ok: false });
    }
    expect(taskSchema.safeParse({ kind: "vacuum", name: "v", tables: ['Odd "Name" t'] }).success).toBe(true);
  });
});

describe("statement tasks", () => {
  it("REINDEX CONCURRENTLY an odd-named index and the database, VACUUM FULL, ANALYZE (PostgreSQL)", async () => {
    const a = await pgAdmin(PGDB);
    await a.query(`CREATE TABLE "we ird" (id int PRIMARY KEY, v text)`);
    await a.query(`CREATE INDEX "idx ""v""" ON "we ird" (v)`);
    await a.end();
    const db = await pgDb();
    const log: string[][] = [];
    try {
      for (const t of [
        { kind: "reindex", name: "i", target: { index: 'idx "v"' } },
        { kind: "reindex", name: "d", target: { database: true } },
        { kind: "rebuild", name: "f", tables: ["we ird"], analyze: true },
        { kind: "analyze", name: "a", tables: [{ schema: "public", table: "we ird" }] },
      ])
        log.push(await runStatementTask(db, task(t) as never));
    } finally {
      await db.close();
    }
    expect(log).toEqual([
      ['REINDEX INDEX CONCURRENTLY "public"."idx ""v"""'],
      [`REINDEX DATABASE CONCURRENTLY "${PGDB}"`],
      ['VACUUM (FULL, ANALYZE) "public"."we ird"'],
      ['ANALYZE "public"."we ird"'],
    ]);
  });

  it("rebuilds with ALTER TABLE ... FORCE and analyzes (MariaDB), reporting a missing table as an error", async () => {
    mysqlCli("CREATE TABLE services (id int PRIMARY KEY, name varchar(20))", MYDB);
    const db = await myDb();
    try {
      expect(
        await runStatementTask(db, task({ kind: "rebuild", name: "o", tables: ["services"] }) as never),
      ).toEqual(["ALTER TABLE `services` FORCE"]);
      expect(
        await runStatementTask(db, task({ kind: "analyze", name: "a", tables: ["services"] }) as never),
      ).toEqual(["ANALYZE TABLE `services`"]);
      await expect(
        runStatementTask(db, task({ kind: "analyze", name: "m", tables: ["missing"] }) as never),
      ).rejects.toThrow(/ANALYZE TABLE `missing`: .*doesn't exist/);
    } finally {
      await db.close();
    }
  });
});

describe("guards", () => {
  it("a heavy task outside its window refuses, and inside it runs", async () => {
    await seedPg("msgs", 10, false);
    const planned = [
      {
        task: task({ kind: "rebuild", name: "full", tables: ["msgs"] }),
        window: { name: "monthly", day: "SUN#1", start: "02:00", end: "06:00", timezone: "UTC" },
      },
    ];
    // A verified dump an hour old on both Sundays: only the window decides.
    const s3 = await dumpStore([NOW.getTime() - 3600_000, NOW.getTime() + 7 * DAY - 3600_000]);
    try {
      const out = await runTask(
        { task: "full" },
        config("postgres", planned, true),
        deps({ now: clock(new Date(NOW.getTime() + 7 * DAY)), s3: s3.client }),
      );
      expect(out).toMatchObject({
        outcome: "refused",
        reason:
          "rebuild is heavy and runs only inside window monthly (SUN#1 02:00-06:00 UTC); it is 2026-06-14T02:30:00.000Z",
      });
      const ok = await runTask(
        { task: "full" },
        config("postgres", planned, true),
        deps({ now: clock(), s3: s3.client }),
      );
      expect(ok).toMatchObject({ outcome: "ok" });
    } finally {
      await s3.close();
    }
  });

  it("a task that rewrites data refuses while the newest verified dump is older than the RPO (or unverified)", async () => {
    await seedPg("oldrows", 10, false);
    const planned = [
      {
        task: task({
          kind: "purge",
          name: "p",
          table: "oldrows",
          timestampColumn: "created_at",
          olderThanDays: 5,
          keyColumn: "id",
        }),
      },
    ];
    // The newest dump is unverified and fresh; the newest verified one is 30 hours old; the RPO is 26 hours.
    const s3 = await dumpStore([NOW.getTime() - 30 * 3600_000], [NOW.getTime() - 2 * 3600_000]);
    try {
      const out = await runTask({ task: "p" }, config("postgres", planned, true), deps({ s3: s3.client }));
      expect(out).toMatchObject({
        outcome: "refused",
        reason: expect.stringMatching(
          /newest verified dump of db \(daily\/db\/\d{8}T\d{6}Z\.dump\.gz\) is 30h old, over its RPO of 26h/,
        ),
      });
    } finally {
      await s3.close();
    }
    expect((await idsOf("SELECT id FROM oldrows")).length).toBe(10);
  });
  it("counts only a dump the verifier passed, never one from the future, among the newest ten", async () => {
    const guard = { buckets: ["dumps"], database: "db", rpoSeconds: 26 * 3600 };
    const H = 3600_000;
    // Verified: 30 hours old, and one two hours ahead of the clock (a wrong slot must not make the backup look
    // fresh). The verifier failed the 1-hour-old one.
    const s3 = await dumpStore([NOW.getTime() - 30 * H, NOW.getTime() + 2 * H], [], [NOW.getTime() - H]);
    // The newest ten are unverified (verification is behind): the older verified one is not enough.
    const behind = await dumpStore(
      [NOW.getTime() - 11 * H],
      Array.from({ length: MAX_DUMPS_LOOKED_AT }, (_, i) => NOW.getTime() - (i + 1) * H + 60_000),
    );
    try {
      const age = await newestVerifiedDump(s3.client, guard, NOW);
      expect(age).toEqual({
        ageSeconds: 30 * 3600,
        key: "daily/db/20260605T203000Z.dump.gz",
      });
      expect(await newestVerifiedDump(behind.client, guard, NOW)).toEqual({ ageSeconds: null, key: null });
    } finally {
      await s3.close();
      await behind.close();
    }
    expect(staleBackupReason({ ageSeconds: null, key: null }, guard)).toBe(
      "no verified dump of db among its newest 10: nothing to restore from",
    );
    // The RPO itself is still within it; a second more is not.
    expect(staleBackupReason({ ageSeconds: 26 * 3600, key: "k" }, guard)).toBeNull();
    expect(staleBackupReason({ ageSeconds: 26 * 3600 + 1, key: "k" }, guard)).toBe(
      "the newest verified dump of db (k) is 26h old, over its RPO of 26h",
    );
  });

  it("a dry run is never refused for its backup, and changes nothing", async () => {
    await seedPg("dry", 10, false);
    const planned = [
      {
        task: task({
          kind: "purge",
          name: "p",
          table: "dry",
          timestampColumn: "created_at",
          olderThanDays: 5,
          keyColumn: "id",
          dryRun: true,
        }),
      },
    ];
    const s3 = await dumpStore([NOW.getTime() - 300 * 3600_000]);
    try {
      expect(
        await runTask({ task: "p" }, config("postgres", planned, true), deps({ s3: s3.client })),
      ).toMatchObject({
        outcome: "ok",
        rows: 5,
        stoppedBy: "dry-run",
      });
    } finally {
      await s3.close();
    }
    expect((await idsOf("SELECT id FROM dry")).length).toBe(10);
  });
});

/** An S3 protocol server holding dumps of `db` at the given slots, verified (tag verified=ok) or not. */
async function dumpStore(
  verifiedAt: readonly number[],
  unverifiedAt: readonly number[] = [],
  failedAt: readonly number[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), "s3rver-maint-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir });
  const { port } = (await server.run()) as unknown as { port: number };
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  await client.send(new CreateBucketCommand({ Bucket: "dumps" }));
  const key = (ms: number) =>
    `daily/db/${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.dump.gz`;
  const put = async (ms: number, verified?: "ok" | "failed") => {
    await client.send(new PutObjectCommand({ Bucket: "dumps", Key: key(ms), Body: "x" }));
    // The tags the verification job leaves (lambdas/logical-backup/verify.ts).
    const TagSet = [
      { Key: "tier", Value: "daily" },
      ...(verified ? [{ Key: "verified", Value: verified }] : []),
    ];
    await client.send(new PutObjectTaggingCommand({ Bucket: "dumps", Key: key(ms), Tagging: { TagSet } }));
  };
  for (const v of verifiedAt) await put(v, "ok");
  for (const u of unverifiedAt) await put(u);
  for (const f of failedAt) await put(f, "failed");
  return { client, close: () => server.close() };
}

function config(engine: "postgres" | "mysql", tasks: unknown[], backup = false): MaintenanceConfig {
  return maintenanceConfigSchema.parse({
    database: "db",
    connection: {
      engine,
      host: PG.host,
      port: engine === "postgres" ? PG.port : MY.port,
      databaseName: engine === "postgres" ? PGDB : MYDB,
      user: engine === "postgres" ? PG.user : MY.user,
      passwordSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
    },
    session: LIMITS,
    tasks,
    ...(backup ? { backup: { buckets: ["dumps"], database: "db", rpoSeconds: 26 * 3600 } } : {}),
  });
}

// Secrets Manager has no local stand-in: the password comes from a mock.
mockClient(SecretsManagerClient)
  .on(GetSecretValueCommand)
  .resolves({ SecretString: JSON.stringify({ password: "postgres" }) });

function deps(over: Partial<Parameters<typeof runTask>[2]> = {}): Parameters<typeof runTask>[2] {
  return {
    s3: new S3Client({ region: "us-east-1" }),
    secrets: new SecretsManagerClient({}),
    log: { info: () => {}, warn: () => {}, error: () => {} },
    now: clock(),
    put: (_d: { name: string; value: string }, _m: MaintenanceMetric, _v: number) => {},
    ...over,
  };
}
