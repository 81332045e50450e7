// Restore seconds of the benchmark database through the real drill (dump job into s3rver, verification, drill into a
// scratch database), with pg_restore serial (-j1) and parallel (-j one per core), as a ratio measured in one run.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { runDrill } from "../../lambdas/logical-backup/drill";
import { runDump } from "../../lambdas/logical-backup/run";
import { verifyDumps } from "../../lambdas/logical-backup/verify";

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const psql = (db: string, sql: string) =>
  execFileSync("psql", ["-h", PG.host, "-U", PG.user, "-d", db, "-tAq", "-c", sql], {
    env: { ...process.env, PGPASSWORD: PG.password },
    encoding: "utf8",
  }).trim();
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

export async function benchRestoreDrill(): Promise<{
  sizeMB: number;
  tables: number;
  serialSeconds: number;
  parallelSeconds: number;
  jobs: number;
}> {
  execFileSync("bash", [join(__dirname, "..", "ci", "databases.sh")], { stdio: "ignore" });
  const db = "mstack_bench_restore";
  const tables = 4;
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  // Several tables with a primary key and an index each: what pg_restore -j can spread over its workers.
  for (let t = 0; t < tables; t++)
    psql(
      db,
      `CREATE TABLE t${t} AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a, g % 1000 AS k FROM generate_series(1, 500000) g;
       ALTER TABLE t${t} ADD PRIMARY KEY (id); CREATE INDEX ON t${t} (k, a)`,
    );
  const sizeMB = Number(psql(db, `SELECT pg_database_size('${db}')`)) / 2 ** 20;
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: mkdtempSync(join(tmpdir(), "s3rver-drill-")),
  });
  const { port } = (await server.run()) as unknown as { port: number };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "eu-west-2",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  for (const Bucket of ["bench-dumps", "bench-reports"]) await s3.send(new CreateBucketCommand({ Bucket }));
  const slot = "2026-01-05T02:00:00Z";
  const kmsKeyArn = "arn:aws:kms:eu-west-2:1:key/k";
  await runDump(
    { tier: "daily", scheduledTime: slot },
    {
      database: "bench",
      engine: "postgres",
      host: PG.host,
      port: PG.port,
      databaseName: db,
      user: PG.user,
      passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:1:secret:x",
      bucket: "bench-dumps",
      kmsKeyArn,
    },
    {
      s3,
      secrets: { send: async () => ({ SecretString: PG.password }) } as never,
      log: quiet,
      metrics: { put: () => {} },
      now: () => new Date(Date.parse(slot) + 60_000),
    },
  );
  await verifyDumps(s3, ["bench-dumps"], "bench", "postgres", new Date(Date.parse(slot) + 3_600_000));
  const jobs = Math.max(2, cpus().length);
  const restore = async (restoreJobs: number) => {
    const report = await runDrill(
      { scheduledTime: new Date().toISOString() },
      {
        database: "bench",
        engine: "postgres",
        tier: "daily",
        buckets: ["bench-dumps"],
        reportsBucket: "bench-reports",
        kmsKeyArn,
        target: { host: PG.host, port: PG.port, user: PG.user, maintenanceDatabase: "postgres" },
        majorVersion: psql("postgres", "SHOW server_version").split(".")[0]!,
        restoreJobs,
        restoreTimeoutSeconds: 3600,
        readyTimeoutSeconds: 60,
        maxCandidates: 3,
        checks: [],
        workDir: mkdtempSync(join(tmpdir(), "bench-drill-")),
      },
      { s3, log: quiet, metrics: { put: () => {} }, now: () => new Date(), targetPassword: PG.password },
    );
    return report.restore!.secondsToFirstQuery!;
  };
  // Serial first, then parallel, then serial again: the median-free pair (serial averaged) evens out a warm cache.
  const serialA = await restore(1);
  const parallelSeconds = await restore(jobs);
  const serialB = await restore(1);
  s3.destroy();
  await server.close();
  psql("postgres", `DROP DATABASE ${db}`);
  return { sizeMB, tables, serialSeconds: (serialA + serialB) / 2, parallelSeconds, jobs };
}
