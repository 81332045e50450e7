// Restore drills on the real PostgreSQL and MariaDB: the real dump job writes a dump and its manifest to s3rver, the
// real verification tags it, and the drill restores it into a fresh scratch database as a role that cannot reach the
// source. A corrupted dump fails its checksum, a dump whose table lost rows fails the counts, a slow restore times out.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type S3rver from "s3rver";
import { type DrillReport, DrillFailedError, runDrill } from "../../../lambdas/logical-backup/drill";
import type { DrillConfig } from "../../../lambdas/logical-backup/drill-config";
import { dumpCommand, dumpKey, dumpToS3 } from "../../../lambdas/logical-backup/dump";
import {
  countedDump,
  type DumpManifest,
  manifestKey,
  putManifest,
  withSnapshot,
} from "../../../lambdas/logical-backup/manifest";
import { runDump } from "../../../lambdas/logical-backup/run";
import { verifyDumps } from "../../../lambdas/logical-backup/verify";
import { startLocalS3 } from "../../support/local-s3";

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const MY = { host: "127.0.0.1", port: 3306, user: "backup", password: "backup" };
const DUMPS = "drill-dumps";
const REPORTS = "drill-reports";
const KEY = "arn:aws:kms:eu-west-2:123456789012:key/b";
const suffix = `${process.pid}_${Date.now() % 100000}`;
let server: S3rver;
let s3: S3Client;

const psql = (db: string, sql: string, user = PG.user, password = PG.password) =>
  execFileSync(
    "psql",
    ["-X", "-h", PG.host, "-U", user, "-d", db, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
    {
      env: { ...process.env, PGPASSWORD: password },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  ).trim();
const mysql = (sql: string, user = MY.user, password = MY.password) =>
  execFileSync("mysql", ["-h", MY.host, "-P", String(MY.port), "-u", user, "-N", "-B", "-e", sql], {
    env: { ...process.env, MYSQL_PWD: password },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();

beforeAll(async () => {
  ({ server, s3 } = await startLocalS3([DUMPS, REPORTS]));
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** The real dump job (secret from a mocked Secrets Manager), then the real verification, which tags it verified=ok. */
async function dumpAndVerify(engine: "postgres" | "mysql", database: string, source: string, slot: string) {
  const secrets = new SecretsManagerClient({});
  const sm = mockClient(secrets);
  const conn = engine === "postgres" ? PG : MY;
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: conn.password }) });
  const result = await runDump(
    { tier: "daily", scheduledTime: slot },
    {
      database,
      engine,
      host: conn.host,
      port: conn.port,
      databaseName: source,
      user: conn.user,
      passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf",
      bucket: DUMPS,
      kmsKeyArn: KEY,
    },
    { s3, secrets, log: quiet, metrics: { put: () => {} }, now: () => new Date(Date.parse(slot) + 60_000) },
  );
  sm.restore();
  expect(result.status).toBe("uploaded");
  const verdict = await verifyDumps(s3, [DUMPS], database, engine, new Date(Date.parse(slot) + 3_600_000));
  expect(verdict).toMatchObject({ ok: true, key: result.key });
  return result.key;
}

async function manifestOf(key: string): Promise<DumpManifest> {
  const obj = await s3.send(new GetObjectCommand({ Bucket: DUMPS, Key: manifestKey(key) }));
  return JSON.parse(await obj.Body!.transformToString()) as DumpManifest;
}

function drillConfig(
  database: string,
  engine: "postgres" | "mysql",
  over: Partial<DrillConfig> = {},
): DrillConfig {
  return {
    database,
    engine,
    tier: "daily",
    buckets: [DUMPS],
    reportsBucket: REPORTS,
    kmsKeyArn: KEY,
    target:
      engine === "postgres"
        ? { host: PG.host, port: PG.port, user: PG.user, maintenanceDatabase: "postgres" }
        : { host: MY.host, port: MY.port, user: MY.user, maintenanceDatabase: "information_schema" },
    majorVersion: engine === "postgres" ? psql("postgres", "SHOW server_version").split(".")[0]! : "10.11",
    restoreJobs: 2,
    restoreTimeoutSeconds: 600,
    readyTimeoutSeconds: 10,
    maxCandidates: 10,
    checks: [],
    workDir: mkdtempSync(join(tmpdir(), "drill-")),
    ...over,
  };
}

async function drill(config: DrillConfig, now: string, password: string) {
  const metrics: [string, number][] = [];
  const run = runDrill({ scheduledTime: now }, config, {
    s3,
    log: quiet,
    metrics: { put: (n, v) => void metrics.push([n, v]) },
    now: () => new Date(),
    targetPassword: password,
  });
  return { run, metrics };
}

async function storedReport(database: string): Promise<DrillReport> {
  const list = await s3.send(
    new (await import("@aws-sdk/client-s3")).ListObjectsV2Command({
      Bucket: REPORTS,
      Prefix: `reports/${database}/`,
    }),
  );
  const key = (list.Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => k.endsWith("Z.json"))
    .sort()
    .at(-1)!;
  const obj = await s3.send(new GetObjectCommand({ Bucket: REPORTS, Key: key }));
  return JSON.parse(await obj.Body!.transformToString()) as DrillReport;
}

/** Reads and writes of the source's tables, from its own statistics (the drill must add none). */
const sourceActivity = (db: string) =>
  psql(
    db,
    "SELECT sum(seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables",
  );
function settledActivity(db: string): string {
  // Backends flush their statistics when they exit: wait until the dump's sessions are gone.
  for (let i = 0; i < 50; i++) {
    if (psql("postgres", `SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}'`) === "0") break;
    execFileSync("sleep", ["0.1"]);
  }
  return sourceActivity(db);
}

describe("restore drills on real databases", () => {
  const src = `mstack_drill_src_${suffix}`;
  const role = `mstack_drill_${suffix}`;
  const database = "drill-pg";
  let key: string;

  beforeAll(async () => {
    psql("postgres", `CREATE DATABASE ${src}`);
    // No autovacuum on the source's tables, so nothing but this test changes their statistics.
    psql(
      src,
      `CREATE TABLE patients (id int primary key, name text) WITH (autovacuum_enabled = off);
       INSERT INTO patients SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
       CREATE SCHEMA billing;
       CREATE TABLE billing.invoices (id int primary key, patient int references patients(id)) WITH (autovacuum_enabled = off);
       INSERT INTO billing.invoices SELECT g, g FROM generate_series(1, 700) g;`,
    );
    // The drill's role may create its scratch database and nothing more: it cannot even connect to the source.
    psql(
      "postgres",
      `CREATE ROLE ${role} LOGIN PASSWORD 'drill' CREATEDB; REVOKE CONNECT ON DATABASE ${src} FROM PUBLIC`,
    );
    key = await dumpAndVerify("postgres", database, src, "2026-03-09T02:00:00Z");
  });
  afterAll(() => {
    psql("postgres", `DROP DATABASE IF EXISTS ${src} WITH (FORCE)`);
    for (const db of psql(
      "postgres",
      `SELECT datname FROM pg_database WHERE datname LIKE 'drill\\_%' AND datdba = (SELECT oid FROM pg_roles WHERE rolname = '${role}')`,
    )
      .split("\n")
      .filter(Boolean))
      psql("postgres", `DROP DATABASE ${db} WITH (FORCE)`);
    psql("postgres", `DROP ROLE IF EXISTS ${role}`);
  });

  it("the dump job writes a manifest counted in the dump's own snapshot, with the server version and checksum", async () => {
    const manifest = await manifestOf(key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: DUMPS, Key: key }));
    expect(manifest).toEqual({
      format: 1,
      database,
      engine: "postgres",
      serverVersion: psql("postgres", "SHOW server_version"),
      consistency: "dump-snapshot",
      dumpKey: key,
      sha256: head.Metadata!.sha256,
      bytes: head.ContentLength,
      tables: [
        { schema: "billing", table: "invoices", rows: 700 },
        { schema: "public", table: "patients", rows: 3000 },
      ],
    });
  });

  it("PostgreSQL: restores into a fresh scratch database as a role that cannot reach the source; counts and checks pass; the source is untouched", async () => {
    expect(() => psql(src, "SELECT 1", role, "drill")).toThrow(/permission denied/);
    const before = settledActivity(src);
    const config = drillConfig(database, "postgres", {
      target: { host: PG.host, port: PG.port, user: role, maintenanceDatabase: "postgres" },
      checks: [
        { name: "patients", sql: "SELECT count(*) FROM patients", min: 1 },
        {
          name: "orphans",
          sql: "SELECT count(*) FROM billing.invoices i LEFT JOIN patients p ON p.id = i.patient WHERE p.id IS NULL",
          max: 0,
        },
      ],
    });
    const { run, metrics } = await drill(config, "2026-03-09T09:00:00Z", "drill");
    const report = await run;
    expect(report).toMatchObject({
      verdict: "pass",
      problems: [],
      dump: { bucket: DUMPS, key, slot: "2026-03-09T02:00:00.000Z" },
      manifest: { consistency: "dump-snapshot" },
      tables: [
        { table: "billing.invoices", expected: 700, found: 700, ok: true },
        { table: "public.patients", expected: 3000, found: 3000, ok: true },
      ],
      checks: [
        { name: "patients", value: 3000, min: 1, ok: true },
        { name: "orphans", value: 0, max: 0, ok: true },
      ],
    });
    expect(report.restore).toMatchObject({ timedOut: false, jobs: 2 });
    expect(report.restore!.secondsToFirstQuery).toBeGreaterThan(0);
    expect(Date.parse(report.restore!.firstQueryAt!)).toBeGreaterThanOrEqual(
      Date.parse(report.restore!.endedAt),
    );
    expect(report.dataAgeSeconds).toBe(
      Math.round((Date.parse(report.restore!.startedAt) - Date.parse("2026-03-09T02:00:00Z")) / 1000),
    );
    expect(metrics.map(([n]) => n)).toEqual([
      "RestoreSeconds",
      "RestoredDataAgeSeconds",
      "DrillChecksFailed",
      "DrillFailed",
    ]);
    expect(metrics.slice(2)).toEqual([
      ["DrillChecksFailed", 0],
      ["DrillFailed", 0],
    ]);
    expect(await storedReport(database)).toEqual(report);
    const md = await s3.send(
      new GetObjectCommand({ Bucket: REPORTS, Key: `${await storedKey(database)}.md` }),
    );
    expect(await md.Body!.transformToString()).toContain("| public.patients | 3000 | 3000 | yes |");
    const pass = await s3.send(
      new GetObjectCommand({ Bucket: REPORTS, Key: `state/${database}/last-pass.json` }),
    );
    expect(JSON.parse(await pass.Body!.transformToString())).toMatchObject({
      dumpSlot: "2026-03-09T02:00:00.000Z",
    });
    // Torn down, and the source's tables were neither read nor written.
    expect(
      psql(
        "postgres",
        `SELECT count(*) FROM pg_database WHERE datname LIKE 'drill\\_%' AND datdba = (SELECT oid FROM pg_roles WHERE rolname = '${role}')`,
      ),
    ).toBe("0");
    expect(settledActivity(src)).toBe(before);
  });

  it("PostgreSQL: rows written after the snapshot is exported are in neither the manifest nor the dump", async () => {
    const db = "drill-pg-snap";
    const slot = "2026-03-09T03:00:00Z";
    const key2 = dumpKey("daily", db, new Date(slot));
    const counted = await countedDump(db, { engine: "postgres", ...PG, database: src }, async (snapshot) => {
      // Written and committed after the manifest's snapshot was taken, before pg_dump starts.
      psql(src, "INSERT INTO patients SELECT g, 'late' FROM generate_series(3001, 3050) g");
      return dumpToS3(
        withSnapshot(dumpCommand("postgres", { ...PG, database: src }), snapshot),
        { bucket: DUMPS, key: key2, kmsKeyArn: KEY, tags: { tier: "daily" } },
        { s3 },
      );
    });
    psql(src, "DELETE FROM patients WHERE id > 3000");
    const result = counted.result;
    if (result.status !== "uploaded") throw new Error(result.status);
    await putManifest(
      s3,
      { bucket: DUMPS, kmsKeyArn: KEY, tags: { tier: "daily" } },
      { ...counted.contents!, dumpKey: key2, sha256: result.sha256, bytes: result.bytes },
    );
    expect(counted.contents!.tables.find((t) => t.table === "patients")!.rows).toBe(3000);
    await verifyDumps(s3, [DUMPS], db, "postgres", new Date("2026-03-09T04:00:00Z"));
    const { run } = await drill(drillConfig(db, "postgres"), "2026-03-09T09:00:00Z", PG.password);
    expect((await run).tables.find((t) => t.table === "public.patients")).toEqual({
      table: "public.patients",
      expected: 3000,
      found: 3000,
      ok: true,
    });
  });

  it("a dump corrupted after upload fails on its checksum, before anything is restored", async () => {
    const db = "drill-pg-corrupt";
    const good = await dumpAndVerify("postgres", db, src, "2026-03-09T02:00:00Z");
    const obj = await s3.send(new GetObjectCommand({ Bucket: DUMPS, Key: good }));
    const body = Buffer.from(await obj.Body!.transformToByteArray());
    body[body.length - 20] = body[body.length - 20]! ^ 0xff;
    // Bit rot after verification: same key, metadata and verified tag, other bytes.
    await s3.send(
      new PutObjectCommand({
        Bucket: DUMPS,
        Key: good,
        Body: body,
        Metadata: obj.Metadata,
        Tagging: "tier=daily&verified=ok",
      }),
    );
    const { run, metrics } = await drill(drillConfig(db, "postgres"), "2026-03-09T09:00:00Z", PG.password);
    await expect(run).rejects.toThrow(DrillFailedError);
    const report = await storedReport(db);
    expect(report).toMatchObject({ verdict: "fail", restore: null, tables: [] });
    expect(report.problems).toEqual([
      expect.stringMatching(/SHA-256 of the stored bytes is [0-9a-f]{64}, the dump job recorded/),
    ]);
    expect(metrics).toEqual([
      ["DrillChecksFailed", 0],
      ["DrillFailed", 1],
    ]);
  });

  it("a dump whose table lost rows fails the count comparison", async () => {
    const db = "drill-pg-lost";
    const k = await dumpAndVerify("postgres", db, src, "2026-03-09T02:00:00Z");
    // The manifest says what the source held; the dump holds 3 invoices fewer (rows lost between the two).
    const manifest = await manifestOf(k);
    await putManifest(
      s3,
      { bucket: DUMPS, kmsKeyArn: KEY, tags: { tier: "daily" } },
      {
        ...manifest,
        tables: manifest.tables.map((t) => (t.table === "invoices" ? { ...t, rows: t.rows + 3 } : t)),
      },
    );
    const { run, metrics } = await drill(drillConfig(db, "postgres"), "2026-03-09T09:00:00Z", PG.password);
    await expect(run).rejects.toThrow(/billing\.invoices: 700 rows, the dump held 703/);
    const report = await storedReport(db);
    expect(report.verdict).toBe("fail");
    expect(report.tables).toEqual([
      { table: "billing.invoices", expected: 703, found: 700, ok: false },
      { table: "public.patients", expected: 3000, found: 3000, ok: true },
    ]);
    expect(metrics.slice(-2)).toEqual([
      ["DrillChecksFailed", 1],
      ["DrillFailed", 1],
    ]);
  });

  it("a restore that outlasts its timeout is stopped and reported as timed out", async () => {
    const { run, metrics } = await drill(
      drillConfig(database, "postgres", { restoreTimeoutSeconds: 0.001 }),
      "2026-03-09T09:00:00Z",
      PG.password,
    );
    await expect(run).rejects.toThrow(/timed-out/);
    const report = await storedReport(database);
    expect(report).toMatchObject({
      verdict: "timed-out",
      tables: [],
      checks: [],
      restore: { timedOut: true, firstQueryAt: null, secondsToFirstQuery: null },
    });
    expect(report.problems).toEqual(["the restore did not finish within 0.001s and was stopped"]);
    expect(metrics.map(([n]) => n)).toEqual([
      "RestoreSeconds",
      "RestoredDataAgeSeconds",
      "DrillChecksFailed",
      "DrillFailed",
    ]);
    expect(metrics.at(-1)).toEqual(["DrillFailed", 1]);
  });
});

async function storedKey(database: string): Promise<string> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const list = await s3.send(new ListObjectsV2Command({ Bucket: REPORTS, Prefix: `reports/${database}/` }));
  return (list.Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => k.endsWith("Z.json"))
    .sort()
    .at(-1)!
    .replace(/\.json$/, "");
}

describe("restore drills on MariaDB", () => {
  const src = `mstack_drill_src_${suffix}`;
  const user = `mdrill${process.pid % 100000}`;
  const database = "drill-my";

  beforeAll(() => {
    mysql(`CREATE DATABASE ${src}; USE ${src}; CREATE TABLE ${src}.appointments (id int primary key, note text);
      INSERT INTO ${src}.appointments SELECT seq, md5(seq) FROM seq_1_to_1200;
      CREATE TABLE ${src}.users (id int primary key); INSERT INTO ${src}.users SELECT seq FROM seq_1_to_40;`);
    // The drill's user has rights on drill_* databases only: the source is invisible to it (databases.sh gives backup
    // the GRANT OPTION for this).
    mysql(
      `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'drill'; GRANT ALL ON \`drill\\_%\`.* TO '${user}'@'127.0.0.1'`,
    );
  });
  afterAll(() => {
    mysql(`DROP DATABASE IF EXISTS ${src}; DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
  });

  it("the manifest brackets mysqldump's snapshot; the drill restores it as a user that cannot see the source", async () => {
    const key = await dumpAndVerify("mysql", database, src, "2026-03-09T02:00:00Z");
    const manifest = await manifestOf(key);
    expect(manifest).toMatchObject({
      engine: "mysql",
      consistency: "bracketed",
      serverVersion: mysql("SELECT VERSION()"),
      tables: [
        { table: "appointments", rows: 1200 },
        { table: "users", rows: 40 },
      ],
    });
    expect(() => mysql(`SELECT count(*) FROM ${src}.users`, user, "drill")).toThrow(/denied/);
    const checksum = mysql(`CHECKSUM TABLE ${src}.appointments, ${src}.users`);
    const config = drillConfig(database, "mysql", {
      target: { host: MY.host, port: MY.port, user, maintenanceDatabase: "information_schema" },
      majorVersion: mysql("SELECT VERSION()").split(".").slice(0, 2).join("."),
      checks: [{ name: "users", sql: "SELECT count(*) FROM users", min: 40, max: 40 }],
    });
    const { run } = await drill(config, "2026-03-09T09:00:00Z", "drill");
    const report = await run;
    expect(report).toMatchObject({
      verdict: "pass",
      tables: [
        { table: "appointments", expected: 1200, found: 1200, ok: true },
        { table: "users", expected: 40, found: 40, ok: true },
      ],
      checks: [{ name: "users", value: 40, ok: true }],
    });
    expect(mysql("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'drill\\_%'")).toBe(
      "0",
    );
    expect(mysql(`CHECKSUM TABLE ${src}.appointments, ${src}.users`)).toBe(checksum);
  });
});

describe("a drill that cannot get as far as a verdict", () => {
  it("still stores a failed report saying why (here: the target server refuses the connection)", async () => {
    const database = "drill-pg-unreachable";
    await dumpAndVerify("postgres", database, "postgres", "2026-03-09T02:00:00Z");
    const config = drillConfig(database, "postgres", {
      target: { host: "127.0.0.1", port: 1, user: "postgres", maintenanceDatabase: "postgres" },
      readyTimeoutSeconds: 1,
    });
    const { run, metrics } = await drill(config, "2026-03-09T09:00:00Z", PG.password);
    await expect(run).rejects.toThrow(DrillFailedError);
    const report = await storedReport(database);
    expect(report).toMatchObject({
      verdict: "fail",
      restore: null,
      dump: { slot: "2026-03-09T02:00:00.000Z" },
    });
    expect(report.problems).toEqual(["the target database did not answer within 1s"]);
    expect(metrics.at(-1)).toEqual(["DrillFailed", 1]);
  });

  it("an error it did not foresee (no room for the dump) ends in a failed report too, not a silent crash", async () => {
    const database = "drill-pg-unreachable";
    // The scratch directory's parent is a file: nowhere to put the dump.
    const blocked = join(mkdtempSync(join(tmpdir(), "drill-")), "file");
    writeFileSync(blocked, "");
    const { run } = await drill(
      drillConfig(database, "postgres", { workDir: join(blocked, "scratch") }),
      "2026-03-09T09:00:00Z",
      PG.password,
    );
    await expect(run).rejects.toThrow(/the drill stopped: ENOTDIR/);
    expect((await storedReport(database)).problems).toEqual([
      expect.stringMatching(/^the drill stopped: ENOTDIR/),
    ]);
  });
});
