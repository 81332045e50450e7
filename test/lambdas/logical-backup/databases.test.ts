// Real PostgreSQL and MariaDB (Debian packages, started by scripts/ci/databases.sh): dump, upload to s3rver, fetch to
// a local file, restore into an empty database (pg_restore in parallel), and compare every table's rows and content;
// dumps of the earlier gzip format still verify and restore. A bad dump produces no object.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type S3rver from "s3rver";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { dumpCommand, dumpKey, dumpToS3 } from "../../../lambdas/logical-backup/dump";
import { fetchDump, restoreFile } from "../../../lambdas/logical-backup/dump-file";
import { DumpFailedError, runDump } from "../../../lambdas/logical-backup/run";
import { verifyDumps } from "../../../lambdas/logical-backup/verify";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { gzipSync } from "node:zlib";
import { startLocalS3 } from "../../support/local-s3";

const execFileAsync = promisify(execFile);
const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const MY = { host: "127.0.0.1", port: 3306, user: "backup", password: "backup" };
const BUCKET = "dumps-test";
const suffix = `${process.pid}_${Date.now() % 100000}`;
let server: S3rver;
let s3: S3Client;

const psql = (db: string, sql: string) =>
  execFileSync("psql", ["-h", PG.host, "-p", String(PG.port), "-U", PG.user, "-d", db, "-tAq", "-c", sql], {
    env: { ...process.env, PGPASSWORD: PG.password },
    encoding: "utf8",
  }).trim();
const mysql = (sql: string, db?: string, input?: string) =>
  execFileSync(
    "mysql",
    [
      "-h",
      MY.host,
      "-P",
      String(MY.port),
      "-u",
      MY.user,
      "-N",
      "-B",
      ...(db ? [db] : []),
      ...(input ? [] : ["-e", sql]),
    ],
    {
      env: { ...process.env, MYSQL_PWD: MY.password },
      encoding: "utf8",
      ...(input ? { input } : {}),
    },
  ).trim();

beforeAll(async () => {
  try {
    execFileSync("pg_isready", ["-q", "-h", PG.host, "-p", String(PG.port)]);
    execFileSync("mysqladmin", ["-h", MY.host, "-P", String(MY.port), "-u", MY.user, "ping"], {
      env: { ...process.env, MYSQL_PWD: MY.password },
      stdio: "ignore",
    });
  } catch {
    throw new Error(
      "PostgreSQL and MariaDB must be running on 127.0.0.1: run `bash scripts/ci/databases.sh` (npm test's pretest does)",
    );
  }
  ({ server, s3 } = await startLocalS3([BUCKET]));
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

async function storedBytes(key: string): Promise<Buffer> {
  const obj = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await obj.Body!.transformToByteArray());
}
/** Compresses with the zstd CLI, independently of the code under test. */
const zstdSync = (data: Uint8Array) => execFileSync("zstd", ["-q", "-c"], { input: data });
/** Puts a dump object with the sha256 metadata the job records (of these bytes, unless a wrong one is given). */
async function putDump(key: string, body: Buffer, sha256?: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      Metadata: { sha256: sha256 ?? createHash("sha256").update(body).digest("hex") },
    }),
  );
}

/** Tables with the types a restore could mangle: unicode text, NULLs, bytea, numeric, timestamptz, jsonb. */
function makePgTables(db: string): void {
  psql(
    db,
    `CREATE TABLE appointments (id serial primary key, note text, fee numeric(12, 2), at timestamptz, raw bytea, meta jsonb);
     INSERT INTO appointments (note, fee, at, raw, meta)
       SELECT CASE WHEN g % 97 = 0 THEN NULL ELSE md5(g::text) || ' é✓ ' || g END, g * 1.25,
              timestamptz '2026-03-01 00:00:00+00' + g * interval '37 minutes', decode(md5(g::text), 'hex'),
              jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g % 7))
       FROM generate_series(1, 2500) g;
     CREATE INDEX appointments_at ON appointments (at);
     CREATE TABLE users (id int primary key, name text); INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;`,
  );
}
/** Per table, ordered by name: "<table> <row count> <md5 of every row's text, in primary-key order>". */
function pgDigests(db: string): string[] {
  return psql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    .split("\n")
    .map((t) =>
      psql(
        db,
        `SELECT '${t} ' || count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x.id)), '') FROM ${t} x`,
      ),
    );
}
function makeMyTables(db: string): void {
  mysql(
    `CREATE TABLE appointments (id int primary key auto_increment, note varchar(64), fee decimal(12, 2), at datetime(3), raw varbinary(16));
     INSERT INTO appointments (note, fee, at, raw)
       SELECT IF(seq % 97 = 0, NULL, CONCAT(md5(seq), ' é✓')), seq * 1.25, TIMESTAMP('2026-03-01') + INTERVAL seq MINUTE, UNHEX(md5(seq))
       FROM seq_1_to_1800;
     CREATE TABLE notes (id int primary key, body text) DEFAULT CHARSET utf8mb4;
     INSERT INTO notes VALUES (1, 'line\\nbreak'), (2, 'quote '' and \\\\ backslash'), (3, NULL);`,
    db,
  );
}
/** Per table: "<table> <row count> <CHECKSUM TABLE ... EXTENDED>" (a checksum over every row's content). */
function myDigests(db: string): string[] {
  return mysql("SHOW TABLES", db)
    .split("\n")
    .sort()
    .map((t) => {
      const count = mysql(`SELECT count(*) FROM \`${t}\``, db);
      const checksum = mysql(`CHECKSUM TABLE \`${t}\` EXTENDED`, db).split("\t")[1];
      return `${t} ${count} ${checksum}`;
    });
}
const target = (key: string) => ({
  bucket: BUCKET,
  key,
  kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/b",
  tags: { tier: "daily" },
});

describe("logical dumps of real databases", () => {
  it("PostgreSQL: a zstd dump lands, is fetched to a file and restored in parallel with equal rows and content", async () => {
    const src = `mstack_src_${suffix}`;
    const dst = `mstack_dst_${suffix}`;
    psql("postgres", `CREATE DATABASE ${src}`);
    psql("postgres", `CREATE DATABASE ${dst}`);
    makePgTables(src);
    const key = dumpKey("daily", src, new Date("2026-03-09T20:30:00Z"));
    expect(key).toBe(`daily/${src}/20260309T203000Z.dump.zst`);
    const result = await dumpToS3(dumpCommand("postgres", { ...PG, database: src }), target(key), { s3 });
    expect(result.status).toBe("uploaded");
    // Stored as one zstd frame around an uncompressed custom-format archive (magic PGDMP, compression none).
    const stored = await storedBytes(key);
    expect(stored.subarray(0, 4).toString("hex")).toBe("28b52ffd");
    const file = join(mkdtempSync(join(tmpdir(), "restore-")), "dump.custom");
    const fetched = await fetchDump(s3, { bucket: BUCKET, key }, file);
    expect(fetched).toMatchObject({
      sha256: (result as { sha256: string }).sha256,
      storedBytes: stored.length,
    });
    expect(readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");
    expect(execFileSync("pg_restore", ["--list", file], { encoding: "utf8" })).toMatch(
      /Compression: (0|none)/,
    );
    await restoreFile("postgres", file, { ...PG, database: dst }, 2);
    expect(pgDigests(dst)).toEqual(pgDigests(src));
    expect(pgDigests(dst).map((t) => t.split(" ").slice(0, 2).join(" "))).toEqual([
      "appointments 2500",
      "users 40",
    ]);
    psql("postgres", `DROP DATABASE ${src}`);
    psql("postgres", `DROP DATABASE ${dst}`);
  });

  it("PostgreSQL: a dump of the earlier format (pg_dump zlib, then gzip, .dump.gz) still verifies and restores", async () => {
    const src = `mstack_gsrc_${suffix}`;
    const dst = `mstack_gdst_${suffix}`;
    psql("postgres", `CREATE DATABASE ${src}`);
    psql("postgres", `CREATE DATABASE ${dst}`);
    makePgTables(src);
    // Written exactly as the job wrote it before: pg_dump's default compression, through gzip, sha256 of the gzip.
    const legacy = gzipSync(
      execFileSync("pg_dump", ["--format=custom", "-h", PG.host, "-U", PG.user, src], {
        env: { ...process.env, PGPASSWORD: PG.password },
        maxBuffer: 1 << 26,
      }),
    );
    const key = `daily/legacy-pg/20260308T203000Z.dump.gz`;
    await putDump(key, legacy);
    expect(
      await verifyDumps(s3, [BUCKET], "legacy-pg", "postgres", new Date("2026-03-09T02:30:00Z")),
    ).toEqual({
      database: "legacy-pg",
      key,
      ok: true,
      newestGoodAgeSeconds: 6 * 3600,
    });
    const file = join(mkdtempSync(join(tmpdir(), "restore-")), "dump.custom");
    await fetchDump(s3, { bucket: BUCKET, key }, file);
    await restoreFile("postgres", file, { ...PG, database: dst }, 2);
    expect(pgDigests(dst)).toEqual(pgDigests(src));
    psql("postgres", `DROP DATABASE ${src}`);
    psql("postgres", `DROP DATABASE ${dst}`);
  });

  it("a fetched dump whose bytes differ from the recorded checksum is refused, not restored", async () => {
    const key = "daily/tampered/20260308T203000Z.dump.zst";
    await putDump(key, zstdSync(Buffer.from("PGDMP not really")), "0".repeat(64));
    const file = join(mkdtempSync(join(tmpdir(), "restore-")), "dump.custom");
    await expect(fetchDump(s3, { bucket: BUCKET, key }, file)).rejects.toThrow(
      /SHA-256 of the stored bytes is [0-9a-f]{64}, the dump job recorded 0{64}; not restoring it/,
    );
    // Refused before a byte was decoded: no file to restore, and no stored copy left behind.
    expect(readdirSync(dirname(file))).toEqual([]);
  });

  it("PostgreSQL: a wrong password or an unreachable host produces no object and a failure", async () => {
    const wrong = await dumpToS3(
      dumpCommand("postgres", { ...PG, password: "wrong", database: "postgres" }),
      target("daily/bad/1.dump.gz"),
      { s3 },
    );
    expect(wrong).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/password authentication failed/),
    });
    const unreachable = await dumpToS3(
      dumpCommand("postgres", { ...PG, port: 1, database: "postgres" }),
      target("daily/bad/2.dump.gz"),
      { s3 },
    );
    expect(unreachable.status).toBe("failed");
    const listed =
      (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "daily/bad/" }))).Contents ?? [];
    expect(listed).toEqual([]);
  });

  it("PostgreSQL: a server that drops pg_dump mid-stream (its output going straight into zstd) lands nothing and says why", async () => {
    const db = `mstack_cut_${suffix}`;
    psql("postgres", `CREATE DATABASE ${db}`);
    // Enough rows that the COPY is still running when it is found: the header and TOC are already in zstd by then.
    psql(
      db,
      "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS v FROM generate_series(1, 400000) g",
    );
    const key = dumpKey("daily", db, new Date("2026-03-09T20:30:00Z"));
    const dumping = dumpToS3(dumpCommand("postgres", { ...PG, database: db }), target(key), { s3 });
    const sql = (q: string) =>
      execFileAsync(
        "psql",
        ["-h", PG.host, "-p", String(PG.port), "-U", PG.user, "-d", "postgres", "-tAq", "-c", q],
        {
          env: { ...process.env, PGPASSWORD: PG.password },
        },
      ).then((r) => r.stdout.trim());
    let settled = false;
    void dumping.finally(() => {
      settled = true;
    });
    let terminated = "";
    // Until the COPY is found (a dump that ended first fails the expectation below instead of spinning).
    while (!terminated && !settled) {
      terminated = await sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND query LIKE 'COPY public.big%'`,
      );
    }
    expect(terminated).toBe("t");
    const result = await dumping;
    expect(result).toEqual({
      status: "failed",
      key,
      error: expect.stringMatching(
        /^pg_dump exited 1: pg_dump: error: Dumping the contents of table "big" failed/,
      ),
    });
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [];
    expect(listed.map((o) => o.Key).filter((k) => k?.includes(db))).toEqual([]);
    psql("postgres", `DROP DATABASE ${db}`);
  });

  it("MariaDB: mysqldump --single-transaction lands as zstd and restores with equal rows and content", async () => {
    const src = `mstack_src_${suffix}`;
    const dst = `mstack_dst_${suffix}`;
    mysql(`CREATE DATABASE ${src}; CREATE DATABASE ${dst};`);
    makeMyTables(src);
    const key = dumpKey("daily", `my-${src}`, new Date("2026-03-09T20:30:00Z"));
    const result = await dumpToS3(dumpCommand("mysql", { ...MY, database: src }), target(key), { s3 });
    expect(result.status).toBe("uploaded");
    const file = join(mkdtempSync(join(tmpdir(), "restore-")), "dump.sql");
    await fetchDump(s3, { bucket: BUCKET, key }, file);
    expect(readFileSync(file, "utf8")).toContain("-- Dump completed");
    await restoreFile("mysql", file, { ...MY, database: dst });
    expect(myDigests(dst)).toEqual(myDigests(src));
    expect(myDigests(dst).map((t) => t.split(" ").slice(0, 2).join(" "))).toEqual([
      "appointments 1800",
      "notes 3",
    ]);
    mysql(`DROP DATABASE ${src}; DROP DATABASE ${dst};`);
  });

  it("MariaDB: a gzip dump of the earlier format (.dump.gz) still verifies and restores", async () => {
    const src = `mstack_gsrc_${suffix}`;
    const dst = `mstack_gdst_${suffix}`;
    mysql(`CREATE DATABASE ${src}; CREATE DATABASE ${dst};`);
    makeMyTables(src);
    const sql = execFileSync(
      "mysqldump",
      ["--single-transaction", "--no-tablespaces", "-h", MY.host, "-P", String(MY.port), "-u", MY.user, src],
      { env: { ...process.env, MYSQL_PWD: MY.password }, maxBuffer: 1 << 26 },
    );
    const key = "daily/legacy-my/20260308T203000Z.dump.gz";
    await putDump(key, gzipSync(sql));
    expect(
      await verifyDumps(s3, [BUCKET], "legacy-my", "mysql", new Date("2026-03-09T02:30:00Z")),
    ).toMatchObject({
      ok: true,
      key,
    });
    const file = join(mkdtempSync(join(tmpdir(), "restore-")), "dump.sql");
    await fetchDump(s3, { bucket: BUCKET, key }, file);
    await restoreFile("mysql", file, { ...MY, database: dst });
    expect(myDigests(dst)).toEqual(myDigests(src));
    mysql(`DROP DATABASE ${src}; DROP DATABASE ${dst};`);
  });

  it("a run reads the password from Secrets Manager, reports metrics, and never logs the secret", async () => {
    const secrets = new SecretsManagerClient({});
    const sm = mockClient(secrets);
    const lines: string[] = [];
    const metrics: Array<[string, number]> = [];
    const deps = {
      s3,
      secrets,
      log: {
        info: (m: string, e?: object) => lines.push(m + JSON.stringify(e)),
        warn: () => {},
        error: (m: string, e?: object) => lines.push(m + JSON.stringify(e)),
      },
      metrics: { put: (n: string, v: number) => void metrics.push([n, v]) },
      now: () => new Date("2026-03-10T20:31:00Z"),
    };
    const config = {
      database: "pg-run",
      engine: "postgres" as const,
      host: PG.host,
      port: PG.port,
      databaseName: "postgres",
      user: PG.user,
      passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf",
      bucket: BUCKET,
      kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/b",
    };
    sm.on(GetSecretValueCommand, { SecretId: config.passwordSecretArn }).resolves({
      SecretString: JSON.stringify({ username: "postgres", password: PG.password }),
    });
    const ok = await runDump({ tier: "daily", scheduledTime: "2026-03-09T20:30:00Z" }, config, deps);
    expect(ok).toMatchObject({ status: "uploaded", key: "daily/pg-run/20260309T203000Z.dump.zst" });
    expect(metrics.map(([n]) => n)).toEqual(["BackupFailed", "DumpBytes", "DumpSeconds"]);
    expect(metrics[0]).toEqual(["BackupFailed", 0]);

    sm.on(GetSecretValueCommand, { SecretId: config.passwordSecretArn }).resolves({
      SecretString: "not-the-password",
    });
    await expect(
      runDump({ tier: "daily", scheduledTime: "2026-03-10T20:30:00Z" }, config, deps),
    ).rejects.toThrow(DumpFailedError);
    expect(metrics.at(-1)).toEqual(["BackupFailed", 1]);
    expect(lines.join("\n")).not.toContain("not-the-password");
    sm.restore();
  });

  it("verification: the newest good dump passes pg_restore --list and its checksum; a corrupt newer one is reported", async () => {
    const db = "verify-pg";
    const good = dumpKey("daily", db, new Date("2026-03-08T20:30:00Z"));
    expect(
      (await dumpToS3(dumpCommand("postgres", { ...PG, database: "postgres" }), target(good), { s3 })).status,
    ).toBe("uploaded");
    const now = new Date("2026-03-09T02:30:00Z");
    expect(await verifyDumps(s3, BUCKET, db, "postgres", now)).toEqual({
      database: db,
      key: good,
      ok: true,
      newestGoodAgeSeconds: 6 * 3600,
    });

    // A newer object whose bytes do not match its recorded checksum (bit rot, a partial copy).
    const bad = dumpKey("daily", db, new Date("2026-03-09T01:00:00Z"));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: bad,
        Body: zstdSync(Buffer.from("garbage")),
        Metadata: { sha256: "0".repeat(64) },
      }),
    );
    const verdict = await verifyDumps(s3, BUCKET, db, "postgres", now);
    expect(verdict).toMatchObject({ ok: false, key: bad, newestGoodAgeSeconds: 6 * 3600 });
    expect(verdict.problem).toMatch(/sha256 mismatch/);
  });

  it("verification: a truncated mysqldump (no footer) fails even with a matching checksum", async () => {
    const db = "verify-my";
    const key = dumpKey("daily", db, new Date("2026-03-08T20:30:00Z"));
    const body = zstdSync(Buffer.from("-- MariaDB dump\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1"));
    const { createHash } = await import("node:crypto");
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: body,
        Metadata: { sha256: createHash("sha256").update(body).digest("hex") },
      }),
    );
    const verdict = await verifyDumps(s3, BUCKET, db, "mysql", new Date("2026-03-09T02:30:00Z"));
    expect(verdict).toMatchObject({ ok: false, newestGoodAgeSeconds: null });
    expect(verdict.problem).toMatch(/footer missing/);
  });

  it("verification: a verified dump is tagged ok (keeping its tier tag) and not downloaded again", async () => {
    const db = "verify-cache";
    const key = dumpKey("daily", db, new Date("2026-03-08T20:30:00Z"));
    expect(
      (
        await dumpToS3(
          dumpCommand("postgres", { ...PG, database: "postgres" }),
          { ...target(key), tags: { tier: "daily", database: db } },
          { s3 },
        )
      ).status,
    ).toBe("uploaded");
    // s3rver drops CopyObject's Tagging header (real S3 applies it): put the tags the copy would have set.
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: key,
        Tagging: {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "database", Value: db },
          ],
        },
      }),
    );
    const now = new Date("2026-03-09T02:30:00Z");
    expect(await verifyDumps(s3, [BUCKET], db, "postgres", now)).toMatchObject({ ok: true, key });
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
    expect(tags.TagSet).toEqual([
      { Key: "tier", Value: "daily" },
      { Key: "database", Value: db },
      { Key: "verified", Value: "ok" },
    ]);
    const gets: string[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        gets.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "countCommands" },
    );
    try {
      expect(await verifyDumps(s3, [BUCKET], db, "postgres", now)).toMatchObject({
        ok: true,
        newestGoodAgeSeconds: 6 * 3600,
      });
    } finally {
      s3.middlewareStack.remove("countCommands");
    }
    expect(gets).not.toContain("GetObjectCommand");
    expect(gets).toContain("GetObjectTaggingCommand");
  });

  it("verification: a large PostgreSQL dump (pg_restore --list stops reading early) is still hashed to the end", async () => {
    const db = `verify_big_${suffix}`;
    psql("postgres", `CREATE DATABASE ${db}`);
    // ~200k rows of md5 text: several MB even compressed, far beyond pg_restore's TOC read.
    psql(
      db,
      "CREATE TABLE t AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 200000) g",
    );
    const name = "verify-big";
    const key = dumpKey("daily", name, new Date("2026-03-08T20:30:00Z"));
    const result = await dumpToS3(dumpCommand("postgres", { ...PG, database: db }), target(key), { s3 });
    expect(result).toMatchObject({ status: "uploaded" });
    expect((result as { bytes: number }).bytes).toBeGreaterThan(2 * 1024 * 1024);
    const verdict = await verifyDumps(s3, [BUCKET], name, "postgres", new Date("2026-03-09T02:30:00Z"));
    expect(verdict).toEqual({ database: name, key, ok: true, newestGoodAgeSeconds: 6 * 3600 });
    psql("postgres", `DROP DATABASE ${db}`);
  }, 60_000);

  it("verification: a bad monthly dump hidden behind a good newer daily one still fails", async () => {
    const db = "verify-tiers";
    const daily = dumpKey("daily", db, new Date("2026-03-01T02:00:00Z"));
    expect(
      (await dumpToS3(dumpCommand("postgres", { ...PG, database: "postgres" }), target(daily), { s3 }))
        .status,
    ).toBe("uploaded");
    const monthly = dumpKey("monthly", db, new Date("2026-03-01T01:30:00Z"));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: monthly,
        Body: zstdSync(Buffer.from("garbage")),
        Metadata: { sha256: "0".repeat(64) },
      }),
    );
    const verdict = await verifyDumps(s3, [BUCKET], db, "postgres", new Date("2026-03-01T03:00:00Z"));
    expect(verdict).toMatchObject({ ok: false, key: monthly, newestGoodAgeSeconds: 3600 });
    expect(verdict.problem).toMatch(/^monthly\/verify-tiers\/20260301T013000Z\.dump\.zst: sha256 mismatch/);
  });
});
