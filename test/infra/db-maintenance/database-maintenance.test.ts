// Exact assertions on what database maintenance declares (the job per database, its schedules and JOB_CONFIG, the
// role's statements, the task and check alarms), and that bad config fails before anything is declared, naming the
// stack file and key.
import { ConfigError, loadConfig } from "../../../infra/config";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
const MAINT_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-maint-AbCdEf`;
const json = (r: RecordedResource, key: string) => JSON.parse(String(r.inputs[key]));

const backups = {
  rpoHours: 26,
  databases: [
    {
      name: "pg",
      kind: "self-hosted",
      engine: "postgres",
      dump: {
        connection: { host: "pg.internal", database: "app_db", user: "backup", passwordSecretArn: SECRET },
        network: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
        tiers: { daily: { expression: "cron(0 2 * * ? *)", retention: "30d" } },
      },
    },
  ],
};
const monitoring = {
  maintenanceWindows: [
    { name: "monthly", day: "SUN#1", start: "02:00", end: "06:00", timezone: "Asia/Kolkata" },
  ],
};
const maintenance = (tasks: unknown[], extra: Record<string, unknown> = {}) => ({
  databases: [
    {
      name: "pg",
      engine: "postgres",
      backupOf: "pg",
      connection: { host: "pg.internal", database: "app_db", user: "owner", passwordSecretArn: MAINT_SECRET },
      timezone: "Asia/Kolkata",
      tasks,
      ...extra,
    },
  ],
});
const TASKS = [
  { kind: "vacuum", name: "weekly-vacuum", schedule: "cron(0 2 ? * SUN *)" },
  {
    kind: "archive",
    name: "audit-archive",
    schedule: "cron(15 2 ? * SUN *)",
    table: "audit_log",
    archiveTable: "audit_log_archive",
    timestampColumn: "created_at",
    olderThanDays: 90,
    keyColumn: "id",
  },
  {
    kind: "rebuild",
    name: "full",
    schedule: "cron(0 3 ? * SUN#1 *)",
    window: "monthly",
    tables: ["messages"],
  },
  {
    kind: "check",
    name: "plain-phones",
    schedule: "cron(0 4 1 1,4,7,10 ? *)",
    query: "SELECT count(*) FROM patients WHERE phone ~ '^[0-9]+$'",
    alarm: { threshold: 0, comparison: ">", severity: "critical", summary: "PII in clear text" },
  },
];

let resources: RecordedResource[];
beforeAll(async () => {
  resources = await recordProgram(
    () =>
      buildStack(loadConfig(demoSource({ backups, monitoring, databaseMaintenance: maintenance(TASKS) }))),
    { stack: "demo", region: REGION },
  );
});

describe("the maintenance job", () => {
  it("is one zip Lambda per database running the db-maintenance bundle, one task at a time", () => {
    const fn = findResource(resources, "aws:lambda/function:Function", "demo-dbmaint-pg-fn");
    expect(fn.inputs).toMatchObject({
      name: "demo-dbmaint-pg",
      runtime: "nodejs24.x",
      handler: "index.handler",
      timeout: 900,
      memorySize: 512,
      reservedConcurrentExecutions: 1,
    });
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env.POWERTOOLS_SERVICE_NAME).toBe("dbmaint-pg");
    const config = JSON.parse(env.JOB_CONFIG!);
    expect(config.connection).toEqual({
      engine: "postgres",
      host: "pg.internal",
      port: 5432,
      databaseName: "app_db",
      user: "owner",
      passwordSecretArn: MAINT_SECRET,
    });
    expect(config.session).toEqual({
      lockTimeoutMs: 5000,
      statementTimeoutSeconds: 600,
      idleInTransactionSeconds: 60,
    });
    expect(config.backup).toEqual({
      buckets: [expect.stringMatching(/^demo-dumps-[0-9a-f]{8}$/)],
      database: "pg",
      rpoSeconds: 26 * 3600,
    });
    // The heavy task carries its window, with the window's timezone.
    expect(config.tasks[2]).toEqual({
      task: { kind: "rebuild", name: "full", tables: ["messages"], analyze: false },
      window: { name: "monthly", day: "SUN#1", start: "02:00", end: "06:00", timezone: "Asia/Kolkata" },
    });
    expect(config.tasks[1].task).toEqual({
      kind: "archive",
      name: "audit-archive",
      table: "audit_log",
      archiveTable: "audit_log_archive",
      timestampColumn: "created_at",
      olderThanDays: 90,
      keyColumn: "id",
      batchSize: 1000,
      maxSeconds: 600,
      maxRowsPerRun: 1_000_000,
      dryRun: false,
      allowEmptying: false,
    });
  });

  it("schedules each task in the database's timezone with the task's name as input", () => {
    const schedules = ofType(resources, "aws:scheduler/schedule:Schedule").filter((s) =>
      s.name.startsWith("demo-dbmaint-pg-"),
    );
    expect(
      schedules
        .filter((s) => !s.name.endsWith("-heartbeat"))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((s) => [
          s.name,
          s.inputs.scheduleExpression,
          s.inputs.scheduleExpressionTimezone,
          JSON.parse(String((s.inputs.target as { input: string }).input)),
        ]),
    ).toEqual([
      [
        "demo-dbmaint-pg-audit-archive",
        "cron(15 2 ? * SUN *)",
        "Asia/Kolkata",
        { task: "audit-archive", scheduledTime: "<aws.scheduler.scheduled-time>" },
      ],
      [
        "demo-dbmaint-pg-full",
        "cron(0 3 ? * SUN#1 *)",
        "Asia/Kolkata",
        { task: "full", scheduledTime: "<aws.scheduler.scheduled-time>" },
      ],
      [
        "demo-dbmaint-pg-plain-phones",
        "cron(0 4 1 1,4,7,10 ? *)",
        "Asia/Kolkata",
        { task: "plain-phones", scheduledTime: "<aws.scheduler.scheduled-time>" },
      ],
      [
        "demo-dbmaint-pg-weekly-vacuum",
        "cron(0 2 ? * SUN *)",
        "Asia/Kolkata",
        { task: "weekly-vacuum", scheduledTime: "<aws.scheduler.scheduled-time>" },
      ],
    ]);
  });

  it("may read only its password, list only the dump prefixes the verifier walks, and read only their tags", () => {
    const doc = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dbmaint-pg-role-policy"),
      "policy",
    );
    const declared = doc.Statement.filter((s: { Sid: string }) =>
      ["ReadDatabasePassword", "ListVerifiedDumps", "ReadDumpVerdicts"].includes(s.Sid),
    );
    const bucket = declared[1].Resource;
    expect(bucket).toMatch(/^arn:aws:s3:::demo-dumps-[0-9a-f]{8}$/);
    expect(declared).toEqual([
      {
        Sid: "ReadDatabasePassword",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: MAINT_SECRET,
      },
      {
        Sid: "ListVerifiedDumps",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: bucket,
        Condition: {
          StringEquals: { "s3:prefix": ["daily/pg/", "weekly/pg/", "monthly/pg/", "yearly/pg/"] },
        },
      },
      {
        Sid: "ReadDumpVerdicts",
        Effect: "Allow",
        Action: ["s3:GetObjectTagging"],
        Resource: `${bucket}/daily/pg/*`,
      },
    ]);
    // Besides what every job has (its logs, failure queue and last-success parameter): nothing that reads a dump's
    // bytes or uses a key.
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "SendToOwnFailureQueue",
      "UseMessagingKeyForFailureQueue",
      "RecordLastSuccess",
      "ReadDatabasePassword",
      "ListVerifiedDumps",
      "ReadDumpVerdicts",
    ]);
  });

  it("alarms on each task's failure and on a check crossing its threshold, with exactly the job's dimensions", () => {
    const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
      /^demo-dbmaint-pg-.*-(failed|check)-alarm$/.test(a.name),
    );
    const failed = (task: string) => [
      `demo-dbmaint-pg-${task}-failed-alarm`,
      "TaskFailed",
      { service: "dbmaint-pg", Task: task },
      0,
      "GreaterThanThreshold",
    ];
    expect(
      alarms
        .map((a) => [
          a.name,
          a.inputs.metricName,
          a.inputs.dimensions,
          a.inputs.threshold,
          a.inputs.comparisonOperator,
        ])
        .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
    ).toEqual([
      failed("audit-archive"),
      failed("full"),
      [
        "demo-dbmaint-pg-plain-phones-check-alarm",
        "CheckValue",
        { service: "dbmaint-pg", Task: "plain-phones" },
        0,
        "GreaterThanThreshold",
      ],
      failed("plain-phones"),
      failed("weekly-vacuum"),
    ]);
    const check = alarms.find((a) => a.name.endsWith("-check-alarm"))!;
    expect(check.inputs).toMatchObject({
      namespace: "Maintenance/demo",
      period: 3600,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      statistic: "Maximum",
    });
    expect(String(check.inputs.alarmDescription)).toMatch(
      /^\[CRITICAL\] .*PII in clear text.*docs\/alarms\/db-maintenance-check\.md/s,
    );
  });
});

describe("bad config", () => {
  const problems = (sections: Record<string, unknown>) => {
    try {
      loadConfig(demoSource(sections));
    } catch (e) {
      if (e instanceof ConfigError) return [e.stackFile, ...e.problems];
      throw e;
    }
    return [];
  };

  it("names the stack file and key, and says what is allowed", () => {
    expect(
      problems({
        backups,
        monitoring,
        databaseMaintenance: maintenance([
          { kind: "vacuum", name: "v", schedule: "cron(0 2 ? * SUN *)", tables: ['Odd "name" t'] },
          { kind: "rebuild", name: "w", schedule: "cron(0 7 ? * SUN#1 *)", window: "monthly", tables: ["m"] },
          { kind: "rebuild", name: "x", schedule: "cron(0 3 ? * SUN#1 *)", window: "nightly", tables: ["m"] },
        ]),
      }),
    ).toEqual([
      "stacks/Pulumi.demo.yaml",
      expect.stringMatching(
        /^maintenance:databaseMaintenance\.databases\[0\]\.tasks\[1\]\.schedule: cron\(0 7 \? \* SUN#1 \*\) \(Asia\/Kolkata\) fires at .*, outside window monthly \(SUN#1 02:00-06:00 Asia\/Kolkata\)/,
      ),
      'maintenance:databaseMaintenance.databases[0].tasks[2].window: "nightly" is not one of monitoring.maintenanceWindows (monthly)',
    ]);
  });

  it("refuses a heavy task without a window", () => {
    const r = { kind: "rebuild", name: "r", schedule: "cron(0 3 ? * SUN *)", tables: ["m"] };
    expect(problems({ backups, monitoring, databaseMaintenance: maintenance([r]) }).slice(1)).toEqual([
      "maintenance:databaseMaintenance.databases[0].tasks[0].window: required: rebuild is heavy and runs only inside a monitoring.maintenanceWindows window",
    ]);
  });

  it("refuses an injection attempt in an identifier (and nothing is declared)", () => {
    expect(
      problems({
        backups,
        databaseMaintenance: maintenance([
          {
            kind: "vacuum",
            name: "v",
            schedule: "cron(0 2 ? * SUN *)",
            tables: ['audit"; DROP TABLE x; --'],
          },
        ]),
      }),
    ).toEqual([
      "stacks/Pulumi.demo.yaml",
      "maintenance:databaseMaintenance.databases[0].tasks[0].tables[0]: must not contain ';', '--', '/*', '*/', backticks or control characters (an identifier, not SQL)",
    ]);
  });

  it("refuses a rewriting task without a verified-dump guard, a guard that has no dumps, and kinds the engine lacks", () => {
    const purge = {
      kind: "purge",
      name: "p",
      schedule: "cron(0 4 * * ? *)",
      table: "s",
      expiresColumn: "e",
      keyColumn: "id",
    };
    expect(
      problems({ backups, databaseMaintenance: maintenance([purge], { backupOf: undefined }) }).slice(1),
    ).toEqual([
      "maintenance:databaseMaintenance.databases[0].tasks[0]: purge deletes or rewrites data: set backupOf (the backups.databases[] entry whose newest verified dump must be within its RPO)",
    ]);
    expect(
      problems({ backups, databaseMaintenance: maintenance([purge], { backupOf: "other" }) }).slice(1),
    ).toEqual([
      'maintenance:databaseMaintenance.databases[0].backupOf: "other" is not a backups.databases[] entry with a dump block (pg); only verified dumps can guard a task that rewrites data',
    ]);
    expect(
      problems({
        backups,
        databaseMaintenance: maintenance([{ kind: "vacuum", name: "v", schedule: "cron(0 2 ? * SUN *)" }], {
          engine: "mysql",
          backupOf: undefined,
        }),
      }).slice(1),
    ).toEqual([
      "maintenance:databaseMaintenance.databases[0].tasks[0].kind: vacuum is not a mysql task; mysql runs analyze, rebuild, archive, purge, check, bloat-report",
    ]);
  });
});
