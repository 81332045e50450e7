// What keeps a maintenance run inside its runner, on real PostgreSQL and MariaDB: one run per database at a time by
// the run lock (a Fargate task has no reserved concurrency), batches that stop early enough to end before the
// runner's limit, and the Fargate entry (the bundled main.js) reporting TaskFailed for its task when it cannot run.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import mysql from "mysql2/promise";
import { maintenanceConfigSchema, taskSchema } from "../../../lambdas/db-maintenance/config";
import { batchSecondsLeft, runTask } from "../../../lambdas/db-maintenance/run";
import { MYSQL_RUN_LOCK_NAME_SQL, RUN_LOCK_KEY } from "../../../lambdas/db-maintenance/run-lock";
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

describe("one run per database at a time", () => {
  it("PostgreSQL: a run refuses while another session holds the run lock past its wait, and waits for one that ends", async () => {
    const other = new pg.Client({ host: "127.0.0.1", ...LOCAL.postgres, database: DB });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock(hashtext($1), hashtext($2))", [...RUN_LOCK_KEY]);
      const puts: [string, string, number][] = [];
      const held = await runTask(
        { task: "ready" },
        config("postgres", [CHECK]),
        deps("postgres", { put: (d, m, v) => puts.push([d.value, m, v]), runLockWaitMs: 300 }),
      );
      expect(held).toMatchObject({
        outcome: "refused",
        reason: expect.stringMatching(/^another maintenance run of this database is still going/),
      });
      expect(puts.filter(([, m]) => m === "TaskFailed")).toEqual([["ready", "TaskFailed", 1]]);
      // The other run ends while this one waits: it takes the lock and runs.
      const waiting = runTask(
        { task: "ready" },
        config("postgres", [CHECK]),
        deps("postgres", { runLockWaitMs: 20_000 }),
      );
      await new Promise((r) => setTimeout(r, 300));
      await other.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [...RUN_LOCK_KEY]);
      expect(await waiting).toMatchObject({ outcome: "ok", value: 1 });
    } finally {
      await other.end();
    }
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
    } finally {
      await other.end();
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
