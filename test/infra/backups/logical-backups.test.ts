// Exact assertions on what logical dumps declare: the image (ECR repository, lifecycle, build inputs), the Lambda
// image configuration, the Fargate task and its Scheduler ECS target, IAM, bucket lifecycle and vault lock, alarms.
import { loadConfig } from "../../../infra/config";
import { imageContext } from "../../../infra/core/lambda-bundle";
import { DUMP_IMAGE_ENTRIES } from "../../../infra/backups/dump-image";
import { ecrLifecyclePolicy } from "../../../infra/core/policies/ecr-lifecycle";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
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
        tiers: {
          daily: { expression: "cron(0 2 * * ? *)", retention: "30d" },
          yearly: { expression: "cron(0 3 1 1 ? *)", retention: "7y", objectLock: "COMPLIANCE" },
        },
      },
    },
    {
      name: "my",
      kind: "self-hosted",
      engine: "mysql",
      dump: {
        connection: { host: "10.0.0.9", database: "shop", user: "backup", passwordSecretArn: SECRET },
        network: { subnetIds: ["subnet-0123456789abcdef1"], securityGroupIds: ["sg-0123456789abcdef1"] },
        runsOn: "fargate",
        fargate: { cpu: 512, memoryMb: 2048, timeoutMinutes: 60 },
        timezone: "Asia/Kolkata",
        tiers: { daily: { expression: "cron(0 2 * * ? *)", retention: "30d" } },
      },
    },
  ],
};

let resources: RecordedResource[];
beforeAll(async () => {
  resources = await recordProgram(() => buildStack(loadConfig(demoSource({ backups }))), {
    stack: "demo",
    region: REGION,
  });
});

const REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/demo-logical-backup`;

describe("dump image", () => {
  it("has a repository that scans on push, lets only this account's Lambdas pull, and expires images by the lifecycle policy", () => {
    expect(findResource(resources, "aws:ecr/repository:Repository", "demo-dumps-image-repo").inputs).toEqual({
      name: "demo-logical-backup",
      imageTagMutability: "MUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: false,
      tags: expect.objectContaining({ stack: "demo", "managed-by": "maintenance-stack" }),
    });
    const lifecycle = findResource(
      resources,
      "aws:ecr/lifecyclePolicy:LifecyclePolicy",
      "demo-dumps-image-lifecycle",
    );
    expect(lifecycle.inputs.repository).toBe("demo-logical-backup");
    expect(json(lifecycle, "policy")).toEqual(ecrLifecyclePolicy(10));
    const policy = findResource(
      resources,
      "aws:ecr/repositoryPolicy:RepositoryPolicy",
      "demo-dumps-image-policy",
    );
    expect(policy.inputs.repository).toBe("demo-logical-backup");
    expect(json(policy, "policy")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LambdaPullForThisAccountsFunctions",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Condition: { StringLike: { "aws:sourceArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:*` } },
        },
      ],
    });
  });

  it("builds the Dockerfile for arm64 from a context of only the bundles, tagged by content hash, pushed with an ECR token", () => {
    const context = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    expect(context.files).toEqual(["drill.js", "index.js", "main.js", "verify.js"]);
    expect(findResource(resources, "docker:index/image:Image", "demo-dumps-image-image").inputs).toEqual({
      imageName: `${REPO}:${context.hash.slice(0, 16)}`,
      build: {
        context: "dist/logical-backup-image",
        dockerfile: "dist/logical-backup-image/Dockerfile",
        platform: "linux/arm64",
      },
      // The ECR token is a secret, so the whole registry block is one in the plan and in state.
      registry: "[secret]",
      buildOnPreview: false,
      skipPush: false,
    });
  });
});

describe("dump on Lambda", () => {
  it("runs the image's index.handler in the database's subnets, with its config and no secret", () => {
    const fn = findResource(resources, "aws:lambda/function:Function", "demo-dumps-pg-fn");
    const { environment, tags, ...rest } = fn.inputs as Record<string, unknown> & {
      environment: { variables: Record<string, string> };
    };
    expect(rest).toEqual({
      name: "demo-dump-pg",
      description: "pg_dump of pg into the backups bucket",
      architectures: ["arm64"],
      packageType: "Image",
      imageUri: expect.stringMatching(new RegExp(`^${REPO}:[0-9a-f]{16}@sha256:[0-9a-f]{64}$`)),
      imageConfig: { commands: ["index.handler"] },
      memorySize: 1024,
      timeout: 900,
      reservedConcurrentExecutions: 1,
      role: `arn:aws:iam::${ACCOUNT}:role/demo-dump-pg-job`,
      loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/demo-dump-pg" },
      vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
    });
    expect(tags).toBeDefined();
    const config = JSON.parse(environment.variables.JOB_CONFIG!);
    expect(config).toEqual({
      database: "pg",
      engine: "postgres",
      host: "pg.internal",
      port: 5432,
      databaseName: "app_db",
      user: "backup",
      passwordSecretArn: SECRET,
      bucket: expect.stringMatching(/^demo-dumps-[0-9a-f]{8}$/),
      tierBuckets: { yearly: expect.stringMatching(/^demo-dump-vault-[0-9a-f]{8}$/) },
      kmsKeyArn: expect.stringMatching(new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT}:key/`)),
    });
    expect(
      findResource(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "demo-dumps-pg-vpc-access")
        .inputs,
    ).toEqual({
      role: "demo-dump-pg-job",
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    });
  });

  it("may read only its password, stage under .incoming, and land only its own tiers (the yearly one in the vault)", () => {
    const doc = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-pg-role-policy"),
      "policy",
    );
    const declared = doc.Statement.slice(3);
    const bucket = declared[1].Resource.replace(/\/\.incoming\/\*\/pg\/\*$/, "");
    expect(bucket).toMatch(/^arn:aws:s3:::demo-dumps-[0-9a-f]{8}$/);
    const vault = declared[2].Resource[1].replace(/\/yearly\/pg\/\*$/, "");
    expect(vault).toMatch(/^arn:aws:s3:::demo-dump-vault-[0-9a-f]{8}$/);
    expect(declared).toEqual([
      {
        Sid: "ReadDatabasePassword",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: SECRET,
      },
      {
        Sid: "StageOwnDumps",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        Resource: `${bucket}/.incoming/*/pg/*`,
      },
      {
        Sid: "LandOwnDumps",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:AbortMultipartUpload"],
        Resource: [`${bucket}/daily/pg/*`, `${vault}/yearly/pg/*`],
        Condition: { "ForAllValues:StringEquals": { "s3:RequestObjectTagKeys": ["tier", "database"] } },
      },
      { Sid: "TellMissingFromDenied", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket, vault] },
      {
        Sid: "EncryptWithBackupsKey",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: expect.stringMatching(/^arn:aws:kms:/),
      },
    ]);
    expect(JSON.stringify(doc)).not.toMatch(/"s3:\*"|"Resource":"\*"/);
  });

  it("schedules each tier with its tier in the input", () => {
    const yearly = findResource(resources, "aws:scheduler/schedule:Schedule", "demo-dumps-pg-yearly");
    expect(yearly.inputs).toMatchObject({
      scheduleExpression: "cron(0 3 1 1 ? *)",
      scheduleExpressionTimezone: "UTC",
      target: {
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:demo-dump-pg`,
        input: JSON.stringify({ tier: "yearly", scheduledTime: "<aws.scheduler.scheduled-time>" }),
      },
    });
  });
});

describe("dump on Fargate", () => {
  it("declares an arm64 Fargate task running node main.js from the same image, logging to its own group", () => {
    const task = findResource(resources, "aws:ecs/taskDefinition:TaskDefinition", "demo-dumps-my-task");
    const { containerDefinitions, tags, ...rest } = task.inputs;
    expect(rest).toEqual({
      family: "demo-dump-my",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "512",
      memory: "2048",
      runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-dump-my-exec`,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/demo-dump-my-job`,
    });
    expect(tags).toBeDefined();
    const [container, ...others] = JSON.parse(String(containerDefinitions));
    expect(others).toEqual([]);
    expect(container).toEqual({
      name: "job",
      image: expect.stringMatching(new RegExp(`^${REPO}:[0-9a-f]{16}@sha256:`)),
      essential: true,
      entryPoint: ["/var/lang/bin/node", "/var/task/main.js"],
      environment: [
        { name: "JOB_CONFIG", value: expect.stringContaining('"engine":"mysql"') },
        { name: "JOB_DEADLINE_SECONDS", value: "3600" },
        { name: "POWERTOOLS_METRICS_NAMESPACE", value: "Maintenance/demo" },
        { name: "POWERTOOLS_SERVICE_NAME", value: "dump-my" },
      ],
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/maintenance/demo/dump-my",
          "awslogs-region": REGION,
          "awslogs-stream-prefix": "dump-my",
        },
      },
    });
    expect(ofType(resources, "aws:lambda/function:Function").map((f) => f.name)).not.toContain(
      "demo-dumps-my-fn",
    );
    expect(
      findResource(resources, "aws:cloudwatch/logGroup:LogGroup", "demo-dumps-my-logs").inputs,
    ).toMatchObject({
      name: "/maintenance/demo/dump-my",
      retentionInDays: 30,
    });
  });

  it("is started by an EventBridge Scheduler ECS target with the event as a container override", () => {
    const daily = findResource(resources, "aws:scheduler/schedule:Schedule", "demo-dumps-my-daily");
    expect(daily.inputs).toEqual({
      name: "demo-dump-my-daily",
      groupName: expect.any(String),
      description: "dump-my: daily",
      scheduleExpression: "cron(0 2 * * ? *)",
      scheduleExpressionTimezone: "Asia/Kolkata",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: expect.stringMatching(new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/demo-dumps$`)),
        roleArn: `arn:aws:iam::${ACCOUNT}:role/demo-dump-my-scheduler`,
        input: JSON.stringify({
          containerOverrides: [
            {
              name: "job",
              environment: [
                {
                  name: "JOB_EVENT",
                  value: JSON.stringify({ tier: "daily", scheduledTime: "<aws.scheduler.scheduled-time>" }),
                },
              ],
            },
          ],
        }),
        ecsParameters: {
          taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/demo-dump-my:1`,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          taskCount: 1,
          networkConfiguration: {
            subnets: ["subnet-0123456789abcdef1"],
            securityGroups: ["sg-0123456789abcdef1"],
            assignPublicIp: false,
          },
        },
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:demo-dump-my-daily-dlq` },
      },
    });
  });

  it("sends ECS events of its failed tasks (non-zero exit, failed start) to its failure queue, which pages", () => {
    const cluster = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/demo-dumps`;
    const rule = findResource(resources, "aws:cloudwatch/eventRule:EventRule", "demo-dumps-my-task-failed");
    expect(rule.inputs.name).toBe("demo-dump-my-task-failed");
    expect(json(rule, "eventPattern")).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: {
        clusterArn: [cluster],
        taskDefinitionArn: [{ prefix: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/demo-dump-my:` }],
        lastStatus: ["STOPPED"],
        $or: [{ stopCode: ["TaskFailedToStart"] }, { containers: { exitCode: [{ "anything-but": 0 }] } }],
      },
    });
    const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:demo-dump-my-failures`;
    expect(
      findResource(resources, "aws:cloudwatch/eventTarget:EventTarget", "demo-dumps-my-task-failed-target")
        .inputs,
    ).toEqual({
      rule: "demo-dump-my-task-failed",
      arn: queueArn,
    });
    expect(
      json(
        findResource(resources, "aws:sqs/queuePolicy:QueuePolicy", "demo-dumps-my-failures-policy"),
        "policy",
      ),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OnlyThisRuleSends",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queueArn,
          Condition: {
            ArnEquals: {
              "aws:SourceArn": `arn:aws:events:${REGION}:${ACCOUNT}:rule/demo-dump-my-task-failed`,
            },
          },
        },
      ],
    });
    expect(
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "demo-dumps-my-failures-alarm")
        .inputs,
    ).toMatchObject({
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "demo-dump-my-failures" },
      alarmDescription: expect.stringMatching(
        /^\[CRITICAL\] dump-my Fargate tasks stopped with an error or failed to start/,
      ),
    });
    // No Lambda metrics for a Fargate job, and the task role cannot write to the queue (EventBridge does).
    expect(ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.name)).not.toContain(
      "demo-dumps-my-errors-alarm",
    );
    const taskPolicy = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-my-role-policy"),
      "policy",
    );
    expect(taskPolicy.Statement.map((s: { Sid: string }) => s.Sid)).not.toContain("SendToOwnFailureQueue");
  });

  it("lets the scheduler run only this task family on this cluster and pass only the task's two roles", () => {
    const doc = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-my-scheduler-policy"),
      "policy",
    );
    expect(doc.Statement.slice(0, 2)).toEqual([
      {
        Sid: "RunOnlyThisTaskOnThisCluster",
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/demo-dump-my:*`,
        Condition: { ArnEquals: { "ecs:cluster": `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/demo-dumps` } },
      },
      {
        Sid: "PassOnlyThisTasksRolesToEcs",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: [
          `arn:aws:iam::${ACCOUNT}:role/demo-dump-my-job`,
          `arn:aws:iam::${ACCOUNT}:role/demo-dump-my-exec`,
        ],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
    const trust = json(
      findResource(resources, "aws:iam/role:Role", "demo-dumps-my-role"),
      "assumeRolePolicy",
    );
    expect(trust.Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
  });
});

describe("dump storage and verification", () => {
  it("expires a tier's dumps only once tagged expire=true, archives long tiers, clears crashed staging after a day", () => {
    const buckets = ofType(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
    const dumps = buckets.find((b) => b.name === "demo-dumps-bucket-lifecycle")!;
    const expireRule = (db: string, tier: string, noncurrentDays: number) => ({
      id: `${db}-${tier}`,
      status: "Enabled",
      filter: { and: { prefix: `${tier}/${db}/`, tags: { expire: "true", tier } } },
      expiration: { days: 1 },
      noncurrentVersionExpiration: { noncurrentDays: noncurrentDays },
    });
    const archiveRule = (db: string, tier: string) => ({
      id: `${db}-${tier}-archive`,
      status: "Enabled",
      filter: { and: { prefix: `${tier}/${db}/`, tags: { tier } } },
      transitions: [{ days: 90, storageClass: "GLACIER_IR" }],
    });
    // S3 refuses an upload abort on a tag-filtered rule: one prefix-only rule per bucket aborts unfinished uploads.
    const abortUploads = {
      id: "abort-uploads",
      status: "Enabled",
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    };
    expect(dumps.inputs.rules).toEqual([
      {
        id: "incoming",
        status: "Enabled",
        filter: { prefix: ".incoming/" },
        expiration: { days: 1 },
        noncurrentVersionExpiration: { noncurrentDays: 1 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
      abortUploads,
      expireRule("pg", "daily", 7),
      // The yearly tier is locked, so its new dumps land in the vault; its older ones here still expire.
      expireRule("pg", "yearly", 7),
      archiveRule("pg", "yearly"),
      expireRule("my", "daily", 7),
    ]);
    for (const rule of [...(dumps.inputs.rules as object[])]) {
      const r = rule as {
        id: string;
        expiration?: unknown;
        filter: unknown;
        abortIncompleteMultipartUpload?: unknown;
      };
      // No rule expires anything by age alone, and none mixes tags with an upload abort.
      if (r.id !== "incoming" && r.expiration) expect(JSON.stringify(r.filter)).toContain('"expire":"true"');
      if (JSON.stringify(r.filter).includes("tags")) expect(r.abortIncompleteMultipartUpload).toBeUndefined();
    }
    const vault = buckets.find((b) => b.name === "demo-dumps-vault-lifecycle")!;
    // A tier moved out of the vault leaves its dumps there: every tier's rules are in the vault too.
    expect(vault.inputs.rules).toEqual([
      abortUploads,
      expireRule("pg", "daily", 1),
      expireRule("pg", "yearly", 1),
      archiveRule("pg", "yearly"),
      expireRule("my", "daily", 1),
    ]);
    expect(
      findResource(
        resources,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "demo-dumps-vault-object-lock",
      ).inputs.rule,
    ).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 2557 } });
    expect(findResource(resources, "aws:s3/bucket:Bucket", "demo-dumps-vault-bucket").inputs).toMatchObject({
      objectLockEnabled: true,
      forceDestroy: false,
    });
  });

  it("keeps every tier's expiry rules in both buckets, so dumps written before a tier moved into or out of the vault still expire", () => {
    const lifecycle = ofType(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
    const ids = (name: string) =>
      (lifecycle.find((b) => b.name === name)!.inputs.rules as { id: string }[]).map((r) => r.id);
    const everyTier = ["pg-daily", "pg-yearly", "pg-yearly-archive", "my-daily"];
    // pg's yearly tier is locked: its new dumps land in the vault, and the yearly dumps from before it was locked
    // are still in the dumps bucket, marked by verification, and must still be deleted there.
    expect(ids("demo-dumps-bucket-lifecycle")).toEqual(["incoming", "abort-uploads", ...everyTier]);
    expect(ids("demo-dumps-vault-lifecycle")).toEqual(["abort-uploads", ...everyTier]);
    // Verification reads and marks every tier in both buckets.
    const config = JSON.parse(
      (
        findResource(resources, "aws:lambda/function:Function", "demo-dumps-verify-fn").inputs
          .environment as {
          variables: Record<string, string>;
        }
      ).variables.JOB_CONFIG!,
    );
    expect(config.buckets).toHaveLength(2);
    const policy = findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-verify-role-policy");
    const statements = JSON.parse(String(policy.inputs.policy)).Statement as {
      Sid: string;
      Resource: string[];
    }[];
    const objects = statements.find((x) => x.Sid === "ReadAndMarkDumps")!.Resource;
    for (const bucket of [/^arn:aws:s3:::demo-dumps-/, /^arn:aws:s3:::demo-dump-vault-/])
      for (const prefix of ["daily/pg/*", "yearly/pg/*", "daily/my/*"])
        expect(objects.filter((r) => bucket.test(r) && r.endsWith(`/${prefix}`))).toHaveLength(1);
  });

  it("verifies each database hourly with the image's verify.handler, outside any VPC, reading both buckets", () => {
    const fn = findResource(resources, "aws:lambda/function:Function", "demo-dumps-verify-fn");
    expect(fn.inputs).toMatchObject({
      packageType: "Image",
      imageConfig: { commands: ["verify.handler"] },
      reservedConcurrentExecutions: 2,
    });
    for (const db of ["pg", "my"]) {
      const schedule = findResource(
        resources,
        "aws:scheduler/schedule:Schedule",
        `demo-dumps-verify-hourly-${db}`,
      );
      expect(schedule.inputs).toMatchObject({
        scheduleExpression: "cron(20 * * * ? *)",
        scheduleExpressionTimezone: "UTC",
        target: { input: JSON.stringify({ database: db, scheduledTime: "<aws.scheduler.scheduled-time>" }) },
      });
    }
    expect(fn.inputs.vpcConfig).toBeUndefined();
    const config = JSON.parse(
      (fn.inputs.environment as { variables: Record<string, string> }).variables.JOB_CONFIG!,
    );
    expect(config).toEqual({
      buckets: [expect.stringMatching(/^demo-dumps-/), expect.stringMatching(/^demo-dump-vault-/)],
      databases: [
        // max(freshnessHours 48, the database's RPO 26h).
        {
          database: "pg",
          engine: "postgres",
          retentionDays: { daily: 30, yearly: 2557 },
          freshnessSeconds: 48 * 3600,
        },
        { database: "my", engine: "mysql", retentionDays: { daily: 30 }, freshnessSeconds: 48 * 3600 },
      ],
      maxCandidates: 3,
      // backups.keepLastFloor, freshnessHours, maxDeletesPerRun, dryRun (their defaults).
      expiry: { keepLastFloor: 3, freshnessSeconds: 48 * 3600, maxMarksPerRun: 20, dryRun: false },
    });
  });

  it("pages when the newest verified dump is older than the RPO or missing, and when a dump fails", () => {
    const alarm = (name: string) =>
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${name}-alarm`).inputs;
    expect(alarm("demo-dumps-pg-age")).toMatchObject({
      namespace: "Maintenance/demo",
      metricName: "NewestGoodDumpAgeSeconds",
      dimensions: { service: "dump-verify", Database: "pg" },
      threshold: 26 * 3600,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "breaching",
      alarmDescription: expect.stringMatching(/^\[CRITICAL\] .*docs\/alarms\/backup-age\.md$/),
    });
    expect(alarm("demo-dumps-my-verification")).toMatchObject({
      metricName: "DumpVerificationFailed",
      dimensions: { service: "dump-verify", Database: "my" },
      treatMissingData: "breaching",
      alarmDescription: expect.stringMatching(/^\[WARNING\] /),
    });
    expect(alarm("demo-dumps-my-failed")).toMatchObject({
      metricName: "BackupFailed",
      dimensions: { service: "dump-my", Database: "my" },
      period: 3600,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmDescription: expect.stringMatching(/^\[CRITICAL\] .*docs\/alarms\/dump-failed\.md$/),
    });
  });
});
