// Dump-and-upload throughput on a generated PostgreSQL database of at least 200 MB, beside raw `pg_dump > /dev/null`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { dumpCommand, dumpToS3 } from "../../lambdas/logical-backup/dump";

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const env = { ...process.env, PGPASSWORD: PG.password };
const psql = (db: string, sql: string) =>
  execFileSync("psql", ["-h", PG.host, "-U", PG.user, "-d", db, "-tAq", "-c", sql], {
    env,
    encoding: "utf8",
  }).trim();

export async function benchLogicalDump(): Promise<{
  sizeMB: number;
  dumpUploadMBps: number;
  rawDumpMBps: number;
  gzipMB: number;
}> {
  execFileSync("bash", [join(__dirname, "..", "ci", "databases.sh")], { stdio: "ignore" });
  const db = "mstack_bench";
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  // Hex digests compress about as much as real text columns do (pgbench's blank filler would compress to nothing).
  psql(
    db,
    "CREATE TABLE bench AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a, now() AS at FROM generate_series(1, 2200000) g",
  );
  psql(db, "ALTER TABLE bench ADD PRIMARY KEY (id)");
  const sizeMB = Number(psql(db, `SELECT pg_database_size('${db}')`)) / 2 ** 20;

  const t0 = process.hrtime.bigint();
  const raw = spawnSync(
    "bash",
    ["-c", `pg_dump --format=custom -h ${PG.host} -U ${PG.user} ${db} > /dev/null`],
    { env },
  );
  if (raw.status !== 0) throw new Error(`pg_dump failed: ${raw.stderr}`);
  const rawSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: mkdtempSync(join(tmpdir(), "s3rver-bench-")),
  });
  const { port } = (await server.run()) as unknown as { port: number };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "eu-west-2",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "bench-dumps" }));
  const t1 = process.hrtime.bigint();
  const result = await dumpToS3(
    dumpCommand("postgres", { ...PG, database: db }),
    {
      bucket: "bench-dumps",
      key: "daily/bench/x.dump.gz",
      kmsKeyArn: "arn:aws:kms:eu-west-2:1:key/k",
      tags: {},
    },
    { s3 },
  );
  const uploadSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  s3.destroy();
  await server.close();
  psql("postgres", `DROP DATABASE ${db}`);
  if (result.status !== "uploaded") throw new Error(`dump failed: ${JSON.stringify(result)}`);
  return {
    sizeMB,
    dumpUploadMBps: sizeMB / uploadSeconds,
    rawDumpMBps: sizeMB / rawSeconds,
    gzipMB: result.bytes / 2 ** 20,
  };
}
