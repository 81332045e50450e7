// Database maintenance on Fargate: the task definition running the db-maintenance image's main.js, its task role's
// exact statements, the schedules' ECS targets in the database's network, the stack's dbmaint cluster and image
// repository, and the config errors that keep statement_timeout, batches and the heartbeat within the runner's limit.
import { ConfigError, loadConfig } from "../../../infra/config";
import { diffPlans } from "../../../scripts/plan/diff";
import { renderText } from "../../../scripts/plan/markdown";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
const MAINT_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-maint-AbCdEf`;
const NETWORK = { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] };
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
        network: NETWORK,
        tiers: { daily: { expression: "cron(0 2 * * ? *)", retention: "30d" } },
      },
    },
  ],
};
const monitoring = {
  maintenanceWindows: [{ name: "monthly", day: "SUN#1", start: "02:00", end: "06:00", timezone: "UTC" }],
};
const DAILY = { kind: "check", name: "ready", schedule: "cron(0 9 * * ? *)", query: "SELECT 1" };
const FULL = {
  kind: "rebuild",
  name: "full",
  schedule: "cron(0 3 ? * SUN#1 *)",
  window: "monthly",
  tables: ["messages"],
};
const database = (extra: Record<string, unknown> = {}, tasks: unknown[] = [DAILY, FULL]) => ({
  databases: [
    {
      name: "pg",
      engine: "postgres",
      backupOf: "pg",
      connection: { host: "pg.internal", database: "app_db", user: "owner", passwordSecretArn: MAINT_SECRET },
      timezone: "UTC",
      network: NETWORK,
      runsOn: "fargate",
      fargate: { cpu: 512, memoryMb: 1024, timeoutMinutes: 180 },
      session: { lockTimeoutMs: 5000, statementTimeoutSeconds: 7200, idleInTransactionSeconds: 60 },
      tasks,
      ...extra,
    },
  ],
});

let resources: RecordedResource[];
beforeAll(async () => {
  resources = await recordProgram(
    () => buildStack(loadConfig(demoSource({ backups, monitoring, databaseMaintenance: database() }))),
    { stack: "demo", region: REGION },
  );
});

describe("maintenance on Fargate", () => {
  it("is an arm64 task running the db-maintenance image's main.js with the job's config and deadline", () => {
    expect(ofType(resources, "aws:lambda/function:Function").map((f) => f.name)).not.toContain(
      "demo-dbmaint-pg-fn",
    );
    const task = findResource(resources, "aws:ecs/taskDefinition:TaskDefinition", "demo-dbmaint-pg-task");
    const { containerDefinitions, tags: _tags, ...rest } = task.inputs;
    expect(rest).toEqual({
      family: "demo-dbmaint-pg",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "512",
      memory: "1024",
      runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-dbmaint-pg-exec`,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-dbmaint-pg-job`,
    });
    const [container, ...others] = JSON.parse(String(containerDefinitions));
    expect(others).toEqual([]);
    const env = Object.fromEntries(
      (container.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(Object.keys(env)).toEqual([
      "JOB_CONFIG",
      "JOB_DEADLINE_SECONDS",
      "POWERTOOLS_METRICS_NAMESPACE",
      "POWERTOOLS_SERVICE_NAME",
    ]);
    expect(env.JOB_DEADLINE_SECONDS).toBe(String(180 * 60));
    expect(env.POWERTOOLS_SERVICE_NAME).toBe("dbmaint-pg");
    expect(JSON.parse(env.JOB_CONFIG!).session).toEqual({
      lockTimeoutMs: 5000,
      statementTimeoutSeconds: 7200,
      idleInTransactionSeconds: 60,
    });
    expect(container).toMatchObject({
      name: "job",
      image: expect.stringMatching(/\.amazonaws\.com\/demo-db-maintenance:[0-9a-f]{16}@sha256:/),
      entryPoint: ["/var/lang/bin/node", "/var/task/main.js"],
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/maintenance/demo/dbmaint-pg",
          "awslogs-region": REGION,
          "awslogs-stream-prefix": "dbmaint-pg",
        },
      },
    });
  });

  it("runs in the stack's dbmaint cluster from its own repository, which only the execution role pulls from", () => {
    expect(findResource(resources, "aws:ecs/cluster:Cluster", "demo-dbmaint-cluster").inputs.name).toBe(
      "demo-dbmaint",
    );
    expect(
      findResource(resources, "aws:ecr/repository:Repository", "demo-dbmaint-image-repo").inputs,
    ).toMatchObject({ name: "demo-db-maintenance", imageScanningConfiguration: { scanOnPush: true } });
    // No Lambda runs this image: no repository policy for the Lambda service.
    expect(ofType(resources, "aws:ecr/repositoryPolicy:RepositoryPolicy").map((p) => p.name)).not.toContain(
      "demo-dbmaint-image-policy",
    );
  });

  it("lets the task role read only its password and the dumps' verdicts; nothing for logs or a failure queue", () => {
    const doc = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dbmaint-pg-role-policy"),
      "policy",
    );
    expect(doc.Statement.map((s: { Sid: string; Action: string[] }) => [s.Sid, s.Action])).toEqual([
      ["ReadDatabasePassword", ["secretsmanager:GetSecretValue"]],
      ["ListVerifiedDumps", ["s3:ListBucket"]],
      ["ReadDumpVerdicts", ["s3:GetObjectTagging"]],
    ]);
    const trust = json(
      findResource(resources, "aws:iam/role:Role", "demo-dbmaint-pg-role"),
      "assumeRolePolicy",
    );
    expect(trust.Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
  });

  it("starts each task through an ECS target in the database's subnets, the task's name in JOB_EVENT", () => {
    const full = findResource(resources, "aws:scheduler/schedule:Schedule", "demo-dbmaint-pg-full");
    const target = full.inputs.target as Record<string, unknown>;
    expect(target.arn).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/demo-dbmaint`);
    expect(JSON.parse(String(target.input))).toEqual({
      containerOverrides: [
        {
          name: "job",
          environment: [
            {
              name: "JOB_EVENT",
              value: JSON.stringify({ task: "full", scheduledTime: "<aws.scheduler.scheduled-time>" }),
            },
          ],
        },
      ],
    });
    expect(target.ecsParameters).toEqual({
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/demo-dbmaint-pg:1`,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      taskCount: 1,
      networkConfiguration: {
        subnets: NETWORK.subnetIds,
        securityGroups: NETWORK.securityGroupIds,
        assignPublicIp: false,
      },
    });
    // A daily task: the heartbeat is the plain JobSucceeded alarm, no hourly task of its own.
    const schedules = ofType(resources, "aws:scheduler/schedule:Schedule").map((s) => s.name);
    expect(schedules.filter((n) => n.startsWith("demo-dbmaint-pg-")).sort()).toEqual([
      "demo-dbmaint-pg-full",
      "demo-dbmaint-pg-ready",
    ]);
    expect(
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "demo-dbmaint-pg-heartbeat-alarm")
        .inputs.metricName,
    ).toBe("JobSucceeded");
  });
});

describe("what a reviewer sees when runsOn changes", () => {
  it("shows the function and its Lambda alarms going, the task coming, and each schedule retargeted", async () => {
    const onLambda = await recordProgram(
      () =>
        buildStack(
          loadConfig(
            demoSource({
              backups,
              monitoring,
              databaseMaintenance: database({
                runsOn: "lambda",
                session: { lockTimeoutMs: 5000, statementTimeoutSeconds: 600, idleInTransactionSeconds: 60 },
              }),
            }),
          ),
        ),
      { stack: "demo", region: REGION },
    );
    const diff = diffPlans({ stack: "demo", resources: onLambda }, { stack: "demo", resources });
    const kind = (type: string, name: string) =>
      diff.changes.find((c) => c.type === type && c.name === name)?.kind;
    expect([
      kind("aws:lambda/function:Function", "demo-dbmaint-pg-fn"),
      kind("aws:cloudwatch/metricAlarm:MetricAlarm", "demo-dbmaint-pg-errors-alarm"),
      kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "demo-dbmaint-pg-vpc-access"),
      kind("aws:ecs/taskDefinition:TaskDefinition", "demo-dbmaint-pg-task"),
      kind("aws:ecs/cluster:Cluster", "demo-dbmaint-cluster"),
      kind("aws:ecr/repository:Repository", "demo-dbmaint-image-repo"),
      kind("aws:cloudwatch/eventRule:EventRule", "demo-dbmaint-pg-task-failed"),
      kind("aws:scheduler/schedule:Schedule", "demo-dbmaint-pg-full"),
    ]).toEqual(["delete", "delete", "delete", "create", "create", "create", "create", "update"]);
    const full = diff.changes.find((c) => c.name === "demo-dbmaint-pg-full")!;
    // Inside the target's JSON input too: the event moves from the Lambda input into the container override.
    expect(full.properties).toEqual(
      expect.arrayContaining([
        "target.arn",
        "target.ecsParameters.taskDefinitionArn",
        "target.ecsParameters.networkConfiguration.subnets",
        "target.input.containerOverrides",
        "target.input.task",
      ]),
    );
    // The job's log group moves from Lambda's /aws/lambda/ name to the task's: a replace the diff flags (its logs go).
    const logs = diff.changes.find((c) => c.name === "demo-dbmaint-pg-logs")!;
    expect([logs.kind, logs.replaceBecause, logs.dangers]).toEqual([
      "replace",
      ["name"],
      ["replaces a stateful aws:cloudwatch/logGroup:LogGroup: its data does not move to the new one"],
    ]);
    const text = renderText([diff]);
    expect(text).toContain("- aws:lambda/function:Function demo-dbmaint-pg-fn");
    expect(text).toContain("+ aws:ecs/taskDefinition:TaskDefinition demo-dbmaint-pg-task");
    expect(text).toMatch(/~ aws:scheduler\/schedule:Schedule demo-dbmaint-pg-full \[[^\]]*target\.arn/);
  });
});

describe("bad config on Fargate", () => {
  const problems = (maintenance: unknown) => {
    try {
      loadConfig(demoSource({ backups, monitoring, databaseMaintenance: maintenance }));
    } catch (e) {
      if (e instanceof ConfigError) return [e.stackFile, ...e.problems];
      throw e;
    }
    return [];
  };
  const KEY = "maintenance:databaseMaintenance.databases[0]";

  it("needs a network, a Fargate size, and a statement_timeout that ends before the task's deadline", () => {
    expect(
      problems(
        database({
          network: undefined,
          fargate: { cpu: 512, memoryMb: 512, timeoutMinutes: 60 },
          session: { lockTimeoutMs: 5000, statementTimeoutSeconds: 3590, idleInTransactionSeconds: 60 },
        }),
      ),
    ).toEqual([
      "stacks/Pulumi.demo.yaml",
      `${KEY}.fargate: Fargate cpu 512 allows memoryMb 1024-4096 in steps of 1024, not 512`,
      `${KEY}.network: required with runsOn: fargate (a Fargate task runs in your subnets, with your security groups)`,
      `${KEY}.session.statementTimeoutSeconds: must be at most fargate.timeoutMinutes * 60 - 30 (3570), so a statement stops and the run reports before the Fargate task stops itself`,
    ]);
  });

  it("bounds a batched task's run time by the runner's limit, on Lambda too", () => {
    const purge = {
      kind: "purge",
      name: "sessions",
      schedule: "cron(0 4 * * ? *)",
      table: "sessions",
      expiresColumn: "expires_at",
      keyColumn: "id",
      maxSeconds: 900,
    };
    expect(
      problems(database({ runsOn: "lambda", session: undefined, network: undefined }, [purge])).slice(1),
    ).toEqual([
      `${KEY}.tasks[0].maxSeconds: must be under timeoutSeconds (900): no batch may start when Lambda ends it; a run stops starting batches early enough for one more to finish anyway`,
    ]);
  });

  it("needs a task at least about every 6 days, so the heartbeat alarm can watch the job", () => {
    expect(problems(database({}, [FULL])).slice(1)).toEqual([
      `${KEY}.tasks: on Fargate a task must run at least about every 6 days (the job's heartbeat alarm looks back at most 7 days, and an hourly age report would be an hourly task); add a frequent light task (such as a daily check), or use runsOn: lambda`,
    ]);
  });
});
