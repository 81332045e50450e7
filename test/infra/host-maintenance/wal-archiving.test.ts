// WAL archiving end to end on the real local PostgreSQL and pgBackRest (Debian's): the generated pgBackRest config and
// base-backup script archive a scratch cluster into the S3 protocol server (s3rver, behind a local TLS terminator,
// since pgBackRest speaks S3 over HTTPS only), a point-in-time restore into a fresh data directory finds exactly the
// rows committed before the target, and the hourly WAL check reads the same repository.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { walArchiving } from "../../../infra/config/hosts";
import {
  baseBackupScript,
  pgbackrestConf,
  postgresqlSettings,
} from "../../../infra/host-maintenance/scripts";
import { walStatus } from "../../../lambdas/wal-check/check";
import { issue } from "../../support/tls-fixtures";

const PG_BIN = (() => {
  const versions = fs.existsSync("/usr/lib/postgresql") ? fs.readdirSync("/usr/lib/postgresql").sort() : [];
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
})();
const HAVE_TOOLS = fs.existsSync(`${PG_BIN}/initdb`) && spawnSync("pgbackrest", ["version"]).status === 0;
const BUCKET = "skillswap-wal";

let base: string;
let server: S3rver;
let proxy: tls.Server;
let s3: S3Client;
let proxyPort: number;
const started: string[] = [];
const sockets = new Set<net.Socket>();

/** Runs a command without blocking the event loop: s3rver and the TLS terminator live in this process. */
function sh(file: string, args: string[]): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: "utf8", cwd: base, maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

async function asPostgres(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = await sh("runuser", ["-u", "postgres", "--", "env", ...envArgs, ...cmd]);
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}):\n${r.out}`);
  return r.out;
}

async function psql(port: number, sql: string): Promise<string> {
  const args = ["-X", "-q", "-tA", "-h", base, "-p", String(port), "-d", "postgres", "-c", sql];
  return (await asPostgres([`${PG_BIN}/psql`, ...args])).trim();
}

async function startCluster(dataDir: string, port: number, conf: string) {
  const opts = `-p ${port} -k ${base}`;
  await asPostgres(
    [`${PG_BIN}/pg_ctl`, "-D", dataDir, "-l", `${dataDir}.log`, "-w", "-t", "60", "start", "-o", opts],
    {
      PGBACKREST_CONFIG: conf,
    },
  );
  started.push(dataDir);
}

describe("WAL archiving with pgBackRest into S3, and a point-in-time restore", () => {
  beforeAll(async () => {
    if (!HAVE_TOOLS)
      throw new Error(
        "PostgreSQL's initdb and pgBackRest must be installed: run `bash scripts/ci/databases.sh`",
      );
    base = fs.mkdtempSync(path.join(os.tmpdir(), "wal-"));
    fs.chmodSync(base, 0o755);
    execFileSync("chown", ["postgres:postgres", base]);
    server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      silent: true,
      directory: fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-wal-")),
    });
    const { port } = (await server.run()) as unknown as { port: number };
    const cert = issue({ commonName: "127.0.0.1", notAfterDays: 2 });
    proxy = tls.createServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => {
      const upstream = net.connect(port, "127.0.0.1");
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyPort = (proxy.address() as net.AddressInfo).port;
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "ap-south-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 60_000);

  afterAll(async () => {
    // pg_ctl stop is quick; the archiver's last pgBackRest connections are closed by hand below.
    for (const d of started.reverse())
      spawnSync("runuser", ["-u", "postgres", "--", `${PG_BIN}/pg_ctl`, "-D", d, "-m", "immediate", "stop"]);
    s3?.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => proxy?.close(r));
    await server?.close();
  });

  it("archives, backs up, restores to a point in time with exactly the rows committed before it, and the check sees both", async () => {
    const w = walArchiving.parse({
      host: "app",
      stanza: "main",
      dataDirectory: `${base}/data`,
      archiveTimeoutSeconds: 60,
      baseBackup: { window: "every-6h" },
      retentionFull: 2,
    });
    // The stack's config, pointed at the local server: endpoint, port, TLS and credentials are the only changes.
    const conf = pgbackrestConf(w, {
      bucket: BUCKET,
      region: "ap-south-1",
      kmsKeyArn: "arn:aws:kms:ap-south-1:123456789012:key/k",
    })
      .replace("repo1-s3-endpoint=s3.ap-south-1.amazonaws.com", "repo1-s3-endpoint=127.0.0.1")
      .replace(
        "repo1-s3-key-type=auto",
        [
          "repo1-s3-key-type=shared",
          "repo1-s3-key=S3RVER",
          "repo1-s3-key-secret=S3RVER",
          "repo1-s3-uri-style=path",
          `repo1-storage-port=${proxyPort}`,
          "repo1-storage-verify-tls=n",
          `log-path=${base}/log`,
          `lock-path=${base}/lock`,
        ].join("\n"),
      )
      .replace(`pg1-path=${base}/data`, `pg1-path=${base}/data\npg1-port=5491\npg1-socket-path=${base}`);
    const confPath = `${base}/pgbackrest.conf`;

    await asPostgres([`${PG_BIN}/initdb`, "-D", `${base}/data`, "-A", "trust", "-U", "postgres"]);
    const settings = postgresqlSettings(w);
    expect(settings).toEqual({
      archive_mode: "on",
      archive_command: "'pgbackrest --stanza=main archive-push %p'",
      archive_timeout: "60",
      wal_level: "replica",
    });
    fs.appendFileSync(
      `${base}/data/postgresql.conf`,
      `${Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}`)
        .join("\n")}\nlisten_addresses = ''\n`,
    );
    await startCluster(`${base}/data`, 5491, confPath);

    const script = baseBackupScript(w, {
      host: "app",
      window: "every-6h",
      region: "ap-south-1",
      bucket: BUCKET,
      kmsKeyArn: "k",
      namespace: "Maintenance/test",
      dryRun: false,
      conf,
      confPath,
    });
    const backup = await sh("bash", ["-c", script]);
    expect({ status: backup.status, out: backup.status === 0 ? "" : backup.out }).toEqual({
      status: 0,
      out: "",
    });
    expect(fs.readFileSync(confPath, "utf8")).toBe(conf);

    await psql(
      5491,
      "CREATE TABLE visits (id int primary key); INSERT INTO visits SELECT generate_series(1, 100)",
    );
    await new Promise((r) => setTimeout(r, 1100));
    const target = await psql(5491, "SELECT clock_timestamp()");
    await new Promise((r) => setTimeout(r, 1100));
    await psql(5491, "INSERT INTO visits SELECT generate_series(101, 150)");
    await psql(5491, "SELECT pg_switch_wal()");
    // archive-push runs asynchronously to the switch: wait until the segment holding the second batch is archived.
    for (
      let i = 0;
      i < 60 &&
      (await psql(5491, "SELECT last_failed_wal IS NULL AND archived_count >= 3 FROM pg_stat_archiver")) !==
        "t";
      i++
    )
      await new Promise((r) => setTimeout(r, 500));

    fs.mkdirSync(`${base}/restore`, { mode: 0o700 });
    execFileSync("chown", ["postgres:postgres", `${base}/restore`]);
    await asPostgres([
      "pgbackrest",
      `--config=${confPath}`,
      "--stanza=main",
      `--pg1-path=${base}/restore`,
      "--type=time",
      `--target=${target}`,
      "--target-action=promote",
      "restore",
    ]);
    await startCluster(`${base}/restore`, 5492, confPath);
    let recovered = "";
    for (let i = 0; i < 60 && recovered !== "f"; i++) {
      recovered = await psql(5492, "SELECT pg_is_in_recovery()");
      if (recovered !== "f") await new Promise((r) => setTimeout(r, 500));
    }
    expect(await psql(5492, "SELECT count(*), min(id), max(id) FROM visits")).toBe("100|1|100");
    expect(await psql(5491, "SELECT count(*) FROM visits")).toBe("150");

    const status = await walStatus(
      s3,
      { bucket: BUCKET, repoPath: "/pgbackrest/main", stanza: "main" },
      new Date(),
    );
    const label = JSON.parse(
      await asPostgres(["pgbackrest", `--config=${confPath}`, "--stanza=main", "--output=json", "info"]),
    )[0].backup.at(-1).label;
    expect(status.newestBackup).toBe(label);
    expect(status.backups).toBe(1);
    expect(status.baseBackupAgeSeconds).toBeLessThan(120);
    expect(status.newestWal).toMatch(
      /^pgbackrest\/main\/archive\/main\/15-1\/0000000100000000\/0000000100000000000000\w\w-[0-9a-f]{40}\.zst$/,
    );
    expect(status.walAgeSeconds).toBeLessThan(120);
  }, 180_000);
});
