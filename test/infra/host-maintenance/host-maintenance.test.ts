// The runbooks' host chores in their stacks' plans, asserted exactly: the SSM windows (schedule, timezone, duration,
// cutoff), targets, Run Command tasks, the roles and the failure rule; and the config's refusals, naming file and key.
import { type ConfigError, loadConfig } from "../../../infra/config";
import { fromMonitoringWindow } from "../../../infra/config/host-windows";
import { hostPolicy, windowRolePolicy } from "../../../infra/host-maintenance/policies";
import { recordStack } from "../../../scripts/lib/record-stack";
import { demoSource } from "../../support/config-source";

const byName = (resources: { name: string }[], name: string) => {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r as { name: string; type: string; inputs: Record<string, any> };
};

describe("host maintenance in the runbook stacks", () => {
  it("SkillSwap: the weekly window is Sunday 02:00 IST for 2 hours; its chores run in the runbook's order", async () => {
    const { resources } = await recordStack("skillswap-prod");
    expect(byName(resources, "skillswap-hosts-weekly").inputs).toEqual({
      name: "skillswap-hosts-weekly",
      description: "skillswap-prod host maintenance: monitoring.maintenanceWindows weekly (SUN 02:00-04:00)",
      schedule: "cron(0 2 ? * SUN *)",
      scheduleTimezone: "Asia/Kolkata",
      duration: 2,
      cutoff: 1,
      allowUnassociatedTargets: false,
      tags: expect.objectContaining({ app: "skillswap", stack: "skillswap-prod" }),
    });
    expect(byName(resources, "skillswap-hosts-weekly-app").inputs).toEqual({
      windowId: "skillswap-hosts-weekly",
      name: "skillswap-app",
      description: "skillswap-prod host app",
      resourceType: "INSTANCE",
      targets: [{ key: "InstanceIds", values: ["i-0c1d2e3f4a5b60718"] }],
      ownerInformation: "skillswap-prod host app",
    });
    const task = byName(resources, "skillswap-hosts-weekly-app-chores").inputs;
    const script = task.taskInvocationParameters.runCommandParameters.parameters[0].values[0] as string;
    expect({ ...task, taskInvocationParameters: undefined }).toEqual({
      windowId: "skillswap-hosts-weekly",
      name: "skillswap-hosts-weekly-app-chores",
      taskType: "RUN_COMMAND",
      taskArn: "AWS-RunShellScript",
      priority: 2,
      serviceRoleArn: "arn:aws:iam::123456789012:role/skillswap-host-windows",
      maxConcurrency: "1",
      maxErrors: "0",
      cutoffBehavior: "CANCEL_TASK",
      targets: [{ key: "WindowTargetIds", values: ["skillswap-app"] }],
      taskInvocationParameters: undefined,
    });
    expect(task.taskInvocationParameters.runCommandParameters).toEqual({
      comment: "skillswap-prod app: old-logs, old-images, old-backups, disk, redis",
      timeoutSeconds: 600,
      outputS3Bucket: expect.stringMatching(/^skillswap-host-files-[0-9a-f]{8}$/),
      outputS3KeyPrefix: "run-command/app/weekly",
      cloudwatchConfig: {
        cloudwatchLogGroupName: "/maintenance/skillswap-prod/hosts",
        cloudwatchOutputEnabled: true,
      },
      parameters: [
        { name: "commands", values: [script] },
        { name: "executionTimeout", values: ["3600"] },
      ],
    });
    const order = [...script.matchAll(/^current='([a-z-]+)'/gm)].map((m) => m[1]);
    expect(order).toEqual(["old-logs", "old-images", "old-backups", "disk", "redis"]);
    expect(script).toContain("info=$(docker exec 'skillswap-redis-1' redis-cli INFO memory | tr -d '\\r')");
    expect(script).toContain("delete_files '/opt/skillswap/logs' '*.log' 43200 10000");
    expect(script).toContain("docker image prune -af --filter 'until=168h'");
    expect(script).toContain("delete_files '/opt/skillswap/backups' '*.sql.gz' 129600 10000");
    expect(script).toContain("DRY_RUN=0");
  });

  it("SkillSwap: Redis's fragmentation above 1.5 at the weekly run pages, on exactly what the script publishes", async () => {
    const { resources } = await recordStack("skillswap-prod");
    const alarm = byName(resources, "skillswap-hosts-app-redis-fragmentation-alarm").inputs;
    expect({
      namespace: alarm.namespace,
      metricName: alarm.metricName,
      dimensions: alarm.dimensions,
      statistic: alarm.statistic,
      period: alarm.period,
      evaluationPeriods: alarm.evaluationPeriods,
      threshold: alarm.threshold,
      comparisonOperator: alarm.comparisonOperator,
      treatMissingData: alarm.treatMissingData,
    }).toEqual({
      namespace: "Maintenance/skillswap-prod",
      metricName: "RedisFragmentationRatio",
      dimensions: { service: "host-maintenance", Host: "app", Task: "redis" },
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1.5,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    expect(String(alarm.alarmDescription)).toMatch(/redis-fragmentation/);
    const policy = JSON.parse(byName(resources, "skillswap-hosts-app-policy").inputs.policy);
    expect(policy.Statement.find((s: { Sid: string }) => s.Sid === "ChoreMetrics")).toEqual({
      Sid: "ChoreMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "Maintenance/skillswap-prod" } },
    });
  });

  it("SkillSwap: base backups every 6 hours IST before the chores, WAL bucket, check and alarms", async () => {
    const { resources } = await recordStack("skillswap-prod");
    expect(byName(resources, "skillswap-hosts-every-6h").inputs).toMatchObject({
      schedule: "cron(0 0/6 * * ? *)",
      scheduleTimezone: "Asia/Kolkata",
      duration: 2,
      cutoff: 1,
    });
    const backup = byName(resources, "skillswap-hosts-every-6h-app-base-backup").inputs;
    expect(backup.priority).toBe(1);
    const script = backup.taskInvocationParameters.runCommandParameters.parameters[0].values[0] as string;
    expect(script).toMatch(
      /repo1-s3-bucket=skillswap-wal-[0-9a-f]{8}\nrepo1-s3-endpoint=s3\.ap-south-1\.amazonaws\.com/,
    );
    expect(script).toContain("repo1-retention-full=4");
    expect(script).toContain(
      "runuser -u 'postgres' -- pgbackrest --config='/etc/pgbackrest/pgbackrest.conf' --stanza='skillswap' check",
    );
    expect(script).toContain("--stanza='skillswap' backup --type=full");
    const alarms = resources.filter(
      (r) =>
        r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" &&
        ["WalArchiveAgeSeconds", "BaseBackupAgeSeconds"].includes(String(r.inputs.metricName)),
    );
    expect(
      alarms.map((a) => ({
        metric: a.inputs.metricName,
        dims: a.inputs.dimensions,
        threshold: a.inputs.threshold,
        missing: a.inputs.treatMissingData,
        period: a.inputs.period,
      })),
    ).toEqual([
      {
        metric: "WalArchiveAgeSeconds",
        dims: { service: "wal-check", Stanza: "skillswap" },
        threshold: 1200,
        missing: "breaching",
        period: 3600,
      },
      // Longest gap of the 6-hourly window (6 h) + the window (2 h) + an hour.
      {
        metric: "BaseBackupAgeSeconds",
        dims: { service: "wal-check", Stanza: "skillswap" },
        threshold: 32_400,
        missing: "breaching",
        period: 3600,
      },
    ]);
  });

  it("Boardroom: compress, then sync the .gz files, then delete old .gz, then back up uploads and the compose file, then read Redis, daily at 03:00 UTC; the host may write only its prefixes", async () => {
    const { resources } = await recordStack("boardroom-prod");
    const task = byName(resources, "boardroom-hosts-daily-logs-app-chores").inputs;
    const script = task.taskInvocationParameters.runCommandParameters.parameters[0].values[0] as string;
    expect([...script.matchAll(/^current='([a-z-]+)'/gm)].map((m) => m[1])).toEqual([
      "compress-logs",
      "ship-logs",
      "old-logs",
      "backup-uploads",
      "backup-compose",
      "redis",
    ]);
    expect(script).toMatch(
      /aws s3 sync '\/home\/app\/boardroom\/logs' 's3:\/\/boardroom-host-files-[0-9a-f]{8}\/hosts\/app\/logs\/' --exclude '\*' --include '\*\.gz' --no-follow-symlinks --sse aws:kms/,
    );
    // The runbook's application backup, without .env.production (secrets belong in Secrets Manager, not an archive).
    expect(script).toMatch(
      /aws s3 sync '\/home\/app\/boardroom\/uploads' 's3:\/\/boardroom-host-files-[0-9a-f]{8}\/hosts\/app\/uploads\/' --no-follow-symlinks --sse aws:kms/,
    );
    expect(script).toMatch(
      /aws s3 sync '\/home\/app\/boardroom' 's3:\/\/boardroom-host-files-[0-9a-f]{8}\/hosts\/app\/config\/' --exclude '\*' --include 'docker-compose\.yml' --no-follow-symlinks/,
    );
    expect(script).not.toMatch(/\.env/);
    const policy = JSON.parse(byName(resources, "boardroom-hosts-app-policy").inputs.policy);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "RunCommandOutput",
      "RunCommandLogs",
      "RunCommandLogGroupLookup",
      "SyncedFolders",
      "SyncedFoldersList",
      "HostFilesKey",
      "ChoreMetrics",
    ]);
    expect(byName(resources, "boardroom-hosts-app-ssm-core").inputs.policyArn).toBe(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
    expect(byName(resources, "boardroom-hosts-app-profile").inputs).toMatchObject({
      name: "boardroom-host-app",
      role: "boardroom-host-app",
    });
  });

  it("pages through an EventBridge rule on the stack's windows' failed, timed-out and cancelled tasks", async () => {
    const { resources } = await recordStack("telemed-prod");
    const rule = byName(resources, "telemed-hosts-failed").inputs;
    expect(JSON.parse(rule.eventPattern)).toEqual({
      source: ["aws.ssm"],
      "detail-type": [
        "Maintenance Window Task Execution State-change Notification",
        "Maintenance Window Task Target Invocation State-change Notification",
      ],
      detail: { "window-id": ["telemed-hosts-weekly-host"], status: ["FAILED", "TIMED_OUT", "CANCELLED"] },
    });
    expect(byName(resources, "telemed-hosts-failed-target").inputs.arn).toBe(
      "arn:aws:sqs:us-east-1:123456789012:telemed-host-maintenance-failures",
    );
    const alarm = byName(resources, "telemed-hosts-failed-alarm").inputs;
    expect(alarm).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "telemed-host-maintenance-failures" },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmDescription: expect.stringContaining("/docs/alarms/host-maintenance-failed.md"),
    });
    const script = byName(resources, "telemed-hosts-weekly-host-app-chores").inputs.taskInvocationParameters
      .runCommandParameters.parameters[0].values[0] as string;
    expect(script).toContain("docker exec 'telemed_nginx' certbot renew --dry-run");
  });
});

describe("the pure pieces", () => {
  it("a monitoring window becomes the longest whole number of hours inside it, crossing midnight when it ends earlier", () => {
    expect(
      fromMonitoringWindow({ name: "w", day: "SUN#1", start: "02:30", end: "06:00" }, "UTC"),
    ).toMatchObject({
      schedule: "cron(30 2 ? * SUN#1 *)",
      durationHours: 3,
      cutoffHours: 1,
    });
    expect(
      fromMonitoringWindow({ name: "w", day: "SAT", start: "23:00", end: "01:00" }, "Europe/Berlin"),
    ).toMatchObject({
      durationHours: 2,
      timezone: "Europe/Berlin",
    });
    expect(fromMonitoringWindow({ name: "w", day: "SAT", start: "02:00", end: "02:45" }, "UTC")).toMatch(
      /45 minutes long; an SSM Maintenance Window lasts at least 1 hour/,
    );
  });

  it("the windows' role may run only AWS-RunShellScript, only on the stack's hosts", () => {
    expect(
      windowRolePolicy({
        region: "eu-west-1",
        account: "1",
        partition: "aws",
        instanceIds: ["i-0abc12345def67890"],
        tags: [{ key: "Role", value: "app" }],
      }),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "RunShellScriptDocument",
          Effect: "Allow",
          Action: "ssm:SendCommand",
          Resource: "arn:aws:ssm:eu-west-1:*:document/AWS-RunShellScript",
        },
        {
          Sid: "OnTheHostsById",
          Effect: "Allow",
          Action: "ssm:SendCommand",
          Resource: ["arn:aws:ec2:eu-west-1:1:instance/i-0abc12345def67890"],
        },
        {
          Sid: "OnTheHostsByTag0",
          Effect: "Allow",
          Action: "ssm:SendCommand",
          Resource: "arn:aws:ec2:eu-west-1:1:instance/*",
          Condition: { StringEquals: { "ssm:resourceTag/Role": "app" } },
        },
        {
          Sid: "FollowCommands",
          Effect: "Allow",
          Action: [
            "ssm:CancelCommand",
            "ssm:GetCommandInvocation",
            "ssm:ListCommandInvocations",
            "ssm:ListCommands",
          ],
          Resource: "*",
        },
      ],
    });
  });

  it("the WAL host may delete only inside its repository prefix", () => {
    const doc = hostPolicy({
      host: "db",
      region: "eu-west-1",
      account: "1",
      partition: "aws",
      filesBucketArn: "arn:aws:s3:::files",
      filesKeyArn: "arn:aws:kms:eu-west-1:1:key/f",
      logGroupArn: "arn:aws:logs:eu-west-1:1:log-group:/maintenance/s/hosts",
      syncs: false,
      wal: {
        bucketArn: "arn:aws:s3:::wal",
        keyArn: "arn:aws:kms:eu-west-1:1:key/b",
        repoPrefix: "pgbackrest/main",
      },
    });
    const deletes = doc.Statement.filter((s) =>
      ([] as string[]).concat(s.Action).some((a) => a.includes("Delete")),
    );
    expect(deletes).toEqual([
      {
        Sid: "WalRepository",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: "arn:aws:s3:::wal/pgbackrest/main/*",
      },
    ]);
  });
});

describe("config errors name the stack file and key", () => {
  const base = (hosts: unknown, extra: Record<string, unknown> = {}) => demoSource({ hosts, ...extra });
  const problems = (src: ReturnType<typeof demoSource>) => {
    try {
      loadConfig(src);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };
  const host = (tasks: unknown[]) => ({
    hosts: [{ name: "app", instanceIds: ["i-0abc12345def67890"], tasks }],
  });

  it("refuses an unknown window, and lists the known ones", () => {
    expect(
      problems(
        base(host([{ name: "x", kind: "prune-docker-images", window: "nightly", olderThanHours: 24 }])),
      ),
    ).toEqual([
      expect.stringMatching(
        /^maintenance:hosts\.hosts\[0\]\.tasks\[0\]\.window: no window named "nightly"; known windows: /,
      ),
    ]);
  });

  it("refuses / as a path, a bare * pattern, and a WAL retention under its floor", () => {
    const p = problems(
      base({
        ...host([
          { name: "x", kind: "delete-files", window: "w", path: "/", pattern: "*", olderThanDays: 1 },
        ]),
        windows: [{ name: "w", expression: "cron(0 3 * * ? *)", durationHours: 1 }],
        wal: {
          host: "app",
          stanza: "main",
          dataDirectory: "/var/lib/postgresql/15/main",
          baseBackup: { window: "w" },
          retentionFull: 1,
        },
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^maintenance:hosts\.hosts\[0\]\.tasks\[0\]\.path: must be at least two levels deep/,
        ),
        expect.stringMatching(
          /^maintenance:hosts\.hosts\[0\]\.tasks\[0\]\.pattern: must name something besides wildcards/,
        ),
        expect.stringMatching(/^maintenance:hosts\.wal\.retentionFull: must be at least 2/),
      ]),
    );
  });
});
