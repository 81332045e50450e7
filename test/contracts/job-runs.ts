// Runs every job of a recorded stack as AWS would: the real handler module, the stack's own JOB_CONFIG and schedule
// inputs from the plan, against the in-memory AWS (and real PostgreSQL/MariaDB for dumps); records every SDK command
// sent and every EMF datapoint written.
import { execFileSync } from "node:child_process";
import * as dns from "node:dns";
import { dumpKey } from "../../lambdas/logical-backup/dump";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordedStack } from "../../scripts/lib/record-stack";
import type { RecordedResource } from "../support/pulumi-mocks";
import { type EmfRecord, parseEmf } from "../support/emf";
import { issue, startTlsServer } from "../support/tls-fixtures";
import { AwsWorld, type SdkErrors, type SentCommand, type WorldReplicationRule } from "./aws-world";
import { maintenanceDatabase } from "./maintenance-schema";

/** What one job did in one stack. */
export interface JobRun {
  readonly stack: string;
  /** The function name or the task family. */
  readonly job: string;
  readonly runsOn: "lambda" | "fargate";
  readonly region: string;
  readonly roleArn: string;
  readonly sent: SentCommand[];
  readonly emf: EmfRecord[];
  /** Results or errors of each invocation, for a failing test to show. */
  readonly outcomes: string[];
  /** The job's JOB_CONFIG as it ran (a dump's connection pointed at the local database). */
  readonly config: Record<string, unknown>;
}

const LOCAL_DB = {
  postgres: { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres", database: "contract" },
  mysql: { host: "127.0.0.1", port: 3306, user: "backup", password: "backup", database: "contract" },
} as const;

/** The contract database exists in both servers (scripts/ci/databases.sh, the pretest step, makes it). */
function ensureLocalDatabases(): void {
  const pg = execFileSync(
    "psql",
    [
      "-h",
      "127.0.0.1",
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-tAc",
      "SELECT 1 FROM pg_database WHERE datname = 'contract'",
    ],
    { env: { ...process.env, PGPASSWORD: "postgres" } },
  ).toString();
  if (pg.trim() !== "1")
    throw new Error(
      "the contract database is missing: run `bash scripts/ci/databases.sh` (npm test's pretest step)",
    );
}

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * Loads a module in its own registry with the SDK's one `Client.prototype.send` answered by `world`, so every
 * client the module builds (module-level, per region) is recorded and answered.
 */
function loadWithWorld<T>(modulePath: string, world: AwsWorld, sink: SentCommand[]): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    const core = require("@smithy/core/client");
    const s3 = require("@aws-sdk/client-s3");
    const ssm = require("@aws-sdk/client-ssm");
    const serde = require("@smithy/core/serde");
    const meta = (code: number) => ({ $metadata: { httpStatusCode: code } });
    const errors: SdkErrors = {
      s3NotFound: () => new s3.NotFound({ message: "Not Found", ...meta(404) }),
      s3NoSuchKey: () => new s3.NoSuchKey({ message: "The specified key does not exist.", ...meta(404) }),
      s3PreconditionFailed: () =>
        Object.assign(
          new s3.S3ServiceException({ name: "PreconditionFailed", $fault: "client", ...meta(412) }),
          {},
        ),
      ssmParameterNotFound: () => new ssm.ParameterNotFound({ message: "not found", ...meta(400) }),
      stream: (r) => serde.sdkStreamMixin(r),
    };
    core.Client.prototype.send = async function send(this: any, command: any) {
      const region = String(await this.config.region());
      const sent: SentCommand = {
        service: String(this.config.serviceId),
        region,
        command: String(command.constructor.name).replace(/Command$/, ""),
        input: command.input ?? {},
      };
      sink.push(sent);
      try {
        return await world.answer(sent, errors);
      } catch (e) {
        sent.error = (e as Error).name;
        throw e;
      }
    };
    loaded = require(modulePath) as T;
  });
  return loaded!;
}

const SCHEDULED_TIME = "<aws.scheduler.scheduled-time>";

/** A job found in the plan, with how the scheduler invokes it. */
interface PlannedJob {
  readonly name: string;
  readonly runsOn: "lambda" | "fargate";
  readonly region: string;
  readonly roleArn: string;
  readonly env: Record<string, string>;
  readonly module: string;
  readonly timeoutSeconds: number;
  /** Each schedule's event, as the scheduler passes it (Lambda input, or Fargate's JOB_EVENT override). */
  readonly events: unknown[];
}

function lambdaModule(fn: RecordedResource): string {
  const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
  const command = (fn.inputs.imageConfig as { commands?: string[] } | undefined)?.commands?.[0];
  if (command === "index.handler") return "../../lambdas/logical-backup/handler";
  if (command === "verify.handler") return "../../lambdas/logical-backup/verify-handler";
  const service = env.POWERTOOLS_SERVICE_NAME;
  // Rotation functions (`rotate-<db>`, `rotate-generated`) all run lambdas/secret-rotation.
  if (service?.startsWith("rotate-")) return "../../lambdas/secret-rotation/handler";
  // Every database's maintenance job runs the one db-maintenance bundle.
  if (service?.startsWith("dbmaint-")) return "../../lambdas/db-maintenance/handler";
  const known = [
    "backup",
    "backup-verify",
    "cert-check",
    "log-archive",
    "rotation-check",
    "wal-check",
    "drill-age",
  ];
  if (!service || !known.includes(service))
    throw new Error(
      `${fn.name}: no contract scenario for job "${service}"; add it to test/contracts/job-runs.ts`,
    );
  return `../../lambdas/${service}/handler`;
}

/** The entry a Fargate job's container runs: a database's maintenance, a restore drill, or a dump. */
function fargateModule(env: Record<string, string>, entryPoint: string[]): string {
  if (env.POWERTOOLS_SERVICE_NAME?.startsWith("dbmaint-")) return "../../lambdas/db-maintenance/main";
  if (entryPoint.includes("/var/task/drill.js")) return "../../lambdas/logical-backup/drill-main";
  return "../../lambdas/logical-backup/main";
}

/** Every Lambda and Fargate job the stack declares, with its schedules' inputs from the plan. */
export function plannedJobs(rec: RecordedStack): PlannedJob[] {
  const resources = rec.resources;
  const schedules = resources.filter((r) => r.type === "aws:scheduler/schedule:Schedule");
  const jobs: PlannedJob[] = [];
  const account = "123456789012";
  for (const fn of resources.filter((r) => r.type === "aws:lambda/function:Function")) {
    const name = String(fn.inputs.name);
    const arn = `arn:aws:lambda:${fn.region}:${account}:function:${name}`;
    const events = schedules
      .filter((s) => (s.inputs.target as { arn: string }).arn === arn)
      .map((s) => JSON.parse(String((s.inputs.target as { input: string }).input)));
    jobs.push({
      name,
      runsOn: "lambda",
      region: fn.region,
      roleArn: String(fn.inputs.role),
      env: (fn.inputs.environment as { variables: Record<string, string> }).variables,
      module: lambdaModule(fn),
      timeoutSeconds: Number(fn.inputs.timeout ?? 3),
      events,
    });
  }
  for (const td of resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")) {
    const family = String(td.inputs.family);
    const container = (
      JSON.parse(String(td.inputs.containerDefinitions)) as {
        name: string;
        entryPoint: string[];
        environment: { name: string; value: string }[];
      }[]
    ).find((c) => c.name === "job")!;
    const env = Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
    const events = schedules
      .filter((s) =>
        (
          s.inputs.target as { ecsParameters?: { taskDefinitionArn?: string } }
        ).ecsParameters?.taskDefinitionArn?.includes(`task-definition/${family}:`),
      )
      .map((s) => {
        const input = JSON.parse(String((s.inputs.target as { input: string }).input)) as {
          containerOverrides: { environment: { name: string; value: string }[] }[];
        };
        const override = input.containerOverrides[0]!.environment.find((e) => e.name === "JOB_EVENT");
        return JSON.parse(override!.value);
      });
    jobs.push({
      name: family,
      runsOn: "fargate",
      region: td.region,
      roleArn: String(td.inputs.taskRoleArn),
      env,
      module: fargateModule(env, container.entryPoint),
      timeoutSeconds: Number(env.JOB_DEADLINE_SECONDS ?? 3600),
      events,
    });
  }
  return jobs;
}

/**
 * Dumps first (verification reads what they wrote), snapshots before their verification; rotations after the dumps
 * (they change the dump user's password), the rotation check after the rotations (it reads their stages); then the
 * drills' age report (no drill has passed yet, so it marks when it started watching), then the drills (they restore
 * verified dumps); database maintenance last (its rewriting tasks read the verification's verdicts).
 */
function order(job: PlannedJob): number {
  if (job.module.includes("db-maintenance/")) return 7;
  if (job.module.endsWith("drill-main")) return 6;
  if (job.module.endsWith("drill-age/handler")) return 5;
  if (job.runsOn === "fargate" || job.module.endsWith("logical-backup/handler")) return 0;
  if (job.module.endsWith("/backup/handler")) return 1;
  if (job.module.endsWith("secret-rotation/handler")) return 3;
  if (job.module.endsWith("rotation-check/handler")) return 4;
  return 2;
}

/** Local database users the rotation runs create (unique to this process), dropped when the stack's runs end. */
const ROTATION_USER_PREFIX = `r${process.pid % 100_000}_`;
let rotationUsers = 0;
const rootMysql = (sql: string) =>
  execFileSync("mysql", ["-uroot", "-N", "-B", "-e", sql], { encoding: "utf8" });
const superPg = (sql: string) =>
  execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAq", "-c", sql], {
    env: { ...process.env, PGPASSWORD: "postgres" },
    encoding: "utf8",
  });

/**
 * What a rotation needs in place: each database secret points at a fresh user of the local server of its engine
 * (and an admin that may create users and grant), each generated secret exists with no value (as the stack creates
 * it); then Secrets Manager starts a rotation of each, and the function runs the four steps.
 */
function rotationEvents(world: AwsWorld, config: Record<string, any>): Record<string, string>[] {
  const events: Record<string, string>[] = [];
  for (const s of config.secrets as Record<string, string>[]) {
    if (s.kind === "database") {
      const mysql = s.engine === "mysql";
      const user = `${ROTATION_USER_PREFIX}${++rotationUsers}`;
      const password = `p${Date.now().toString(36)}x${rotationUsers}`;
      if (mysql)
        rootMysql(
          `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT SELECT ON contract.* TO '${user}'@'127.0.0.1'`,
        );
      else superPg(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      const login = (username: string, pw: string) =>
        JSON.stringify({
          engine: s.engine,
          host: "127.0.0.1",
          port: mysql ? 3306 : 5432,
          username,
          password: pw,
          dbname: "contract",
          ssl: false,
        });
      world.setSecret(s.arn!, login(user, password));
      if (s.adminSecretArn && !world.secrets.has(s.adminSecretArn)) {
        const admin = `${ROTATION_USER_PREFIX}adm`;
        if (mysql) {
          rootMysql(
            `CREATE USER IF NOT EXISTS '${admin}'@'127.0.0.1' IDENTIFIED BY 'admin'; GRANT ALL ON *.* TO '${admin}'@'127.0.0.1' WITH GRANT OPTION`,
          );
          world.setSecret(s.adminSecretArn, login(admin, "admin"));
        } else world.setSecret(s.adminSecretArn, login("postgres", "postgres"));
      }
    } else if (!world.secrets.has(s.arn!)) world.secrets.create(s.arn!);
    const token = world.secrets.startRotation(s.arn!);
    for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"])
      events.push({ Step, SecretId: s.arn!, ClientRequestToken: token });
  }
  return events;
}

function dropRotationUsers(): void {
  const like = `${ROTATION_USER_PREFIX.replace(/_/g, "\\_")}%`;
  for (const row of rootMysql(`SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User LIKE '${like}'`)
    .split("\n")
    .filter(Boolean)) {
    const [u, h] = row.split("@");
    rootMysql(`DROP USER IF EXISTS '${u}'@'${h}'`);
  }
  for (const r of superPg(`SELECT rolname FROM pg_roles WHERE rolname LIKE '${like}'`)
    .split("\n")
    .filter(Boolean))
    superPg(`DROP ROLE IF EXISTS ${r}`);
}

function withScheduledTime(event: unknown, at: Date): unknown {
  return JSON.parse(
    JSON.stringify(event).replaceAll(SCHEDULED_TIME, at.toISOString().replace(/\.\d{3}Z$/, "Z")),
  );
}

/** Points a dump's connection at the local database of its engine; everything else (buckets, keys) stays. */
function localConnection(config: Record<string, unknown>): Record<string, unknown> {
  const engine = config.engine as "postgres" | "mysql";
  const db = LOCAL_DB[engine];
  const { sslMode: _ignored, ...rest } = config;
  return { ...rest, host: db.host, port: db.port, user: db.user, databaseName: db.database };
}

/**
 * Points a drill's throwaway target at the local server of its engine (the task's sidecar stands in for it), with that
 * server's major version, and its scratch directory at a temporary one; buckets, tier and checks stay.
 */
function localDrillTarget(config: Record<string, unknown>): Record<string, unknown> {
  const engine = config.engine as "postgres" | "mysql";
  const db = LOCAL_DB[engine];
  const version = execFileSync(
    engine === "postgres" ? "psql" : "mysql",
    engine === "postgres"
      ? ["-h", db.host, "-U", db.user, "-d", "postgres", "-tAc", "SHOW server_version"]
      : ["-h", db.host, "-P", String(db.port), "-u", db.user, "-N", "-B", "-e", "SELECT VERSION()"],
    { env: { ...process.env, PGPASSWORD: db.password, MYSQL_PWD: db.password } },
  )
    .toString()
    .trim();
  const [major, minor] = version.split(/[.\s-]/);
  return {
    ...config,
    target: {
      host: db.host,
      port: db.port,
      user: db.user,
      maintenanceDatabase: engine === "postgres" ? "postgres" : "information_schema",
    },
    majorVersion: engine === "postgres" ? major : `${major}.${minor}`,
    // The stacks' checks query their own applications' tables, which the contract database has not got.
    checks: [],
    workDir: mkdtempSync(join(tmpdir(), "contract-drill-")),
  };
}

/** Seeds what a long-running stack would have: its log groups, and dumps of every tier past their retention. */
function seedBefore(job: PlannedJob, world: AwsWorld, config: Record<string, any>): void {
  if (job.module.endsWith("log-archive/handler")) {
    const created = world.now().getTime() - 40 * 86_400_000;
    for (const name of config.logGroups as string[])
      if (!world.logGroups.some((g) => g.name === name))
        world.logGroups.push({ name, creationTime: created, retentionInDays: config.retentionDays });
    // Under each prefix: an old never-expiring group (its retention stays until archived) and a young one (cut now).
    for (const prefix of config.logGroupPrefixes as string[])
      world.logGroups.push(
        { name: `${prefix}found-by-prefix`, creationTime: created },
        { name: `${prefix}young`, creationTime: world.now().getTime() - 2 * 86_400_000 },
      );
  }
  if (job.module.endsWith("wal-check/handler")) seedWalRepository(world, config);
  if (config.passwordSecretArn)
    world.setSecret(
      config.passwordSecretArn,
      JSON.stringify({ password: LOCAL_DB[config.engine as "postgres" | "mysql"].password }),
    );
  const maintenance = config.connection as
    | { passwordSecretArn: string; engine: "postgres" | "mysql" }
    | undefined;
  if (maintenance)
    world.setSecret(
      maintenance.passwordSecretArn,
      JSON.stringify({ password: LOCAL_DB[maintenance.engine].password }),
    );
}

/** A pgBackRest repository as the base backups and archive_command leave it: one backup, the WAL archived since. */
function seedWalRepository(world: AwsWorld, config: Record<string, any>): void {
  const root = `${String(config.repoPath).replace(/^\//, "")}`;
  const stanza = String(config.stanza);
  const stop = Math.round(world.now().getTime() / 1000) - 3600;
  const put = (key: string, body: string) =>
    world.putObject(config.bucket, `${root}/${key}`, Buffer.from(body), {}, []);
  put(
    `backup/${stanza}/backup.info`,
    `[backup:current]\n20261201-000000F={"backup-archive-start":"000000010000000000000002","backup-archive-stop":"000000010000000000000002","backup-timestamp-start":${stop - 60},"backup-timestamp-stop":${stop},"backup-type":"full"}\n`,
  );
  put(`archive/${stanza}/archive.info`, `[db]\ndb-id=1\ndb-system-id=7\ndb-version="15"\n`);
  for (const seg of ["000000010000000000000002", "000000010000000000000003"])
    put(`archive/${stanza}/15-1/0000000100000000/${seg}-${"a".repeat(40)}.zst`, "wal");
}

/** After the dumps: copies of each database's newest dump at slots past every tier's retention, so marking has work. */
function seedOldDumps(world: AwsWorld, verifyConfig: Record<string, any>): void {
  for (const d of verifyConfig.databases as { database: string; retentionDays: Record<string, number> }[]) {
    const newest = [...world.objects.entries()]
      .filter(([k]) => k.includes(`/${d.database}/`) && !k.includes("/.incoming/"))
      .pop();
    if (!newest) continue;
    const [path, obj] = newest;
    const bucket = path.slice(0, path.indexOf("/"));
    for (const [tier, days] of Object.entries(d.retentionDays)) {
      for (let k = 1; k <= verifyConfig.expiry.keepLastFloor + 2; k++) {
        const slot = new Date(world.now().getTime() - (days + k) * 86_400_000);
        const key = dumpKey(tier, d.database, slot);
        world.putObject(bucket, key, obj.body, { ...obj.metadata }, [
          { Key: "tier", Value: tier },
          { Key: "database", Value: d.database },
        ]);
      }
    }
  }
}

/** Fake snapshots of every database, older than any retention, tagged as the job tags its own. */
function seedOldSnapshots(world: AwsWorld): void {
  const made = world.snapshots.filter((s) => s.createdAt.getTime() >= world.now().getTime() - 60_000);
  for (const s of made)
    for (let k = 1; k <= 40; k++)
      world.snapshots.push({
        ...s,
        id: `${s.id}-old${k}`,
        createdAt: new Date(s.createdAt.getTime() - k * 10 * 86_400_000),
      });
}

/**
 * Answers TLS for every configured endpoint from one local server whose certificate names them all: the resolver
 * answers loopback and connections go to the server's port. Installed before the job's module loads (it copies
 * `node:tls` at import), removed by close().
 */
async function localTls(hosts: string[]): Promise<{ close(): Promise<void> }> {
  const leaf = issue({ commonName: hosts[0] ?? "localhost", altNames: hosts, notAfterDays: 60 });
  const server = await startTlsServer(leaf);
  const lookup = jest
    .spyOn(dns.promises, "lookup")
    .mockImplementation((async () => [{ address: "127.0.0.1", family: 4 }]) as never);
  // The real module object: `import * as` would give this file its own copy, which the job's code never sees.
  const tls = require("node:tls") as typeof import("node:tls");
  const realConnect = tls.connect;
  const connect = jest
    .spyOn(tls, "connect")
    .mockImplementation(((opts: import("node:tls").ConnectionOptions) =>
      realConnect({ ...opts, host: "127.0.0.1", port: server.port })) as never);
  return {
    close: async () => {
      lookup.mockRestore();
      connect.mockRestore();
      await server.close();
    },
  };
}

/** Runs one job's schedules (and a heartbeat when it has a success parameter) and records what it did. */
async function runJob(stack: string, job: PlannedJob, world: AwsWorld): Promise<JobRun> {
  const sent: SentCommand[] = [];
  const stdout: string[] = [];
  const outcomes: string[] = [];
  let config = JSON.parse(job.env.JOB_CONFIG ?? "{}") as Record<string, any>;
  if (config.passwordSecretArn) config = localConnection(config);
  if (job.module.includes("db-maintenance/")) config = maintenanceDatabase(stack, config);
  const drill = job.module.endsWith("drill-main");
  if (drill) config = localDrillTarget(config);
  seedBefore(job, world, config);
  if (job.module.endsWith("verify-handler")) seedOldDumps(world, config);
  const env = {
    ...job.env,
    JOB_CONFIG: JSON.stringify(config),
    ...(drill ? { DRILL_TARGET_PASSWORD: LOCAL_DB[config.engine as "postgres" | "mysql"].password } : {}),
    AWS_REGION: job.region,
    AWS_DEFAULT_REGION: job.region,
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  // The archive's polling waits (an export task's status) pass at once: the in-memory AWS answers immediately.
  const realSetTimeout = global.setTimeout;
  const timers = job.module.endsWith("log-archive/handler")
    ? jest
        .spyOn(global, "setTimeout")
        .mockImplementation(((fn: () => void) => realSetTimeout(fn, 0)) as never)
    : null;
  const write = jest.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  }) as never);
  const hosts = job.module.endsWith("cert-check/handler")
    ? (config.endpoints as { host: string }[]).map((e) => e.host)
    : null;
  const tlsServer = hosts ? await localTls(hosts) : null;
  try {
    const mod = loadWithWorld<{
      handler?: Handler;
      main?: (env: NodeJS.ProcessEnv, now: Date) => Promise<number>;
    }>(job.module, world, sent);
    const context = { getRemainingTimeInMillis: () => job.timeoutSeconds * 1000 };
    // The archive and the drills' age report run hourly: a second run reads what the first one wrote.
    const events = /(log-archive|drill-age)\/handler$/.test(job.module)
      ? [...job.events, ...job.events]
      : job.module.endsWith("secret-rotation/handler")
        ? rotationEvents(world, config)
        : [...job.events];
    if (job.env.LAST_SUCCESS_PARAMETER) events.push({ heartbeat: true });
    const invoke = async (event: unknown, offsetMs = 0) => {
      const at = new Date(world.now().getTime() + offsetMs);
      try {
        if (job.runsOn === "fargate") {
          const { JOB_DEADLINE_SECONDS: _deadline, ...env } = process.env;
          // The handler's result, as the entry's "finished" line logs it (a maintenance task's outcome); jest's own
          // console does not write to process.stdout, so the line is read from console.log's calls.
          const log = jest.spyOn(console, "log").mockImplementation(() => {});
          let code: number;
          let lines: string[];
          try {
            code = await mod.main!({ ...env, JOB_EVENT: JSON.stringify(withScheduledTime(event, at)) }, at);
          } finally {
            lines = log.mock.calls.map((c) => String(c[0]));
            log.mockRestore();
          }
          const finished = lines.find((l) => /"message":"[^"]* finished"/.test(l));
          const result = finished ? (JSON.parse(finished) as { result?: unknown }).result : undefined;
          outcomes.push(`exit ${code}${result ? ` ${JSON.stringify(result).slice(0, 300)}` : ""}`);
        } else {
          outcomes.push(
            JSON.stringify(await mod.handler!(withScheduledTime(event, at), context)).slice(0, 300),
          );
        }
      } catch (e) {
        outcomes.push(`error: ${(e as Error).message}`);
      }
    };
    const runAll = async () => {
      for (const event of events) await invoke(event);
      if (job.module.endsWith("/backup/handler")) {
        // The previous hour's slot (a late retry), with old snapshots of the job's own making to prune.
        seedOldSnapshots(world);
        for (const event of job.events) await invoke(event, -3_600_000);
      }
    };
    await runAll();
  } finally {
    await tlsServer?.close();
    timers?.mockRestore();
    write.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return {
    stack,
    job: job.name,
    runsOn: job.runsOn,
    region: job.region,
    roleArn: job.roleArn,
    sent,
    emf: parseEmf(stdout.join("").split("\n")),
    outcomes,
    config,
  };
}

/** The plan's S3 replication rules, highest priority first, with each bucket's region. */
export function replicationRulesOf(rec: RecordedStack): WorldReplicationRule[] {
  const bucketRegion = (name: string) =>
    rec.resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.inputs.bucket === name)?.region ?? "";
  return rec.resources
    .filter((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    .flatMap((c) =>
      (
        c.inputs.rules as {
          id: string;
          priority: number;
          status: string;
          filter?: { prefix?: string };
          destination: { bucket: string; encryptionConfiguration: { replicaKmsKeyId: string } };
        }[]
      )
        .filter((r) => r.status === "Enabled")
        .sort((a, b) => b.priority - a.priority)
        .map((r) => {
          const destinationBucket = r.destination.bucket.replace(/^arn:aws:s3:::/, "");
          return {
            ruleId: r.id,
            roleArn: String(c.inputs.role),
            sourceBucket: String(c.inputs.bucket),
            sourceRegion: c.region,
            prefix: r.filter?.prefix ?? "",
            destinationBucket,
            destinationRegion: bucketRegion(destinationBucket),
            replicaKmsKeyId: r.destination.encryptionConfiguration.replicaKmsKeyId,
          };
        }),
    );
}

/** Runs every job of the stack in dependency order against one shared in-memory AWS. */
export async function runStackJobs(
  rec: RecordedStack,
  now = new Date(),
): Promise<{ runs: JobRun[]; world: AwsWorld }> {
  ensureLocalDatabases();
  // Real time: the jobs refuse slots in the future, and verification judges ages against the clock.
  const world = new AwsWorld("123456789012", () => new Date());
  world.replicationRules.push(...replicationRulesOf(rec));
  const runs: JobRun[] = [];
  try {
    for (const job of plannedJobs(rec).sort((a, b) => order(a) - order(b))) {
      const t0 = Date.now();
      runs.push(await runJob(rec.plan.stack, job, world));
      if (process.env.CONTRACT_TIMING) process.stderr.write(`${job.name}: ${Date.now() - t0} ms\n`);
    }
  } finally {
    dropRotationUsers();
  }
  return { runs, world };
}
