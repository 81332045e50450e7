// Dump and restore throughput on generated databases (PostgreSQL about 270 MB, MariaDB about 130 MB): the job's whole
// path (dump, compress, SHA-256, multipart upload to s3rver, copy to the final key) beside the tool alone writing to
// /dev/null, for this tree and for the baseline commit's gzip pipeline; then a parallel restore against a serial one.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { dumpCommand, dumpKey, dumpToS3 } from "../../lambdas/logical-backup/dump";
import { fetchDump, restoreFile } from "../../lambdas/logical-backup/dump-file";

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const MY = { host: "127.0.0.1", port: 3306, user: "backup", password: "backup" };
const BUCKET = "bench-dumps";
const KMS = "arn:aws:kms:eu-west-2:1:key/k";
const MiB = 2 ** 20;

const psql = (db: string, sql: string) =>
  execFileSync("psql", ["-h", PG.host, "-U", PG.user, "-d", db, "-tAq", "-c", sql], {
    env: { ...process.env, PGPASSWORD: PG.password },
    encoding: "utf8",
  }).trim();
const mysql = (sql: string, db?: string) =>
  execFileSync("mysql", ["-h", MY.host, "-u", MY.user, "-N", "-B", ...(db ? [db] : []), "-e", sql], {
    env: { ...process.env, MYSQL_PWD: MY.password },
    encoding: "utf8",
  }).trim();

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Wall seconds of a shell pipeline (the tools alone, no Node in the path). */
function shellSeconds(command: string, env: Record<string, string>): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", command], { env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  return seconds(t0);
}

export interface DumpPath {
  /** Dump, compress, SHA-256 and multipart upload to the staging key (the job's `dump-seconds`). */
  readonly seconds: number;
  /** The same, then the copy to the final key (which real S3 does inside S3; s3rver here, in this process). */
  readonly totalSeconds: number;
  readonly storedMB: number;
}

export interface EngineDumps {
  /** The tool's uncompressed output. */
  readonly sizeMB: number;
  /** The tool writing its uncompressed output to /dev/null: how fast the source can be read. */
  readonly rawSeconds: number;
  /** pg_dump's default (zlib) to /dev/null; PostgreSQL only. */
  readonly defaultCompressionSeconds?: number;
  /** The tool into the zstd CLI at each level, to /dev/null (no Node, no S3): what the level alone costs and saves. */
  readonly levels: readonly { readonly level: string; readonly seconds: number; readonly sizeMB: number }[];
  readonly now: DumpPath;
  /** The job's own processes with S3 off this machine: each request answered at once (no server on these cores). */
  readonly nowNoServer: DumpPath;
  readonly before: DumpPath | null;
}

/** Sizes of a text corpus at each level and through gzip (the pipeline before), where the level matters most. */
export interface TextCorpus {
  readonly what: string;
  readonly sizeMB: number;
  readonly levels: readonly { readonly level: string; readonly sizeMB: number }[];
  readonly gzipMB: number;
}

export interface DumpBench {
  /** The 1-minute load average when the dump section starts and ends. */
  readonly load: readonly [number, number];
  readonly text: TextCorpus;
  readonly postgres: EngineDumps;
  readonly mysql: EngineDumps;
  readonly restore: { readonly tables: number; readonly jobs: number; serial: number; parallel: number };
}

type DumpToS3 = typeof dumpToS3;

/**
 * s3rver in a child process of its own: real S3 is not in the job's process, and s3rver in this one would take the
 * job's event loop for its own work (MD5 of every part, disk writes, reassembling the object on completion). It still
 * shares this machine's cores with the job, as the databases do.
 */
async function s3Server(): Promise<{ s3: S3Client; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "s3rver-bench-"));
  const script = `const S3rver = require("s3rver");
    new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: ${JSON.stringify(dir)} })
      .run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + "\\n"));`;
  const child = spawn(process.execPath, ["-e", script], {
    cwd: join(__dirname, "..", ".."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
  const { port } = JSON.parse(line) as { port: number };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "eu-west-2",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return {
    s3,
    close: async () => {
      s3.destroy();
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One run of a dumpToS3 (this tree's or the baseline's) and the command its module builds, end to end. */
async function timedDump(
  s3: S3Client,
  run: DumpToS3,
  command: ReturnType<typeof dumpCommand>,
  key: string,
): Promise<DumpPath> {
  const t0 = process.hrtime.bigint();
  let upload = 0;
  const result = await run(
    command,
    { bucket: BUCKET, key, kmsKeyArn: KMS, tags: {} },
    {
      s3,
      // dumpToS3 reads the clock at the start and once the staging upload is complete, before the copy.
      now: () => {
        upload = seconds(t0);
        return Date.now();
      },
    },
  );
  const total = seconds(t0);
  if (result.status !== "uploaded") throw new Error(`dump failed: ${JSON.stringify(result)}`);
  return { seconds: upload, totalSeconds: total, storedMB: result.bytes / MiB };
}

/**
 * S3 away from this machine's cores: every request answered at once (no object is kept), so the row it gives is the
 * job's own processes (tool, zstd, hashing, the SDK's requests) without s3rver's MD5s, disk writes and reassembly.
 */
const NO_SERVER = {
  send: async (command: object) => {
    if (command.constructor.name === "HeadObjectCommand")
      throw Object.assign(new Error("not found"), { name: "NotFound" });
    return { ETag: '"e"', UploadId: "u" };
  },
} as unknown as S3Client;

const RUNS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const outputMB = (command: string, env: Record<string, string>) =>
  Number(
    execFileSync("bash", ["-c", `${command} | wc -c`], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    }).trim(),
  ) / MiB;

/** zstd levels measured beside the job's, the tool piped into the CLI: the choice in dump-format.ts. */
export const BENCH_ZSTD_LEVELS = ["-1", "-3"] as const;

/**
 * Every path of one engine, round-robin (raw, each level's pipe, the job, the baseline's job, then again), so that a
 * change in the machine's load falls on all of them alike; medians of RUNS. Sizes are measured apart.
 */
async function benchEngine(
  tool: { command: string; env: Record<string, string> },
  job: {
    now: () => Promise<DumpPath>;
    nowNoServer: () => Promise<DumpPath>;
    before: (() => Promise<DumpPath>) | null;
  },
  defaultCompression?: string,
): Promise<EngineDumps> {
  const raw: number[] = [];
  const piped = BENCH_ZSTD_LEVELS.map(() => [] as number[]);
  const now: DumpPath[] = [];
  const noServer: DumpPath[] = [];
  const before: DumpPath[] = [];
  for (let i = 0; i < RUNS; i++) {
    raw.push(shellSeconds(`${tool.command} > /dev/null`, tool.env));
    for (const [l, level] of BENCH_ZSTD_LEVELS.entries())
      piped[l]!.push(shellSeconds(`${tool.command} | zstd ${level} -q -c > /dev/null`, tool.env));
    now.push(await job.now());
    noServer.push(await job.nowNoServer());
    if (job.before) before.push(await job.before());
  }
  const medianPath = (xs: DumpPath[]) => xs.sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)]!;
  return {
    sizeMB: outputMB(tool.command, tool.env),
    rawSeconds: median(raw),
    ...(defaultCompression ? { defaultCompressionSeconds: shellSeconds(defaultCompression, tool.env) } : {}),
    levels: BENCH_ZSTD_LEVELS.map((level, l) => ({
      level,
      seconds: median(piped[l]!),
      sizeMB: outputMB(`${tool.command} | zstd ${level} -q -c`, tool.env),
    })),
    now: medianPath(now),
    nowNoServer: medianPath(noServer),
    before: job.before ? medianPath(before) : null,
  };
}

/**
 * The bench databases hold hex digests, which zstd finds hard to compress (there -1 is faster and smaller than -3);
 * prose and code are where a higher level pays: this checkout's TypeScript compiler library (JavaScript and .d.ts).
 */
function textCorpus(): TextCorpus {
  const tar = `tar -cf - -C ${JSON.stringify(join(__dirname, "..", "..", "node_modules", "typescript"))} lib`;
  return {
    what: "node_modules/typescript/lib as one tar (JavaScript and .d.ts text)",
    sizeMB: outputMB(tar, {}),
    levels: BENCH_ZSTD_LEVELS.map((level) => ({
      level,
      sizeMB: outputMB(`${tar} | zstd ${level} -q -c`, {}),
    })),
    gzipMB: outputMB(`${tar} | gzip -6`, {}),
  };
}

/** Four tables of hex text (compresses about as real text columns do), so a parallel restore has work to share. */
function makePostgres(db: string): number {
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  for (let t = 1; t <= 4; t++) {
    psql(
      db,
      `CREATE TABLE bench${t} AS SELECT g AS id, md5((g * ${t})::text) || md5((g * 7 + ${t})::text) AS a, now() AS at
       FROM generate_series(1, 550000) g; ALTER TABLE bench${t} ADD PRIMARY KEY (id)`,
    );
  }
  return Number(psql(db, `SELECT pg_database_size('${db}')`)) / MiB;
}

function makeMysql(db: string): number {
  mysql(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}`);
  // seq_1_to_N is MariaDB's Sequence engine, which needs a current database.
  mysql(
    `CREATE TABLE bench (id int primary key, a char(64), at datetime) ENGINE=InnoDB;
     INSERT INTO bench SELECT seq, CONCAT(md5(seq), md5(seq * 7)), NOW() FROM seq_1_to_1000000`,
    db,
  );
  return (
    Number(
      mysql(
        `SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '${db}'`,
      ),
    ) / MiB
  );
}

export async function benchLogicalDump(baseline: string | null): Promise<DumpBench> {
  execFileSync("bash", [join(__dirname, "..", "ci", "databases.sh")], { stdio: "ignore" });
  // The baseline's own dump module, run against the same databases and server: its gzip pipeline as it was.
  const before: { dumpToS3: DumpToS3; dumpCommand: typeof dumpCommand } | null = baseline
    ? require(join(baseline, "lambdas", "logical-backup", "dump.ts"))
    : null;
  const startLoad = loadavg()[0]!;
  const { s3, close } = await s3Server();
  try {
    // Named per process: another checkout may run its bench against the same servers at the same time.
    const pgDb = `mstack_bench_${process.pid}`;
    makePostgres(pgDb);
    const pgEnv = { PGPASSWORD: PG.password };
    const pgArgs = `-h ${PG.host} -U ${PG.user} ${pgDb}`;
    const slot = (i: number) => new Date(Date.UTC(2026, 11, 1, 2, i));
    let run = 0;
    // The job's paths of one engine: this tree's through s3rver and with S3 off the cores, and the baseline's.
    const jobPaths = (
      engine: "postgres" | "mysql",
      connection: Parameters<typeof dumpCommand>[1],
      short: string,
    ): Parameters<typeof benchEngine>[1] => ({
      now: () =>
        timedDump(s3, dumpToS3, dumpCommand(engine, connection), dumpKey("daily", short, slot(run++))),
      nowNoServer: () =>
        timedDump(NO_SERVER, dumpToS3, dumpCommand(engine, connection), dumpKey("daily", short, slot(0))),
      before: before
        ? () =>
            timedDump(
              s3,
              before.dumpToS3,
              before.dumpCommand(engine, connection),
              `daily/${short}-before/20261201T02${String(run).padStart(2, "0")}00Z.dump.gz`,
            )
        : null,
    });
    const postgres = await benchEngine(
      { command: `pg_dump --format=custom --compress=0 ${pgArgs}`, env: pgEnv },
      jobPaths("postgres", { ...PG, database: pgDb }, "pg"),
      `pg_dump --format=custom ${pgArgs} > /dev/null`,
    );

    const myDb = `mstack_bench_${process.pid}`;
    makeMysql(myDb);
    run = 0;
    const mysqlDump = await benchEngine(
      {
        command: `mysqldump --single-transaction --no-tablespaces -h ${MY.host} -u ${MY.user} ${myDb}`,
        env: { MYSQL_PWD: MY.password },
      },
      jobPaths("mysql", { ...MY, database: myDb }, "my"),
    );
    mysql(`DROP DATABASE ${myDb}`);

    // Restore the new PostgreSQL dump from one fetched file, serially and with one job per core.
    const file = join(mkdtempSync(join(tmpdir(), "restore-bench-")), "dump.custom");
    await fetchDump(s3, { bucket: BUCKET, key: dumpKey("daily", "pg", slot(0)) }, file);
    const jobs = 2;
    const restore = async (n: number) => {
      const db = `mstack_bench_restore_${process.pid}_${n}`;
      psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
      psql("postgres", `CREATE DATABASE ${db}`);
      const t0 = process.hrtime.bigint();
      await restoreFile("postgres", file, { ...PG, database: db }, n);
      const s = seconds(t0);
      psql("postgres", `DROP DATABASE ${db}`);
      return s;
    };
    const serial = await restore(1);
    const parallel = await restore(jobs);
    rmSync(file, { force: true });
    psql("postgres", `DROP DATABASE ${pgDb}`);
    return {
      load: [startLoad, loadavg()[0]!],
      text: textCorpus(),
      postgres,
      mysql: mysqlDump,
      restore: { tables: 4, jobs, serial, parallel },
    };
  } finally {
    await close();
  }
}
