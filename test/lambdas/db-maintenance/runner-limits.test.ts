// What keeps a maintenance run inside its runner, on real PostgreSQL and MariaDB: one run per database at a time by
// the run lock (a Fargate task has no reserved concurrency; waited for until the latest start, released explicitly),
// a heavy task kept inside its window after that wait, batches that stop early enough to end before the
// runner's limit, and the Fargate entry (the bundled main.js) reporting TaskFailed for its task when it cannot run.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import mysql from "mysql2/promise";
import { maintenanceConfigSchema, taskSchema } from "../../../lambdas/db-maintenance/config";
import { batchSecondsLeft, runLockWaitMs, runTask } from "../../../lambdas/db-maintenance/run";
import { MYSQL_RUN_LOCK_NAME_SQL, RUN_LOCK_KEY, takeRunLock } from "../../../lambdas/db-maintenance/run-lock";
import { connect } from "../../../lambdas/db-maintenance/session";
import { imageContext } from "../../../infra/core/lambda-bundle";
import { MAINTENANCE_IMAGE_ENTRIES } from "../../../infra/db-maintenance/database-maintenance";

jest.setTimeout(60_000);

const LOCAL = {
  postgres: { port: 5432, user: "postgres", password: "postgres" },
  mysql: { port: 3306, user: "backup", password: "backup" },
} as const;
const DB = `runlim_${process.pid}_${Date.now() % 100000}`;
const LIMITS = { lockTimeoutMs: 300, statementTimeoutSeconds: 60, idleInTransactionSeconds: 30 };

const config = (engine: "postgres" | "mysql", tasks: unknown[]) =>
  maintenanceConfigSchema.parse({
    database: "db",
    connection: {
      engine,
      host: "127.0.0.1",
      port: LOCAL[engine].port,
      databaseName: DB,
      user: LOCAL[engine].user,
      passwordSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
    },
    session: LIMITS,
    tasks: tasks.map((t) => ({ task: taskSchema.parse(t) })),
    // Only a dry run here: the verified-dump guard is not consulted for it (databases.test.ts proves the guard).
    backup: { buckets: ["dumps"], database: "db", rpoSeconds: 26 * 3600 },
  });
const deps = (engine: "postgres" | "mysql", over: Partial<Parameters<typeof runTask>[2]> = {}) => ({
  s3: new S3Client({ region: "us-east-1" }),
  secrets: { send: async () => ({ SecretString: JSON.stringify({ password: LOCAL[engine].password }) }) },
  log: { info: () => {}, warn: () => {}, error: () => {} },
  now: () => new Date("2026-06-07T02:30:00Z"),
  put: () => {},
  ...over,
});
const CHECK = { kind: "check", name: "ready", query: "SELECT 1" };

let root: pg.Client;
beforeAll(async () => {
  root = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: "postgres" });
  await root.connect();
  await root.query(`CREATE DATABASE ${DB}`);
  execFileSync("mysql", ["-h", "127.0.0.1", "-u", "backup", "-e", `CREATE DATABASE ${DB}`], {
    env: { ...process.env, MYSQL_PWD: "backup" },
  });
});
afterAll(async () => {
  await root.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await root.end();
  execFileSync("mysql", ["-h", "127.0.0.1", "-u", "backup", "-e", `DROP DATABASE IF EXISTS ${DB}`], {
    env: { ...process.env, MYSQL_PWD: "backup" },
  });
});

/** A heavy task (REINDEX without CONCURRENTLY) in a window of 2027-06-06 (a Sunday) 02:00-04:00 UTC. */
const heavyConfig = (statementTimeoutSeconds: number) =>
  maintenanceConfigSchema.parse({
    database: "db",
    connection: {
      engine: "postgres",
      host: "127.0.0.1",
      port: LOCAL.postgres.port,
      databaseName: DB,
      user: LOCAL.postgres.user,
      passwordSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
    },
    session: { ...LIMITS, statementTimeoutSeconds },
    tasks: [
      {
        task: taskSchema.parse({
          kind: "reindex",
          name: "deep",
          target: { table: "heavy" },
          concurrently: false,
        }),
        window: { name: "deep", day: "SUN", start: "02:00", end: "04:00", timezone: "UTC" },
      },
    ],
  });
const holdPgRunLock = async () => {
  const other = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: DB });
  await other.connect();
  await other.query("SELECT pg_advisory_lock(hashtext($1), hashtext($2))", [...RUN_LOCK_KEY]);
  return other;
};
const pgRunLockFree = async () => {
  const probe = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: DB });
  await probe.connect();
  try {
    const r = await probe.query("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok", [
      ...RUN_LOCK_KEY,
    ]);
    return r.rows[0].ok === true;
  } finally {
    await probe.end();
  }
};

describe("one run per database at a time", () => {
  it.each([
    // statement timeout, runner ms left, window ms left (heavy tasks), seconds a run may wait for the run lock
    // SkillSwap's Fargate task (4 h, statement_timeout 3 h): an hour, not a flat 10 minutes.
    [10_800, 14_400_000, undefined, 3570],
    // Its heavy VACUUM FULL at 03:30 in the 02:00-06:00 window: until 05:58:30, the window's end less 90 s.
    [10_800, 14_400_000, 9_000_000, 8910],
    // A Lambda of 15 minutes with statement_timeout 600 s: 270 s; no time for a statement: no wait.
    [600, 900_000, undefined, 270],
    [600, 600_000, undefined, 0],
    // No runner deadline known (a local run): 10 minutes.
    [60, undefined, undefined, 600],
  ])(
    "statement_timeout %is, %s ms on the runner, %s ms of window: waits %is",
    (statement, remaining, window, s) => {
      expect(
        runLockWaitMs(
          { lockTimeoutMs: 5000, statementTimeoutSeconds: statement, idleInTransactionSeconds: 60 },
          remaining,
          window,
        ),
      ).toBe(s * 1000);
    },
  );

  it("PostgreSQL: a run waits for the run lock until the latest time it can still start (deadline less statement_timeout and 30 s), then refuses; it takes the lock when the other run ends in time", async () => {
    const other = await holdPgRunLock();
    try {
      const puts: [string, string, number][] = [];
      // 300 ms more than one statement (60 s) and the report margin (30 s) need: it waits 300 ms, no longer.
      const started = Date.now();
      const held = await runTask(
        { task: "ready" },
        config("postgres", [CHECK]),
        deps("postgres", { put: (d, m, v) => puts.push([d.value, m, v]), remainingMs: () => 90_300 }),
      );
      expect(held).toMatchObject({
        outcome: "refused",
        reason: expect.stringMatching(
          /^another maintenance run of this database is still going \(it holds the run lock\) past the latest time this task could start \(0s of waiting\)/,
        ),
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(puts.filter(([, m]) => m === "TaskFailed")).toEqual([["ready", "TaskFailed", 1]]);
      // An hour left on the runner: the run waits (not a flat 10 minutes), and runs once the other one ends.
      const waiting = runTask(
        { task: "ready" },
        config("postgres", [CHECK]),
        deps("postgres", { remainingMs: () => 3_600_000 }),
      );
      await new Promise((r) => setTimeout(r, 300));
      await other.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [...RUN_LOCK_KEY]);
      expect(await waiting).toMatchObject({ outcome: "ok", value: 1 });
    } finally {
      await other.end();
    }
  });

  it("releases the run lock before closing, so a session pooler's server connection does not keep it", async () => {
    // The pooler: closing the client leaves the server session (and any session lock) open.
    const kept: { close: () => Promise<void> }[] = [];
    const pooled: Parameters<typeof runTask>[2]["connect"] = async (o, limits) => {
      const real = await connect(o, limits);
      kept.push(real);
      return { ...real, query: real.query, close: async () => {} };
    };
    try {
      expect(
        await runTask({ task: "ready" }, config("postgres", [CHECK]), deps("postgres", { connect: pooled })),
      ).toMatchObject({ outcome: "ok" });
      expect(kept).toHaveLength(1);
      expect(await pgRunLockFree()).toBe(true);
    } finally {
      for (const k of kept) await k.close();
    }
  });

  it("a heavy task checks its window again after the lock wait, and refuses with too little of it left", async () => {
    const a = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: DB });
    await a.connect();
    await a.query("CREATE TABLE IF NOT EXISTS heavy (id int PRIMARY KEY)");
    await a.end();
    const other = await holdPgRunLock();
    let clock = new Date("2027-06-06T02:30:00Z");
    try {
      const run = runTask(
        { task: "deep" },
        heavyConfig(60),
        deps("postgres", { now: () => clock, remainingMs: () => 3_600_000 }),
      );
      await new Promise((r) => setTimeout(r, 300));
      // The other run ends at 03:59:10: 50 s of the window left, less than a statement and the margin.
      clock = new Date("2027-06-06T03:59:10Z");
      await other.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [...RUN_LOCK_KEY]);
      expect(await run).toMatchObject({
        outcome: "refused",
        reason:
          "reindex is heavy and must end inside window deep (SUN 02:00-04:00 UTC); after the run lock it is 2027-06-06T03:59:10.000Z, too little of the window left",
      });
    } finally {
      await other.end();
    }
  });

  it("a heavy task's statement_timeout is cut to end inside its window (min(configured, window end - now - 30 s))", async () => {
    const sets: string[] = [];
    const watched: Parameters<typeof runTask>[2]["connect"] = async (o, limits) => {
      const real = await connect(o, limits);
      return {
        ...real,
        query: async (sql, params) => {
          if (/statement_timeout|^REINDEX/.test(sql)) sets.push(sql);
          return real.query(sql, params);
        },
      };
    };
    const run = (at: string, statementTimeoutSeconds: number) =>
      runTask(
        { task: "deep" },
        heavyConfig(statementTimeoutSeconds),
        deps("postgres", { now: () => new Date(at), connect: watched, remainingMs: () => 14_400_000 }),
      );
    // 03:50: 600 s of the window left, 570 s after the margin, under the configured 3 h.
    expect(await run("2027-06-06T03:50:00Z", 10_800)).toMatchObject({ outcome: "ok" });
    expect(sets).toEqual(["SET statement_timeout = 570000", 'REINDEX TABLE "public"."heavy"']);
    // Configured under what is left: unchanged.
    sets.length = 0;
    expect(await run("2027-06-06T02:00:00Z", 60)).toMatchObject({ outcome: "ok" });
    expect(sets).toEqual(['REINDEX TABLE "public"."heavy"']);
  });

  it("MariaDB: the same with GET_LOCK, named for the database", async () => {
    const other = await mysql.createConnection({ host: "127.0.0.1", ...LOCAL.mysql, database: DB });
    try {
      const [rows] = await other.query(`SELECT GET_LOCK(${MYSQL_RUN_LOCK_NAME_SQL}, 0) AS ok`);
      expect((rows as { ok: number }[])[0]!.ok).toBe(1);
      expect(
        await runTask({ task: "ready" }, config("mysql", [CHECK]), deps("mysql", { runLockWaitMs: 300 })),
      ).toMatchObject({ outcome: "refused" });
      await other.query("SELECT RELEASE_ALL_LOCKS()");
      expect(await runTask({ task: "ready" }, config("mysql", [CHECK]), deps("mysql"))).toMatchObject({
        outcome: "ok",
      });
      // Released by the run itself, not only by its session's end.
      const [free] = await other.query(`SELECT IS_FREE_LOCK(${MYSQL_RUN_LOCK_NAME_SQL}) AS ok`);
      expect(Number((free as { ok: number }[])[0]!.ok)).toBe(1);
    } finally {
      await other.end();
    }
  });

  it("MariaDB: two databases of one server whose names share their first 40 characters get two run locks", async () => {
    const stem = `runlim_${process.pid}_${"x".repeat(40)}`.slice(0, 40);
    const dbs = [`${stem}_appointments`, `${stem}_appointments_archive`];
    const sql = (q: string) =>
      execFileSync("mysql", ["-h", "127.0.0.1", "-u", "backup", "-e", q], {
        env: { ...process.env, MYSQL_PWD: "backup" },
      });
    for (const d of dbs) sql(`CREATE DATABASE \`${d}\``);
    const open = (database: string) =>
      connect(
        { engine: "mysql", host: "127.0.0.1", port: 3306, database, user: "backup", password: "backup" },
        LIMITS,
      );
    const [a, b] = [await open(dbs[0]!), await open(dbs[1]!)];
    try {
      expect(await takeRunLock(a)).toBe(true);
      // Before: LEFT('maintenance-stack db-maintenance:<db>', 64) kept 31 characters of the name, one lock for both.
      expect(await takeRunLock(b)).toBe(true);
    } finally {
      await a.close();
      await b.close();
      for (const d of dbs) sql(`DROP DATABASE IF EXISTS \`${d}\``);
    }
  });
});

describe("batches end before the runner does", () => {
  it.each([
    // maxSeconds, statement timeout, remaining ms, seconds the batches may start for
    [600, 600, 900_000, 270],
    [600, 60, 900_000, 600],
    [600, 10_800, 14_400_000, 600],
    [3600, 10_800, 14_400_000, 3570],
    [600, 600, 600_000, null],
  ])("maxSeconds %i, statement_timeout %is, %i ms left: %s", (max, statement, remaining, expected) => {
    expect(
      batchSecondsLeft(
        max,
        { lockTimeoutMs: 5000, statementTimeoutSeconds: statement, idleInTransactionSeconds: 60 },
        remaining,
      ),
    ).toBe(expected);
  });

  it("refuses a purge when not even one batch fits in the time left, and runs it with time enough", async () => {
    const a = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: DB });
    await a.connect();
    try {
      await a.query("CREATE TABLE sessions (id int PRIMARY KEY, expires_at timestamptz NOT NULL)");
      await a.query("INSERT INTO sessions SELECT g, now() - interval '1 day' FROM generate_series(1, 10) g");
      await a.query("INSERT INTO sessions SELECT g, now() + interval '1 day' FROM generate_series(11, 20) g");
      const purge = {
        kind: "purge",
        name: "sessions",
        table: "sessions",
        expiresColumn: "expires_at",
        keyColumn: "id",
        dryRun: true,
      };
      const outcome = await runTask(
        { task: "sessions" },
        config("postgres", [purge]),
        deps("postgres", { now: () => new Date(), remainingMs: () => 80_000 }),
      );
      expect(outcome).toMatchObject({
        outcome: "refused",
        reason:
          "80s left before the runner ends the run: not enough for one batch that may take statement_timeout (60s)",
      });
      // With time enough the same (dry) task counts the expired half, in batches.
      const ok = await runTask(
        { task: "sessions" },
        config("postgres", [purge]),
        deps("postgres", { now: () => new Date(), remainingMs: () => 900_000 }),
      );
      expect(ok).toMatchObject({ outcome: "ok", rows: 10 });
      expect(Number((await a.query("SELECT count(*) AS n FROM sessions")).rows[0].n)).toBe(20);
    } finally {
      await a.end();
    }
  });
});

describe("Fargate entry", () => {
  it("the bundled main.js exits 1 and reports TaskFailed for the event's task when its config is bad", () => {
    const ctx = imageContext("db-maintenance", MAINTENANCE_IMAGE_ENTRIES);
    const run = spawnSync(process.execPath, [join(ctx.dir, "main.js")], {
      env: {
        PATH: process.env.PATH,
        POWERTOOLS_SERVICE_NAME: "dbmaint-pg",
        POWERTOOLS_METRICS_NAMESPACE: "Maintenance/demo",
        JOB_CONFIG: JSON.stringify({ database: "pg" }),
        JOB_EVENT: JSON.stringify({
          task: "deep-vacuum-full",
          scheduledTime: "<aws.scheduler.scheduled-time>",
        }),
        JOB_DEADLINE_SECONDS: "60",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JOB_CONFIG is invalid/);
    expect(JSON.parse(run.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "Maintenance/demo",
            Dimensions: [["service", "Task"]],
            Metrics: [{ Name: "TaskFailed" }],
          },
        ],
      },
      service: "dbmaint-pg",
      Task: "deep-vacuum-full",
      TaskFailed: 1,
    });
  });
});
