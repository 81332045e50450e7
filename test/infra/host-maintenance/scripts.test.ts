// The generated host scripts run by real bash against a scratch tree of files with known ages; `docker`, `certbot` and
// `aws` are stubs on PATH that record their arguments. What is deleted, compressed, pruned and synced is exact.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type HostTask, hostTask, unsafePathProblem, walArchiving } from "../../../infra/config/hosts";
import {
  baseBackupScript,
  hostScript,
  pgbackrestConf,
  type ScriptContext,
  shq,
} from "../../../infra/host-maintenance/scripts";

const DAY = 86_400_000;
let root: string;
let bin: string;
let calls: string;

const ctx = (over: Partial<ScriptContext> = {}): ScriptContext => ({
  host: "app",
  window: "weekly",
  region: "ap-south-1",
  bucket: "skillswap-host-files-abc",
  kmsKeyArn: "arn:aws:kms:ap-south-1:123456789012:key/k",
  namespace: "Maintenance/skillswap-prod",
  dryRun: false,
  ...over,
});

function file(rel: string, ageDays: number, body = "x"): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, body);
  const t = new Date(Date.now() - ageDays * DAY);
  fs.utimesSync(p, t, t);
  return p;
}

/** Files under root, relative, sorted. */
function tree(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function stub(name: string, exit = 0, stdout = "") {
  const p = path.join(bin, name);
  fs.writeFileSync(
    p,
    `#!/bin/bash\nprintf '%s' ${shq(name)} >> ${shq(calls)}\nfor a in "$@"; do printf ' [%s]' "$a" >> ${shq(calls)}; done\necho >> ${shq(calls)}\nprintf '%s' ${shq(stdout)}\nexit ${exit}\n`,
    { mode: 0o755 },
  );
}

function run(tasks: unknown[], c: Partial<ScriptContext> = {}) {
  const parsed = tasks.map((t) => hostTask.parse({ window: "weekly", ...(t as object) })) as HostTask[];
  const script = hostScript(parsed, ctx(c));
  const r = spawnSync("bash", ["-c", script], {
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
    encoding: "utf8",
  });
  return {
    status: r.status,
    out: `${r.stdout}${r.stderr}`,
    calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8") : "",
  };
}

beforeEach(() => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "host-chores-"));
  root = path.join(base, "srv");
  bin = path.join(base, "bin");
  calls = path.join(base, "calls.log");
  fs.mkdirSync(root);
  fs.mkdirSync(bin);
  stub("docker");
  stub("certbot");
  stub("aws");
});

describe("delete-files", () => {
  it("deletes exactly the regular files matching the pattern older than N days, below the path, nothing else", () => {
    file("logs/old.log", 31);
    file("logs/sub/older.log", 90);
    file("logs/new.log", 29);
    file("logs/old.txt", 60);
    file("logs/old.log.gz", 60);
    file("other/old.log", 60);
    fs.symlinkSync(path.join(root, "other/old.log"), path.join(root, "logs/link.log"));
    fs.utimesSync(path.join(root, "logs"), new Date(), new Date());
    const r = run([
      { name: "old-logs", kind: "delete-files", path: `${root}/logs`, pattern: "*.log", olderThanDays: 30 },
    ]);
    expect(r.status).toBe(0);
    // What Run Command's output shows the on-call engineer: each task's start and end, then the host's verdict.
    expect(r.out.replace(/^\S+ /gm, "")).toBe(
      "task old-logs (delete-files): start\ndeleted 2 files\ntask old-logs: ok\nhost app, window weekly: 1 tasks ok\n",
    );
    expect(tree()).toEqual([
      "logs/link.log",
      "logs/new.log",
      "logs/old.log.gz",
      "logs/old.txt",
      "other/old.log",
    ]);
  });

  it("dry run lists what it would delete and deletes nothing", () => {
    file("logs/old.log", 31);
    const before = tree();
    const r = run(
      [{ name: "old-logs", kind: "delete-files", path: `${root}/logs`, pattern: "*.log", olderThanDays: 30 }],
      { dryRun: true },
    );
    expect(r.status).toBe(0);
    expect(r.out).toContain("dry run: would delete 1 files:");
    expect(r.out).toContain(`${root}/logs/old.log`);
    expect(tree()).toEqual(before);
  });

  it("refuses, deleting nothing, when more files match than its bound", () => {
    for (let i = 0; i < 5; i++) file(`logs/f${i}.log`, 40);
    const r = run([
      {
        name: "old-logs",
        kind: "delete-files",
        path: `${root}/logs`,
        pattern: "*.log",
        olderThanDays: 30,
        maxFiles: 4,
      },
    ]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("5 files match *.log");
    expect(r.out).toContain("more than the bound of 4: nothing was changed");
    expect(tree()).toHaveLength(5);
  });

  it("quotes a path with a space and a quote; the shell expands nothing in it", () => {
    const dir = "it's my logs $(touch pwned)";
    file(`${dir}/old.log`, 40);
    file(`${dir}/new.log`, 1);
    const r = run([
      { name: "old-logs", kind: "delete-files", path: `${root}/${dir}`, pattern: "*.log", olderThanDays: 30 },
    ]);
    expect(r.status).toBe(0);
    expect(tree()).toEqual([`${dir}/new.log`]);
  });

  it("fails loudly on a missing directory, and the tasks after it do not run", () => {
    const r = run([
      {
        name: "old-logs",
        kind: "delete-files",
        path: `${root}/missing`,
        pattern: "*.log",
        olderThanDays: 30,
      },
      { name: "images", kind: "prune-docker-images", olderThanHours: 168 },
    ]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain(`FAILED: ${root}/missing is not a directory`);
    expect(r.out).toContain("task old-logs failed");
    expect(r.calls).toBe("");
  });
});

describe("compress-files", () => {
  it("gzips the matching old files in place, keeping their modification time; new and .gz files stay", () => {
    const old = file("logs/a.jsonl", 8, "hello");
    const mtime = fs.statSync(old).mtimeMs;
    file("logs/b.jsonl", 6);
    file("logs/c.jsonl.gz", 20);
    const r = run([
      { name: "zip", kind: "compress-files", path: `${root}/logs`, pattern: "*.jsonl", olderThanDays: 7 },
    ]);
    expect(r.status).toBe(0);
    expect(tree()).toEqual(["logs/a.jsonl.gz", "logs/b.jsonl", "logs/c.jsonl.gz"]);
    expect(Math.abs(fs.statSync(`${old}.gz`).mtimeMs - mtime)).toBeLessThan(1000);
    expect(execFileSync("gzip", ["-dc", `${old}.gz`], { encoding: "utf8" })).toBe("hello");
  });

  it("dry run compresses nothing", () => {
    file("logs/a.jsonl", 8);
    const r = run(
      [{ name: "zip", kind: "compress-files", path: `${root}/logs`, pattern: "*.jsonl", olderThanDays: 7 }],
      {
        dryRun: true,
      },
    );
    expect(r.status).toBe(0);
    expect(tree()).toEqual(["logs/a.jsonl"]);
  });
});

describe("docker, certbot, sync and disk usage", () => {
  it("prunes images older than N hours, and only says so in a dry run", () => {
    const task = { name: "images", kind: "prune-docker-images", olderThanHours: 168 };
    expect(run([task]).calls).toBe(
      "docker [image] [prune] [-af] [--filter] [until=168h]\ndocker [system] [df]\n",
    );
    fs.rmSync(calls);
    const dry = run([task], { dryRun: true });
    expect(dry.calls).toBe("docker [system] [df]\n");
    expect(dry.out).toContain("dry run: would run docker image prune -af --filter 'until=168h'");
  });

  it("runs certbot's dry run in the named container, and a failed dry run fails the script", () => {
    const task = { name: "certs", kind: "certbot-dry-run", container: "telemed_nginx" };
    expect(run([task]).calls).toBe("docker [exec] [telemed_nginx] [certbot] [renew] [--dry-run]\n");
    stub("certbot", 1);
    fs.rmSync(calls);
    const onHost = run([{ name: "certs", kind: "certbot-dry-run" }]);
    expect(onHost.calls).toBe("certbot [renew] [--dry-run]\n");
    expect(onHost.status).not.toBe(0);
  });

  it("syncs a folder to its prefix with SSE-KMS and the include filter; a dry run passes --dryrun", () => {
    fs.mkdirSync(path.join(root, "logs"));
    const task = {
      name: "ship",
      kind: "sync-to-archive",
      path: `${root}/logs`,
      include: "*.gz",
      prefix: "logs",
    };
    const expected =
      `aws [s3] [sync] [${root}/logs] [s3://skillswap-host-files-abc/hosts/app/logs/] [--exclude] [*] [--include] [*.gz] ` +
      "[--no-follow-symlinks] [--sse] [aws:kms] [--sse-kms-key-id] [arn:aws:kms:ap-south-1:123456789012:key/k] " +
      "[--only-show-errors] [--no-progress] [--region] [ap-south-1]";
    expect(run([task]).calls).toBe(`${expected}\n`);
    fs.rmSync(calls);
    expect(run([task], { dryRun: true }).calls).toBe(`${expected} [--dryrun]\n`);
  });

  it("syncs the whole folder when no include filter is given", () => {
    fs.mkdirSync(path.join(root, "logs"));
    const r = run([{ name: "ship", kind: "sync-to-archive", path: `${root}/logs`, prefix: "logs" }]);
    expect(r.calls).toBe(
      `aws [s3] [sync] [${root}/logs] [s3://skillswap-host-files-abc/hosts/app/logs/] ` +
        "[--no-follow-symlinks] [--sse] [aws:kms] [--sse-kms-key-id] [arn:aws:kms:ap-south-1:123456789012:key/k] " +
        "[--only-show-errors] [--no-progress] [--region] [ap-south-1]\n",
    );
  });

  it("reports one metric per filesystem listed, each with its own path", () => {
    const r = run([{ name: "disk", kind: "disk-usage", paths: ["/", "/tmp"] }]);
    expect(r.status).toBe(0);
    expect(
      r.calls
        .split("\n")
        .filter(Boolean)
        .map((l) => /Path=[^\]]+/.exec(l)?.[0]),
    ).toEqual(["Path=/", "Path=/tmp"]);
  });

  it("reports each filesystem's use as a metric with the host and path dimensions", () => {
    const r = run([{ name: "disk", kind: "disk-usage", paths: ["/"] }]);
    expect(r.status).toBe(0);
    const pct = Number(/\/ is (\d+)% used/.exec(r.out)?.[1]);
    expect(pct).toBeGreaterThanOrEqual(0);
    expect(r.calls).toBe(
      "aws [cloudwatch] [put-metric-data] [--region] [ap-south-1] [--namespace] [Maintenance/skillswap-prod] " +
        `[--metric-name] [DiskUsedPercent] [--unit] [Percent] [--value] [${pct}] ` +
        "[--dimensions] [service=host-maintenance,Host=app,Path=/]\n",
    );
  });
});

describe("redis-memory", () => {
  // What `redis-cli INFO memory` prints: `field:value` lines ending in CRLF.
  const INFO =
    "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:1814528\r\nmem_fragmentation_ratio:1.73\r\nmem_allocator:jemalloc-5.3.0\r\n";
  const metric = (name: string, unit: string, value: string, task = "redis") =>
    "aws [cloudwatch] [put-metric-data] [--region] [ap-south-1] [--namespace] [Maintenance/skillswap-prod] " +
    `[--metric-name] [${name}] [--unit] [${unit}] [--value] [${value}] ` +
    `[--dimensions] [service=host-maintenance,Host=app,Task=${task}]\n`;

  it("publishes used memory and the fragmentation ratio from INFO memory, with the host and task dimensions", () => {
    stub("redis-cli", 0, INFO);
    const r = run([{ name: "redis", kind: "redis-memory" }]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/redis: used_memory 1048576 bytes, mem_fragmentation_ratio 1\.73/);
    expect(r.calls).toBe(
      `redis-cli [INFO] [memory]\n${metric("RedisUsedMemory", "Bytes", "1048576")}${metric("RedisFragmentationRatio", "None", "1.73")}`,
    );
  });

  it("asks the named container's redis-cli, and reads in a dry run too (it changes nothing)", () => {
    stub("docker", 0, INFO);
    const r = run([{ name: "cache", kind: "redis-memory", container: "skillswap-redis-1" }], {
      dryRun: true,
    });
    expect(r.status).toBe(0);
    expect(r.calls).toBe(
      `docker [exec] [skillswap-redis-1] [redis-cli] [INFO] [memory]\n${metric("RedisUsedMemory", "Bytes", "1048576", "cache")}${metric("RedisFragmentationRatio", "None", "1.73", "cache")}`,
    );
  });

  it.each([
    ["an error instead of INFO", "NOAUTH Authentication required.\r\n", 0],
    ["a ratio that is not a number", "used_memory:1048576\r\nmem_fragmentation_ratio:nan\r\n", 0],
    ["no used_memory line", "mem_fragmentation_ratio:1.2\r\n", 0],
    ["redis-cli failing", INFO, 1],
  ])("fails, publishing nothing and stopping the tasks after it, on %s", (_what, out, exit) => {
    stub("redis-cli", exit, out);
    file("logs/old.log", 60);
    const r = run([
      { name: "redis", kind: "redis-memory" },
      {
        name: "old-logs",
        kind: "delete-files",
        path: path.join(root, "logs"),
        pattern: "*.log",
        olderThanDays: 30,
      },
    ]);
    expect(r.status).not.toBe(0);
    expect(r.calls).not.toMatch(/put-metric-data/);
    expect(r.out).toMatch(/task redis failed .*the tasks after it did not run/);
    expect(tree()).toEqual(["logs/old.log"]);
  });
});

describe("unsafe paths and patterns are refused before a script exists", () => {
  it.each([
    ["/", /at least two levels deep/],
    ["/opt", /at least two levels deep/],
    ["relative/logs", /absolute/],
    ["/opt/app/../../etc", /normalised/],
    ["/opt/app/logs/", /must not end with/],
    ["/etc/nginx", /must not be \/etc/],
    ["/usr/local/logs", /must not be \/usr/],
    ["/var/lib/postgresql/15/main", /must not be \/var\/lib/],
    ["/opt/app\nrm -rf /", /control characters/],
  ])("%j", (p, message) => {
    expect(unsafePathProblem(p)).toMatch(message);
    const parsed = hostTask.safeParse({
      name: "x",
      window: "w",
      kind: "delete-files",
      path: p,
      pattern: "*.log",
      olderThanDays: 1,
    });
    expect(parsed.success).toBe(false);
  });

  it("accepts ordinary log and backup directories", () => {
    for (const p of [
      "/opt/skillswap/logs",
      "/var/log/nginx",
      "/home/app/boardroom/logs",
      "/backups/postgres",
    ])
      expect(unsafePathProblem(p)).toBeNull();
  });

  it.each(["*", "**", "?", "../*.log", "a/b.log", "*.log;rm", "$(x)"])("pattern %j", (pattern) => {
    const parsed = hostTask.safeParse({
      name: "x",
      window: "w",
      kind: "delete-files",
      path: "/opt/a/logs",
      pattern,
      olderThanDays: 1,
    });
    expect(parsed.success).toBe(false);
  });

  it("hostScript itself refuses an unsafe path that did not come through the config", () => {
    const t = {
      name: "x",
      window: "w",
      kind: "delete-files",
      path: "/",
      pattern: "*.log",
      olderThanDays: 1,
      maxFiles: 1,
    } as HostTask;
    expect(() => hostScript([t], ctx())).toThrow(/path "\/" must be at least two levels deep/);
  });
});

describe("the scripts' first lines", () => {
  it("are bash's (pipefail and arrays need it, whatever shell Run Command starts) and say where they come from", () => {
    const parsed = [
      hostTask.parse({ name: "images", window: "weekly", kind: "prune-docker-images", olderThanHours: 1 }),
    ];
    expect(
      hostScript(parsed as HostTask[], ctx())
        .split("\n")
        .slice(0, 2),
    ).toEqual([
      "#!/bin/bash",
      "# maintenance-stack: host app, window weekly. Generated from the stack file; do not edit on the host.",
    ]);
    const w = walArchiving.parse({
      host: "app",
      stanza: "main",
      dataDirectory: "/var/lib/pg",
      baseBackup: { window: "w" },
    });
    expect(
      baseBackupScript(w, { ...ctx(), conf: "" })
        .split("\n")
        .slice(0, 2),
    ).toEqual([
      "#!/bin/bash",
      "# maintenance-stack: WAL archiving base backup of stanza main on host app. Generated; do not edit.",
    ]);
  });
});

// pgBackRest itself is exercised end to end in wal-archiving.test.ts; here its config and the script's steps, exactly.
describe("WAL archiving: pgBackRest's config and the base-backup script", () => {
  const w = walArchiving.parse({
    host: "app",
    stanza: "main",
    dataDirectory: "/var/lib/postgresql/15/main",
    baseBackup: { window: "every-6h", type: "diff" },
    retentionFull: 3,
    processMax: 4,
  });

  it("configures the S3 repository under the key, and the retention pgBackRest expires full backups by", () => {
    expect(
      pgbackrestConf(w, {
        bucket: "wal-bucket",
        region: "ap-south-1",
        kmsKeyArn: "arn:aws:kms:ap-south-1:1:key/w",
      }),
    ).toBe(
      [
        "[global]",
        "repo1-type=s3",
        "repo1-path=/pgbackrest/main",
        "repo1-s3-bucket=wal-bucket",
        "repo1-s3-endpoint=s3.ap-south-1.amazonaws.com",
        "repo1-s3-region=ap-south-1",
        "repo1-s3-key-type=auto",
        "repo1-s3-kms-key-id=arn:aws:kms:ap-south-1:1:key/w",
        "repo1-retention-full-type=count",
        "repo1-retention-full=3",
        "compress-type=zst",
        "process-max=4",
        "start-fast=y",
        "log-level-console=info",
        "",
        "[main]",
        "pg1-path=/var/lib/postgresql/15/main",
        "",
      ].join("\n"),
    );
  });

  it("runs as postgres with the standard config path unless told otherwise", () => {
    const script = baseBackupScript(w, { ...ctx(), conf: "x" });
    expect(script).toContain(
      "runuser -u 'postgres' -- pgbackrest --config='/etc/pgbackrest/pgbackrest.conf' --stanza='main' backup --type=diff",
    );
  });

  // A stub pgbackrest on PATH records its calls; runAs "" runs it as the current user.
  const backup = (dryRun: boolean) => {
    stub("pgbackrest");
    const confPath = path.join(root, "etc/pgbackrest/pgbackrest.conf");
    const script = baseBackupScript(w, {
      ...ctx({ dryRun }),
      conf: "[global]\nrepo1-type=s3\n",
      confPath,
      runAs: "",
    });
    const r = spawnSync("bash", ["-c", script], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
      encoding: "utf8",
    });
    const pgbr = `pgbackrest [--config=${confPath}] [--stanza=main]`;
    return { r, confPath, pgbr, calls: fs.readFileSync(calls, "utf8") };
  };

  it("writes the config (its folder made), creates the stanza, checks archiving, backs up and reports", () => {
    const { r, confPath, pgbr, calls: made } = backup(false);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(confPath, "utf8")).toBe("[global]\nrepo1-type=s3\n");
    expect(made).toBe(
      `${pgbr} [stanza-create]\n${pgbr} [check]\n${pgbr} [backup] [--type=diff]\n${pgbr} [info]\n`,
    );
    expect(r.stdout.replace(/^\S+ /gm, "")).toBe("base backup of main: start\nbase backup of main: ok\n");
  });

  it("in a dry run checks archiving but takes no backup, and says what it would run", () => {
    const { r, pgbr, calls: made } = backup(true);
    expect(r.status).toBe(0);
    expect(made).toBe(`${pgbr} [stanza-create]\n${pgbr} [check]\n${pgbr} [info]\n`);
    expect(r.stdout).toContain("dry run: would run pgbackrest backup --type=diff");
  });
});
