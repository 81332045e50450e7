// Exact assertions on what the building blocks declare: key and topic policies, job IAM, schedules, alarms, buckets.
import { type AlarmRouting, metricAlarmArgs } from "../../../infra/core/alarm";
import { EncryptionKeys } from "../../../infra/core/encryption-keys";
import { heartbeatWindowSeconds } from "../../../infra/core/job/heartbeat";
import { MaintenanceJob, type MaintenanceJobArgs } from "../../../infra/core/job/maintenance-job";
import { OnCallPaging } from "../../../infra/core/on-call-paging";
import { RetainedBucket } from "../../../infra/core/retained-bucket";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const routing: AlarmRouting = {
  topicArns: {
    critical: `arn:aws:sns:eu-west-2:${ACCOUNT}:t-critical`,
    warning: `arn:aws:sns:eu-west-2:${ACCOUNT}:t-warning`,
    info: `arn:aws:sns:eu-west-2:${ACCOUNT}:t-info`,
  },
  actionsEnabled: true,
  stack: "unit",
  runbookBaseUrl: "https://github.com/acme/maintenance-stack/blob/main",
};
const json = (r: RecordedResource, key: string) => JSON.parse(String(r.inputs[key]));

describe("EncryptionKeys", () => {
  it("declares rotated keys with exact key policies, aliases, and a DR backups key", async () => {
    const resources = await recordProgram(
      () => new EncryptionKeys("k", { namePrefix: "app", rotationPeriodDays: 180, drRegion: "eu-west-1" }),
      { region: "eu-west-2" },
    );
    const logs = findResource(resources, "aws:kms/key:Key", "k-logs");
    expect(logs.inputs).toMatchObject({
      enableKeyRotation: true,
      rotationPeriodInDays: 180,
      deletionWindowInDays: 30,
    });
    expect(json(logs, "policy").Statement[2]).toEqual({
      Sid: "CloudWatchLogsForThisAccountsLogGroups",
      Effect: "Allow",
      Principal: { Service: "logs.eu-west-2.amazonaws.com" },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:*` },
      },
    });
    const messaging = json(findResource(resources, "aws:kms/key:Key", "k-messaging"), "policy");
    expect(messaging.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "AccountAdministration",
      "AccountUseThroughServices",
      "AlarmsAndEventsPublishToEncryptedTopics",
    ]);
    expect(messaging.Statement[2]).toEqual({
      Sid: "AlarmsAndEventsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    // Administration never grants kms:* (no wildcard action anywhere).
    for (const key of ofType(resources, "aws:kms/key:Key")) {
      for (const s of json(key, "policy").Statement) expect([s.Action].flat()).not.toContain("kms:*");
    }
    const dr = findResource(resources, "aws:kms/key:Key", "k-backups-dr");
    expect(dr.region).toBe("eu-west-1");
    expect(json(dr, "policy").Statement[1].Condition.StringEquals["kms:ViaService"]).toEqual([
      "rds.eu-west-1.amazonaws.com",
      "s3.eu-west-1.amazonaws.com",
    ]);
    expect(ofType(resources, "aws:kms/alias:Alias").map((a) => a.inputs.name)).toEqual([
      "alias/app-backups",
      "alias/app-backups-dr",
      "alias/app-logs",
      "alias/app-messaging",
    ]);
  });

  it.each([
    [{ rotationPeriodDays: 30 }, /rotationPeriodDays 30 is outside 90-2560 days/],
    [{ rotationPeriodDays: 2561 }, /rotationPeriodDays 2561 is outside 90-2560 days/],
    [{ rotationPeriodDays: 365, deletionWindowDays: 3 }, /deletionWindowDays 3 is outside 7-30 days/],
  ])("rejects %j before declaring anything", async (args, message) => {
    let recorded: RecordedResource[] = [];
    await expect(
      recordProgram(() => {
        new EncryptionKeys("k", { namePrefix: "app", ...args });
      }).then((r) => {
        recorded = r;
      }),
    ).rejects.toThrow(message);
    expect(recorded).toEqual([]);
  });
});

describe("OnCallPaging", () => {
  const make = (actionsEnabled: boolean) => () =>
    new OnCallPaging("p", {
      stack: "unit",
      namePrefix: "app",
      runbookBaseUrl: routing.runbookBaseUrl,
      actionsEnabled,
      regions: ["eu-west-2"],
      kmsKeyArns: { "eu-west-2": `arn:aws:kms:eu-west-2:${ACCOUNT}:key/m` },
      critical: { pagerUrl: "https://events.pagerduty.com/integration/SECRETKEY/enqueue" },
      warning: { emails: ["oncall@example.com"] },
      info: { emails: ["team@example.com"] },
    });

  it("declares encrypted topics with a TLS-only policy for this account's alarms and EventBridge", async () => {
    const resources = await recordProgram(make(true), { region: "eu-west-2" });
    expect(
      ofType(resources, "aws:sns/topic:Topic").map((t) => [t.inputs.name, t.inputs.kmsMasterKeyId]),
    ).toEqual([
      ["app-oncall-critical", `arn:aws:kms:eu-west-2:${ACCOUNT}:key/m`],
      ["app-oncall-info", `arn:aws:kms:eu-west-2:${ACCOUNT}:key/m`],
      ["app-oncall-warning", `arn:aws:kms:eu-west-2:${ACCOUNT}:key/m`],
    ]);
    const policy = json(
      findResource(resources, "aws:sns/topicPolicy:TopicPolicy", "p-critical-policy"),
      "policy",
    );
    const topic = `arn:aws:sns:eu-west-2:${ACCOUNT}:app-oncall-critical`;
    expect(policy.Statement.slice(1)).toEqual([
      {
        Sid: "CloudWatchAlarmsOfThisAccountPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topic,
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-2:${ACCOUNT}:alarm:*` },
        },
      },
      {
        Sid: "EventBridgeOfThisAccountPublishes",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topic,
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topic,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
    const subs = ofType(resources, "aws:sns/topicSubscription:TopicSubscription").map((s) => [
      s.name,
      s.inputs.protocol,
      s.inputs.endpoint,
    ]);
    expect(subs).toEqual([
      ["p-critical-pager", "https", "[secret]"],
      ["p-info-email-0", "email", "team@example.com"],
      ["p-warning-email-0", "email", "oncall@example.com"],
    ]);
    expect(JSON.stringify(resources)).not.toContain("SECRETKEY");
  });

  it("alarms on failed deliveries through a different channel than the failing one", async () => {
    const resources = await recordProgram(make(true), { region: "eu-west-2" });
    const route = (n: string) =>
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", n).inputs.alarmActions;
    expect(route("p-critical-delivery-alarm")).toEqual([
      `arn:aws:sns:eu-west-2:${ACCOUNT}:app-oncall-warning`,
    ]);
    expect(route("p-warning-delivery-alarm")).toEqual([
      `arn:aws:sns:eu-west-2:${ACCOUNT}:app-oncall-critical`,
    ]);
    expect(route("p-info-delivery-alarm")).toEqual([`arn:aws:sns:eu-west-2:${ACCOUNT}:app-oncall-critical`]);
  });

  it("keeps every alarm but disables actions when the stack says so (dev)", async () => {
    const resources = await recordProgram(make(false), { region: "eu-west-2" });
    const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarms).toHaveLength(3);
    expect(
      alarms.every(
        (a) => a.inputs.actionsEnabled === false && (a.inputs.alarmActions as unknown[]).length === 1,
      ),
    ).toBe(true);
  });
});

describe("alarm factory", () => {
  it("builds severity, description with runbook link, actions and window exactly", () => {
    const args = metricAlarmArgs(
      "db-age",
      {
        severity: "critical",
        page: "backup-age",
        summary: "The newest backup is too old.",
        metric: {
          namespace: "Maintenance/unit",
          metricName: "NewestSnapshotAgeSeconds",
          dimensions: { Database: "app" },
          stat: "Maximum",
        },
        periodSeconds: 3600,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: 93_600,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "breaching",
      },
      routing,
    );
    expect(args).toEqual({
      name: "unit db-age: The newest backup is too old",
      alarmDescription:
        "[CRITICAL] The newest backup is too old. Runbook: https://github.com/acme/maintenance-stack/blob/main/docs/alarms/backup-age.md",
      actionsEnabled: true,
      alarmActions: [routing.topicArns.critical],
      okActions: [routing.topicArns.critical],
      comparisonOperator: "GreaterThanThreshold",
      threshold: 93_600,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "breaching",
      tags: { severity: "critical", "alarm-page": "backup-age" },
      namespace: "Maintenance/unit",
      metricName: "NewestSnapshotAgeSeconds",
      dimensions: { Database: "app" },
      period: 3600,
      statistic: "Maximum",
    });
  });

  it("rejects windows CloudWatch would refuse, naming the alarm", () => {
    const spec = {
      severity: "warning" as const,
      page: "x",
      summary: "x",
      metric: { namespace: "n", metricName: "m", stat: "Sum" },
      threshold: 1,
      comparisonOperator: "GreaterThanThreshold" as const,
      treatMissingData: "notBreaching" as const,
    };
    expect(() =>
      metricAlarmArgs("a", { ...spec, periodSeconds: 300, evaluationPeriods: 300 }, routing),
    ).toThrow(
      /alarm "unit a: x": period 300s x 300 evaluation periods = 90000s exceeds CloudWatch's 86400s limit for periods under an hour/,
    );
    expect(() =>
      metricAlarmArgs("a", { ...spec, periodSeconds: 3600, evaluationPeriods: 169 }, routing),
    ).toThrow(/exceeds CloudWatch's 604800s limit/);
    expect(() => metricAlarmArgs("a", { ...spec, periodSeconds: 45, evaluationPeriods: 1 }, routing)).toThrow(
      /period 45s is not allowed/,
    );
  });
});

const jobArgs = (over: Partial<MaintenanceJobArgs> = {}): MaintenanceJobArgs => ({
  stack: "unit",
  namePrefix: "app",
  job: "backup",
  description: "test job",
  memoryMb: 256,
  timeoutSeconds: 300,
  reservedConcurrency: 1,
  jobConfig: { hello: "world" },
  statements: [
    {
      sid: "Describe",
      actions: ["rds:DescribeDBSnapshots"],
      resources: [`arn:aws:rds:eu-west-2:${ACCOUNT}:db:app`],
    },
  ],
  schedules: [
    { name: "daily", expression: "cron(0 2 * * ? *)", timezone: "Europe/London", input: { tier: "daily" } },
  ],
  scheduleGroupName: "app-maintenance",
  logRetentionDays: 30,
  logsKmsKeyArn: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/logs`,
  messagingKmsKeyArn: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/messaging`,
  routing,
  retry: {
    schedulerMaxAttempts: 3,
    schedulerMaxEventAgeSeconds: 3600,
    lambdaMaxRetries: 2,
    lambdaMaxEventAgeSeconds: 3600,
  },
  ...over,
});

describe("MaintenanceJob", () => {
  it("declares the function, its log group first, exact IAM, async failure handling and the schedule", async () => {
    const resources = await recordProgram(() => new MaintenanceJob("j", jobArgs()), { region: "eu-west-2" });
    const fn = findResource(resources, "aws:lambda/function:Function", "j-fn");
    expect(fn.inputs).toMatchObject({
      name: "app-backup",
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memorySize: 256,
      timeout: 300,
      reservedConcurrentExecutions: 1,
      loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/app-backup" },
    });
    expect(fn.inputs.code).toEqual({ archive: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toEqual({
      JOB_CONFIG: '{"hello":"world"}',
      POWERTOOLS_SERVICE_NAME: "backup",
      POWERTOOLS_METRICS_NAMESPACE: "Maintenance/unit",
    });
    expect(findResource(resources, "aws:cloudwatch/logGroup:LogGroup", "j-logs").inputs).toMatchObject({
      name: "/aws/lambda/app-backup",
      retentionInDays: 30,
      kmsKeyId: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/logs`,
    });
    const policy = json(findResource(resources, "aws:iam/rolePolicy:RolePolicy", "j-role-policy"), "policy");
    expect(policy.Statement).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [
          `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:/aws/lambda/app-backup`,
          `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:/aws/lambda/app-backup:log-stream:*`,
        ],
      },
      {
        Sid: "SendToOwnFailureQueue",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: `arn:aws:sqs:eu-west-2:${ACCOUNT}:app-backup-failures`,
      },
      {
        Sid: "UseMessagingKeyForFailureQueue",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/messaging`,
      },
      {
        Sid: "Describe",
        Effect: "Allow",
        Action: ["rds:DescribeDBSnapshots"],
        Resource: `arn:aws:rds:eu-west-2:${ACCOUNT}:db:app`,
      },
    ]);
    expect(json(findResource(resources, "aws:iam/role:Role", "j-role"), "assumeRolePolicy")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AssumedOnlyByServiceForThisAccount",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    });
    expect(
      findResource(resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "j-async")
        .inputs,
    ).toEqual({
      functionName: "app-backup",
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 3600,
      destinationConfig: {
        onFailure: { destination: `arn:aws:sqs:eu-west-2:${ACCOUNT}:app-backup-failures` },
      },
    });
    expect(findResource(resources, "aws:scheduler/schedule:Schedule", "j-daily").inputs).toEqual({
      name: "app-backup-daily",
      groupName: "app-maintenance",
      description: "backup: daily",
      scheduleExpression: "cron(0 2 * * ? *)",
      scheduleExpressionTimezone: "Europe/London",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: `arn:aws:lambda:eu-west-2:${ACCOUNT}:function:app-backup`,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/app-backup-scheduler`,
        input: '{"tier":"daily","scheduledTime":"<aws.scheduler.scheduled-time>"}',
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: `arn:aws:sqs:eu-west-2:${ACCOUNT}:app-backup-daily-dlq` },
      },
    });
    expect(
      json(findResource(resources, "aws:iam/rolePolicy:RolePolicy", "j-scheduler-policy"), "policy")
        .Statement,
    ).toEqual([
      {
        Sid: "InvokeOnlyThisFunction",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: [
          `arn:aws:lambda:eu-west-2:${ACCOUNT}:function:app-backup`,
          `arn:aws:lambda:eu-west-2:${ACCOUNT}:function:app-backup:*`,
        ],
      },
      {
        Sid: "DeadLetterToOwnQueues",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: [`arn:aws:sqs:eu-west-2:${ACCOUNT}:app-backup-daily-dlq`],
      },
      {
        Sid: "UseMessagingKeyForDlqs",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/messaging`,
      },
    ]);
    expect(
      json(findResource(resources, "aws:iam/role:Role", "j-scheduler-role"), "assumeRolePolicy").Statement[0]
        .Condition,
    ).toEqual({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
      ArnLike: { "aws:SourceArn": `arn:aws:scheduler:*:${ACCOUNT}:schedule/app-maintenance/*` },
    });
  });

  it("watches a daily job with a dead-man alarm on JobSucceeded sized from the schedule", async () => {
    const resources = await recordProgram(() => new MaintenanceJob("j", jobArgs()), { region: "eu-west-2" });
    const heartbeat = findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "j-heartbeat-alarm");
    // Longest gap 90000s (the 25-hour autumn day in London) + 3600 + 3600 + 300 + 3600 = 101100s -> 29 hourly periods.
    expect(heartbeat.inputs).toMatchObject({
      namespace: "Maintenance/unit",
      metricName: "JobSucceeded",
      dimensions: { service: "backup" },
      statistic: "Sum",
      period: 3600,
      evaluationPeriods: 29,
      datapointsToAlarm: 29,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    });
    expect(ofType(resources, "aws:ssm/parameter:Parameter")).toEqual([]);
  });

  it("watches a monthly job through an hourly age-of-last-success heartbeat (CloudWatch looks back 7 days at most)", async () => {
    const args = jobArgs({
      schedules: [{ name: "monthly", expression: "cron(0 2 ? * 1#1 *)", timezone: "UTC", input: {} }],
    });
    const resources = await recordProgram(() => new MaintenanceJob("j", args), { region: "eu-west-2" });
    const window = heartbeatWindowSeconds(args.schedules, args.retry, args.timeoutSeconds, new Date());
    expect(window).toBe(35 * 86_400 + 3600 + 3600 + 300 + 3600);
    expect(
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "j-last-success-age-alarm").inputs,
    ).toMatchObject({
      metricName: "SecondsSinceLastSuccess",
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 3,
      threshold: window,
      treatMissingData: "breaching",
    });
    expect(findResource(resources, "aws:scheduler/schedule:Schedule", "j-heartbeat").inputs).toMatchObject({
      scheduleExpression: "rate(1 hour)",
      target: expect.objectContaining({ input: '{"heartbeat":true}' }),
    });
    expect(findResource(resources, "aws:ssm/parameter:Parameter", "j-last-success").inputs.name).toBe(
      "/maintenance/unit/backup/last-success",
    );
    const env = (
      findResource(resources, "aws:lambda/function:Function", "j-fn").inputs.environment as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(env.LAST_SUCCESS_PARAMETER).toBe("/maintenance/unit/backup/last-success");
  });

  it("warns about a schedule whose local time falls into a DST gap", async () => {
    let job: MaintenanceJob | undefined;
    await recordProgram(() => {
      job = new MaintenanceJob(
        "j",
        jobArgs({
          schedules: [{ name: "daily", expression: "cron(30 1 * * ? *)", timezone: "Europe/London" }],
        }),
      );
    });
    expect(job!.warnings).toHaveLength(1);
    expect(job!.warnings[0]).toMatch(
      /app-backup schedule daily \(cron\(30 1 \* \* \? \*\) Europe\/London\) does not run on \d{4}-03-\d\d: 01:30 does not exist there \(DST\)/,
    );
  });

  it.each([
    [
      { statements: [{ sid: "All", actions: ["*"], resources: ["arn:aws:s3:::b"] }] },
      /statement All allows "\*"/,
    ],
    [
      { statements: [{ sid: "AllRds", actions: ["rds:*"], resources: ["arn:aws:rds:eu-west-2:1:db:x"] }] },
      /statement AllRds allows "rds:\*"/,
    ],
    [
      { statements: [{ sid: "Any", actions: ["rds:DescribeDBInstances"], resources: ["*"] }] },
      /Resource "\*" without a condition/,
    ],
  ])("rejects an IAM statement that is too broad (%#)", async (over, message) => {
    await expect(recordProgram(() => new MaintenanceJob("j", jobArgs(over)))).rejects.toThrow(message);
  });

  it.each([
    [{ environment: { DB_PASSWORD: "x" } }, /environment variable DB_PASSWORD looks like a secret/],
    [
      { schedules: [{ name: "d", expression: "cron(0 2 * * * *)", timezone: "UTC" }] },
      /schedule d: one of day-of-month and day-of-week must be "\?"/,
    ],
    [
      { schedules: [{ name: "d", expression: "cron(0 2 * * ? *)", timezone: "IST" }] },
      /"IST" is not an IANA timezone/,
    ],
    [{ timeoutSeconds: 901 }, /timeoutSeconds 901 must be 1-900/],
    // Only a job a service invokes itself (a rotation function) may go without schedules.
    [{ schedules: [] }, /job backup: needs at least one schedule \(or an invokedBy service\)/],
    [
      {
        fargate: {
          clusterArn: "arn:aws:ecs:eu-west-2:1:cluster/c",
          cpu: 256,
          memoryMb: 512,
          eventVariable: "E",
          deadlineSeconds: 60,
        },
      },
      /job backup: a Fargate job runs a container image; set image/,
    ],
    [
      {
        image: { uri: "r@sha256:0", commands: ["x"], repositoryArn: "arn:aws:ecr:eu-west-2:1:repository/r" },
        fargate: {
          clusterArn: "arn:aws:ecs:eu-west-2:1:cluster/c",
          cpu: 256,
          memoryMb: 512,
          eventVariable: "E",
          deadlineSeconds: 60,
        },
      },
      /job backup: a Fargate task needs subnets and security groups \(network\)/,
    ],
  ])("rejects bad job arguments before declaring anything (%#)", async (over, message) => {
    let recorded: RecordedResource[] = [];
    await expect(
      recordProgram(() => new MaintenanceJob("j", jobArgs(over))).then((r) => (recorded = r)),
    ).rejects.toThrow(message);
    expect(recorded).toEqual([]);
  });
});

describe("RetainedBucket", () => {
  const bucket =
    (over: Partial<ConstructorParameters<typeof RetainedBucket>[1]> = {}) =>
    () =>
      new RetainedBucket("b", {
        namePrefix: "app",
        purpose: "backups",
        kmsKeyArn: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/b`,
        protect: true,
        lifecycleRules: [
          {
            id: "archive",
            prefix: "logs/",
            transitions: [
              { days: 30, storageClass: "STANDARD_IA" },
              { days: 90, storageClass: "GLACIER" },
            ],
            expirationDays: 365,
          },
          {
            id: "yearly",
            tags: { tier: "yearly" },
            transitions: [{ days: 1, storageClass: "DEEP_ARCHIVE" }],
            expirationDays: 2557,
            noncurrentVersionExpirationDays: 30,
          },
        ],
        objectLock: { mode: "COMPLIANCE", years: 7 },
        ...over,
      });

  it("is encrypted, private, versioned, TLS-only, locked, never force-destroyed, with exact lifecycle rules", async () => {
    const resources = await recordProgram(bucket(), { region: "eu-west-2" });
    const b = findResource(resources, "aws:s3/bucket:Bucket", "b-bucket");
    expect(b.inputs).toMatchObject({ forceDestroy: false, objectLockEnabled: true });
    expect(String(b.inputs.bucket)).toMatch(/^app-backups-[0-9a-f]{8}$/);
    expect(
      findResource(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "b-encryption",
      ).inputs.rules,
    ).toEqual([
      {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: `arn:aws:kms:eu-west-2:${ACCOUNT}:key/b`,
        },
        bucketKeyEnabled: true,
      },
    ]);
    expect(
      findResource(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "b-public-access")
        .inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      findResource(resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "b-ownership").inputs
        .rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(
      findResource(resources, "aws:s3/bucketVersioning:BucketVersioning", "b-versioning").inputs
        .versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const arn = `arn:aws:s3:::${b.inputs.bucket}`;
    expect(
      json(findResource(resources, "aws:s3/bucketPolicy:BucketPolicy", "b-policy"), "policy").Statement,
    ).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyPutsNotEncryptedWithKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${arn}/*`,
        Condition: {
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
          Null: { "s3:x-amz-server-side-encryption": "false" },
        },
      },
      {
        Sid: "DenyPutsWithAnotherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${arn}/*`,
        Condition: {
          StringNotEquals: {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": `arn:aws:kms:eu-west-2:${ACCOUNT}:key/b`,
          },
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
        },
      },
      {
        Sid: "DenyCustomerProvidedKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${arn}/*`,
        Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
      },
      {
        Sid: "DenyKmsPutsWithoutTheKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${arn}/*`,
        Condition: {
          StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
        },
      },
    ]);
    expect(
      findResource(
        resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "b-lifecycle",
      ).inputs.rules,
    ).toEqual([
      {
        id: "archive",
        status: "Enabled",
        filter: { prefix: "logs/" },
        transitions: [
          { days: 30, storageClass: "STANDARD_IA" },
          { days: 90, storageClass: "GLACIER" },
        ],
        expiration: { days: 365 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
      {
        id: "yearly",
        status: "Enabled",
        filter: { tag: { key: "tier", value: "yearly" } },
        transitions: [{ days: 1, storageClass: "DEEP_ARCHIVE" }],
        expiration: { days: 2557 },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        // No abortIncompleteMultipartUpload: S3 refuses it on a tag-filtered rule.
      },
    ]);
    expect(
      findResource(
        resources,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "b-object-lock",
      ).inputs.rule,
    ).toEqual({
      defaultRetention: { mode: "COMPLIANCE", years: 7 },
    });
  });

  it.each([
    [
      [{ id: "r", transitions: [{ days: 10, storageClass: "STANDARD_IA" as const }], expirationDays: 100 }],
      /STANDARD_IA at 10 days; S3 allows it only at 30 days or later/,
    ],
    [
      [{ id: "r", transitions: [{ days: 10, storageClass: "ONEZONE_IA" as const }], expirationDays: 100 }],
      /ONEZONE_IA at 10 days/,
    ],
    [
      [
        {
          id: "r",
          transitions: [
            { days: 30, storageClass: "STANDARD_IA" as const },
            { days: 45, storageClass: "GLACIER" as const },
          ],
          expirationDays: 400,
        },
      ],
      /GLACIER at 45 days is only 15 days after STANDARD_IA; S3 requires 30/,
    ],
    [
      [{ id: "r", transitions: [{ days: 90, storageClass: "GLACIER" as const }], expirationDays: 120 }],
      /expires 30 days after moving to GLACIER, before its 90-day minimum/,
    ],
    [
      [{ id: "r", transitions: [{ days: 1, storageClass: "DEEP_ARCHIVE" as const }], expirationDays: 100 }],
      /DEEP_ARCHIVE, before its 180-day minimum/,
    ],
    [
      [{ id: "r", transitions: [{ days: 30, storageClass: "GLACIER_IR" as const }], expirationDays: 60 }],
      /GLACIER_IR, before its 90-day minimum/,
    ],
    [
      [
        {
          id: "r",
          transitions: [
            { days: 90, storageClass: "GLACIER" as const },
            { days: 60, storageClass: "DEEP_ARCHIVE" as const },
          ],
          expirationDays: 400,
        },
      ],
      /transitions must be in increasing days/,
    ],
    [
      [
        {
          id: "r",
          transitions: [
            { days: 90, storageClass: "GLACIER" as const },
            { days: 200, storageClass: "STANDARD_IA" as const },
          ],
          expirationDays: 400,
        },
      ],
      /cannot transition from GLACIER to STANDARD_IA/,
    ],
    [
      [{ id: "r", transitions: [{ days: 90, storageClass: "GLACIER" as const }], expirationDays: 60 }],
      /expires at 60 days, not after its last transition/,
    ],
    [[{ id: "r" }], /has no transition, expiration or upload abort/],
    [
      [{ id: "r", tags: { tier: "daily" }, expirationDays: 30, abortIncompleteMultipartUploadDays: 1 }],
      /lifecycle rule "r": aborts incomplete uploads but filters on tags; S3 refuses that/,
    ],
    [[{ id: "r", expirationDays: 0 }], /expirationDays 0 must be a whole number of days >= 1/],
    [
      [
        { id: "r", expirationDays: 30 },
        { id: "r", expirationDays: 60 },
      ],
      /lifecycle rule id "r" is used twice/,
    ],
  ])("rejects invalid lifecycle rules (%#) before declaring anything", async (rules, message) => {
    let recorded: RecordedResource[] = [];
    await expect(
      recordProgram(bucket({ lifecycleRules: rules })).then((r) => (recorded = r)),
    ).rejects.toThrow(message);
    expect(recorded).toEqual([]);
  });

  it("accepts an early deletion only when asked to", async () => {
    const rules = [
      {
        id: "r",
        transitions: [{ days: 90, storageClass: "GLACIER" as const }],
        expirationDays: 120,
        acceptEarlyDeletion: true,
      },
    ];
    const resources = await recordProgram(bucket({ lifecycleRules: rules }));
    expect(
      ofType(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
    ).toHaveLength(1);
  });
});

describe("MaintenanceJob on Fargate", () => {
  it("refuses a schedule its heartbeat alarm could not watch (no hourly heartbeat task), declaring nothing", async () => {
    let recorded: RecordedResource[] = [];
    await expect(
      recordProgram(
        () =>
          new MaintenanceJob(
            "j",
            jobArgs({
              schedules: [{ name: "monthly", expression: "cron(0 2 1 * ? *)", timezone: "UTC" }],
              image: {
                uri: "r@sha256:0",
                commands: ["x"],
                repositoryArn: "arn:aws:ecr:eu-west-2:1:repository/r",
              },
              network: {
                subnetIds: ["subnet-0123456789abcdef0"],
                securityGroupIds: ["sg-0123456789abcdef0"],
              },
              fargate: {
                clusterArn: "arn:aws:ecs:eu-west-2:1:cluster/c",
                cpu: 256,
                memoryMb: 512,
                eventVariable: "E",
                deadlineSeconds: 600,
              },
            }),
          ),
      ).then((r) => (recorded = r)),
    ).rejects.toThrow(/job backup: a Fargate job needs a schedule that runs at least every 6 days/);
    expect(recorded.filter((r) => r.custom)).toEqual([]);
  });
});
