// Exact assertions on what restore drills declare: the Fargate task (sidecar of the source's engine and major
// version, health check, dependsOn, scratch volume, ephemeral storage sized from the dump), its schedule (no public
// IP), a role that reads only its own database's dumps of its tier and writes only its own reports, the alarms, and
// the config errors and plan notes about what the backup design can reach.
import { ConfigError, loadConfig } from "../../../infra/config";
import { drillDesign } from "../../../infra/config/backups";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
const net = { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] };
const drillNet = { subnetIds: ["subnet-0123456789abcdef9"], securityGroupIds: ["sg-0123456789abcdef9"] };
const json = (r: RecordedResource, key: string) => JSON.parse(String(r.inputs[key]));

const pgDrill = {
  expression: "cron(0 10 ? 1,4,7,10 TUE#1 *)",
  majorVersion: "16",
  rtoHours: 4,
  rpoHours: 1,
  pointInTimeRecovery: "the provider's point-in-time recovery",
  dumpGiB: 3,
  network: drillNet,
  checks: [{ name: "users", sql: "SELECT count(*) FROM users", min: 1 }],
};
const backups = (drill: Record<string, unknown> = pgDrill) => ({
  rpoHours: 26,
  databases: [
    {
      name: "pg",
      kind: "self-hosted",
      engine: "postgres",
      dump: {
        connection: { host: "pg.internal", database: "app_db", user: "backup", passwordSecretArn: SECRET },
        network: net,
        tiers: {
          daily: { expression: "cron(0 2 * * ? *)", retention: "30d" },
          yearly: { expression: "cron(0 3 1 1 ? *)", retention: "7y", objectLock: "COMPLIANCE" },
        },
        drill,
      },
    },
    {
      name: "my",
      kind: "self-hosted",
      engine: "mysql",
      dump: {
        connection: { host: "10.0.0.9", database: "shop", user: "backup", passwordSecretArn: SECRET },
        network: net,
        tiers: { daily: { expression: "cron(0 2 * * ? *)", retention: "30d" } },
        drill: {
          expression: "cron(0 10 ? * MON#1 *)",
          majorVersion: "8.0",
          rtoHours: 4,
          rpoHours: 26,
          dumpGiB: 1,
        },
      },
    },
  ],
});

let resources: RecordedResource[];
let out: { warnings: string[]; notes: string[] };
beforeAll(async () => {
  resources = await recordProgram(
    () => {
      out = buildStack(loadConfig(demoSource({ backups: backups() })));
    },
    { stack: "demo", region: REGION },
  );
});

const bucketOf = (pattern: RegExp) =>
  String(
    ofType(resources, "aws:s3/bucket:Bucket").find((b) => pattern.test(String(b.inputs.bucket)))!.inputs
      .bucket,
  );

describe("restore drill task", () => {
  it("runs the drill beside a postgres 16 sidecar on loopback, waits for its health check, restores onto sized ephemeral storage", () => {
    const task = findResource(
      resources,
      "aws:ecs/taskDefinition:TaskDefinition",
      "demo-dumps-drills-pg-task",
    );
    const { containerDefinitions: _c, ...rest } = task.inputs;
    expect(rest).toEqual({
      family: "demo-drill-pg",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "1024",
      memory: "4096",
      runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-drill-pg-exec`,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-drill-pg-job`,
      // 3 GiB of dump: 10 GiB of disk per GiB (stored, decoded, restored with indexes) plus 10 for images and files.
      ephemeralStorage: { sizeInGib: 40 },
      volumes: [{ name: "scratch" }],
      tags: expect.objectContaining({ stack: "demo" }),
    });
    const [job, db, ...more] = json(task, "containerDefinitions");
    expect(more).toEqual([]);
    const env = Object.fromEntries(
      (job.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect({ ...job, environment: Object.keys(env) }).toEqual({
      name: "job",
      image: expect.stringMatching(
        new RegExp(
          `^${ACCOUNT}\\.dkr\\.ecr\\.${REGION}\\.amazonaws\\.com/demo-logical-backup:[0-9a-f]+@sha256:[0-9a-f]{64}$`,
        ),
      ),
      essential: true,
      entryPoint: ["/var/lang/bin/node", "/var/task/drill.js"],
      environment: [
        "JOB_CONFIG",
        "JOB_DEADLINE_SECONDS",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_SERVICE_NAME",
      ],
      readonlyRootFilesystem: true,
      mountPoints: [{ sourceVolume: "scratch", containerPath: "/scratch", readOnly: false }],
      dependsOn: [{ containerName: "database", condition: "HEALTHY" }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/maintenance/demo/drill-pg",
          "awslogs-region": REGION,
          "awslogs-stream-prefix": "drill-pg",
        },
      },
    });
    expect(db).toEqual({
      name: "database",
      // The tag's digest, resolved when `pulumi up` runs (the offline engine answers a stable stand-in).
      image: expect.stringMatching(/^public\.ecr\.aws\/docker\/library\/postgres:16@sha256:[0-9a-f]{64}$/),
      essential: false,
      command: ["postgres", "-c", "listen_addresses=127.0.0.1"],
      environment: [{ name: "POSTGRES_HOST_AUTH_METHOD", value: "trust" }],
      healthCheck: {
        command: ["CMD-SHELL", "pg_isready -q -h 127.0.0.1 -U postgres"],
        interval: 10,
        timeout: 5,
        retries: 6,
        startPeriod: 120,
      },
      readonlyRootFilesystem: false,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/maintenance/demo/drill-pg",
          "awslogs-region": REGION,
          "awslogs-stream-prefix": "drill-pg-database",
        },
      },
    });
    // Twice the RTO for the restore; the download twice over and half an hour more for the task.
    expect(env.JOB_DEADLINE_SECONDS).toBe(String(8 * 3600 + 2 * Math.ceil((3 * 1024) / 50) + 1800));
    expect(JSON.parse(env.JOB_CONFIG!)).toEqual({
      database: "pg",
      engine: "postgres",
      tier: "daily",
      buckets: [bucketOf(/^demo-dumps-/), bucketOf(/^demo-dump-vault-/)],
      reportsBucket: bucketOf(/^demo-drill-reports-/),
      kmsKeyArn: expect.stringMatching(/^arn:aws:kms:/),
      target: { host: "127.0.0.1", port: 5432, user: "postgres", maintenanceDatabase: "postgres" },
      majorVersion: "16",
      restoreJobs: 2,
      restoreTimeoutSeconds: 8 * 3600,
      readyTimeoutSeconds: 120,
      maxCandidates: 10,
      checks: [{ name: "users", sql: "SELECT count(*) FROM users", min: 1 }],
      workDir: "/scratch",
    });
    // Nothing about the source database reaches the drill: no host, user or password secret.
    expect(env.JOB_CONFIG).not.toMatch(/pg\.internal|app_db|secretsmanager/);
  });

  it("a MySQL drill gets a mysql 8.0 sidecar bound to loopback, the minimum 21 GiB of storage", () => {
    const task = findResource(
      resources,
      "aws:ecs/taskDefinition:TaskDefinition",
      "demo-dumps-drills-my-task",
    );
    expect(task.inputs.ephemeralStorage).toEqual({ sizeInGib: 28 });
    const db = json(task, "containerDefinitions")[1];
    expect(db).toMatchObject({
      image: expect.stringMatching(/^public\.ecr\.aws\/docker\/library\/mysql:8\.0@sha256:[0-9a-f]{64}$/),
      command: ["--bind-address=127.0.0.1"],
      environment: [{ name: "MYSQL_ALLOW_EMPTY_PASSWORD", value: "yes" }],
      healthCheck: { command: ["CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --silent"], startPeriod: 180 },
    });
    const design = drillDesign(
      "mysql",
      {
        tiers: { daily: { expression: "cron(0 2 * * ? *)", retention: 30 } },
        runsOn: "lambda",
        timeoutSeconds: 900,
      } as never,
      { expression: "cron(0 10 ? * MON#1 *)", dumpGiB: 0.5, rtoHours: 4, rpoHours: 26 } as never,
      26,
      "UTC",
    );
    expect(design.ephemeralStorageGiB).toBe(21);
  });

  it("is started quarterly by a schedule named drill, in the drill's own subnets, with no public IP", () => {
    const schedule = findResource(resources, "aws:scheduler/schedule:Schedule", "demo-dumps-drills-pg-drill");
    expect(schedule.inputs).toMatchObject({
      name: "demo-drill-pg-drill",
      scheduleExpression: "cron(0 10 ? 1,4,7,10 TUE#1 *)",
      flexibleTimeWindow: { mode: "OFF" },
    });
    const target = schedule.inputs.target as Record<string, any>;
    expect(target.ecsParameters).toEqual({
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/demo-drill-pg:1`,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      taskCount: 1,
      networkConfiguration: {
        subnets: drillNet.subnetIds,
        securityGroups: drillNet.securityGroupIds,
        assignPublicIp: false,
      },
    });
    expect(JSON.parse(target.input)).toEqual({
      containerOverrides: [
        {
          name: "job",
          environment: [{ name: "JOB_EVENT", value: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}' }],
        },
      ],
    });
    // Its heartbeat is the age report's overdue alarm: no hourly task, no success parameter, no heartbeat of its own.
    const names = resources.map((r) => r.name);
    expect(
      names.filter((n) => n.startsWith("demo-dumps-drills-pg-") && /heartbeat|last-success/.test(n)),
    ).toEqual([]);
  });

  it("reads only its own database's dumps of its tier (both buckets) and writes only its own reports", () => {
    const doc = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-drills-pg-role-policy"),
      "policy",
    );
    const [dumps, vault, reports] = [
      bucketOf(/^demo-dumps-/),
      bucketOf(/^demo-dump-vault-/),
      bucketOf(/^demo-drill-reports-/),
    ];
    expect(doc.Statement).toEqual([
      {
        Sid: "ListOwnTier",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [`arn:aws:s3:::${dumps}`, `arn:aws:s3:::${vault}`],
        Condition: { StringEquals: { "s3:prefix": ["daily/pg/"] } },
      },
      {
        Sid: "ReadOwnDumps",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectTagging"],
        Resource: [`arn:aws:s3:::${dumps}/daily/pg/*`, `arn:aws:s3:::${vault}/daily/pg/*`],
      },
      {
        Sid: "WriteOwnReports",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [`arn:aws:s3:::${reports}/reports/pg/*`, `arn:aws:s3:::${reports}/state/pg/last-pass.json`],
      },
      {
        Sid: "UseBackupsKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: expect.stringMatching(/^arn:aws:kms:/),
      },
    ]);
  });
});

describe("restore drill alarms", () => {
  const alarm = (name: string) =>
    findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", name).inputs;
  it("pages at the runbook's RTO, at the data age the dumps can reach, on any failed drill, and when drills stop passing", () => {
    const dims = { service: "drill-pg", Database: "pg" };
    expect(alarm("demo-dumps-drills-pg-rto-alarm")).toMatchObject({
      namespace: "Maintenance/demo",
      metricName: "RestoreSeconds",
      dimensions: dims,
      statistic: "Maximum",
      threshold: 4 * 3600,
      comparisonOperator: "GreaterThanThreshold",
      period: 3600,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      tags: { "alarm-page": "drill-rto", severity: "warning" },
    });
    // RPO 1h cannot come from a daily dump: the point-in-time recovery covers it, and the alarm uses the dumps' 26h.
    expect(alarm("demo-dumps-drills-pg-data-age-alarm")).toMatchObject({
      metricName: "RestoredDataAgeSeconds",
      dimensions: dims,
      threshold: 26 * 3600,
      tags: { "alarm-page": "drill-data-age", severity: "warning" },
    });
    expect(alarm("demo-dumps-drills-pg-failed-alarm")).toMatchObject({
      metricName: "DrillFailed",
      dimensions: dims,
      threshold: 0,
      tags: { "alarm-page": "drill-failed", severity: "critical" },
    });
    const design = drillDesign(
      "postgres",
      loadConfig(demoSource({ backups: backups() })).backups!.databases[0]!.dump!,
      loadConfig(demoSource({ backups: backups() })).backups!.databases[0]!.dump!.drill!,
      26,
      "UTC",
    );
    expect(alarm("demo-dumps-drills-pg-overdue-alarm")).toMatchObject({
      metricName: "SecondsSinceLastGoodDrill",
      dimensions: { service: "drill-age", Database: "pg" },
      // The longest gap between drills (98 days), the scheduler's retries, the task's deadline and the 48h margin.
      threshold: 98 * 86_400 + 3600 + design.deadlineSeconds + 48 * 3600,
      period: 3600,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "breaching",
      tags: { "alarm-page": "drill-overdue", severity: "warning" },
    });
  });
});

describe("what the backup design can reach", () => {
  const problems = (drill: Record<string, unknown>) => {
    try {
      loadConfig(demoSource({ backups: backups(drill) }));
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.problems;
    }
  };
  it("refuses an RPO a daily dump cannot give unless something else is named to cover it", () => {
    const { pointInTimeRecovery: _p, ...claimed } = pgDrill;
    expect(problems(claimed)).toEqual([
      "maintenance:backups.databases[0].dump.drill.rpoHours: the dumps reach at worst 25.3h (the longest gap between dumps, a run and the hourly verification), not 1h; dump more often, or name what covers the RPO in drill.pointInTimeRecovery (such as the provider's point-in-time recovery)",
    ]);
    expect(problems(pgDrill)).toEqual([]);
  });
  it("refuses a dump too large for Fargate's 200 GiB, and a tier the database is not dumped in", () => {
    expect(problems({ ...pgDrill, dumpGiB: 20 })).toEqual([
      "maintenance:backups.databases[0].dump.drill.dumpGiB: a 20 GiB dump needs about 210 GiB of disk to restore; Fargate gives a task at most 200 GiB",
    ]);
    expect(problems({ ...pgDrill, tier: "weekly" })).toEqual([
      "maintenance:backups.databases[0].dump.drill.tier: restores a tier this database is dumped in; it has daily, yearly",
    ]);
  });
  it("prints the worst RPO and expected RTO beside the runbook's targets, and warns where the dumps cannot meet them", () => {
    expect(out.notes.filter((n) => n.includes("restore drill"))).toEqual([
      "database pg: restore drill cron(0 10 ? 1,4,7,10 TUE#1 *) UTC of the newest verified daily dump into postgres 16 (40 GiB disk); worst RPO 25.3h does NOT meet the runbook's 1h (covered by: the provider's point-in-time recovery; the drill's data-age alarm is at the dumps' 26h); expected RTO ~0.3h for 3 GiB (runbook 4h)",
      "database my: restore drill cron(0 10 ? * MON#1 *) UTC of the newest verified daily dump into mysql 8.0 (28 GiB disk); worst RPO 25.3h meets the runbook's 26h; expected RTO ~0.2h for 1 GiB (runbook 4h)",
    ]);
    expect(out.warnings.filter((w) => w.includes("RPO"))).toEqual([
      "database pg: its dumps cannot give RPO < 1h (at worst 25.3h); the stack relies on the provider's point-in-time recovery for that, and the drill does not claim it",
    ]);
  });
});
