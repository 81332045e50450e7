// Host maintenance: SSM Maintenance Windows that run each host's generated chores script through Run Command (output
// to S3 and the hosts' log group), the hosts' instance roles, the windows' service role, and the rule that pages when
// a window's task fails or times out.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SsmWindowSpec } from "../config/host-windows";
import type { HostConfig, HostsConfig, HostTask } from "../config/hosts";
import { anyInFiveMinutes, metricAlarm, queueDepth } from "../core/alarm";
import type { JobDefaults } from "../core/job/job-args";
import { jobQueueArgs } from "../core/job/queues";
import { physicalName } from "../core/naming";
import { eventsToQueuePolicy } from "../core/policies/service-access";
import { RetainedBucket } from "../core/retained-bucket";
import { ec2Trust, hostPolicy, ssmTrust, windowRolePolicy } from "./policies";
import { HOST_METRIC_SERVICE, hostScript, REDIS_METRICS, type ScriptContext } from "./scripts";
import { WalArchive } from "./wal-archive";

export interface HostMaintenanceArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly protect: boolean;
  readonly config: HostsConfig;
  /** Every window a task or the base backups name, resolved (config validation guarantees each exists). */
  readonly windows: ReadonlyMap<string, SsmWindowSpec>;
  /** The stack's backups key (the WAL bucket). */
  readonly backupsKmsKeyArn: pulumi.Input<string>;
}

/** The SSM agent's wait for a command to start before it gives up (SSM's default delivery timeout). */
const DELIVERY_TIMEOUT_SECONDS = 600;

/** The EventBridge pattern of this stack's windows' failed, timed-out or cancelled tasks and target invocations. */
export function windowFailurePattern(windowIds: readonly string[]) {
  return {
    source: ["aws.ssm"],
    "detail-type": [
      "Maintenance Window Task Execution State-change Notification",
      "Maintenance Window Task Target Invocation State-change Notification",
    ],
    detail: { "window-id": [...windowIds], status: ["FAILED", "TIMED_OUT", "CANCELLED"] },
  };
}

/** Run Command targets of a host: its instance ids, or its tag. */
export function hostTargets(h: HostConfig): { key: string; values: string[] }[] {
  return h.instanceIds
    ? [{ key: "InstanceIds", values: [...h.instanceIds] }]
    : [{ key: `tag:${h.tag!.key}`, values: [h.tag!.value] }];
}

export class HostMaintenance extends pulumi.ComponentResource {
  readonly filesBucketName: pulumi.Output<string>;
  readonly logGroupName: string;
  readonly windowIds: Record<string, pulumi.Output<string>> = {};
  readonly notes: string[] = [];

  constructor(name: string, args: HostMaintenanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:hosts:HostMaintenance", name, {}, opts);
    const parent = { parent: this };
    const cfg = args.config;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    const files = new RetainedBucket(
      `${name}-files`,
      {
        namePrefix: args.namePrefix,
        purpose: "host-files",
        kmsKeyArn: args.logsKmsKeyArn,
        protect: args.protect,
        lifecycleRules: [
          {
            id: "run-command-output",
            prefix: "run-command/",
            expirationDays: cfg.archiveRetentionDays,
            noncurrentVersionExpirationDays: 7,
          },
          {
            id: "synced-folders",
            prefix: "hosts/",
            expirationDays: cfg.archiveRetentionDays,
            noncurrentVersionExpirationDays: 7,
          },
        ],
        tags: args.tags,
      },
      parent,
    );
    this.filesBucketName = files.bucketName;
    this.logGroupName = `/maintenance/${args.stack}/hosts`;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-log`,
      {
        name: physicalName("logGroup", this.logGroupName),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logsKmsKeyArn,
        tags: args.tags,
      },
      parent,
    );

    const wal = cfg.wal
      ? new WalArchive(
          `${name}-wal`,
          { ...args, wal: cfg.wal, window: args.windows.get(cfg.wal.baseBackup.window)! },
          parent,
        )
      : undefined;

    const windowRole = new aws.iam.Role(
      `${name}-windows-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "host-windows"),
        assumeRolePolicy: identity.accountId.apply((a) => JSON.stringify(ssmTrust(a))),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-windows-policy`,
      {
        role: windowRole.id,
        policy: pulumi.all([partition.partition, identity.accountId]).apply(([p, account]) =>
          JSON.stringify(
            windowRolePolicy({
              region: args.region,
              account,
              partition: p,
              instanceIds: cfg.hosts.flatMap((h) => h.instanceIds ?? []),
              tags: cfg.hosts.flatMap((h) => (h.tag ? [h.tag] : [])),
            }),
          ),
        ),
      },
      parent,
    );

    for (const h of cfg.hosts) this.hostRole(name, args, h, { files, logGroup, wal, identity, partition });
    for (const [windowName, spec] of args.windows)
      this.declareWindow(name, args, windowName, spec, { files, logGroup, wal, roleArn: windowRole.arn });
    this.failureAlarm(name, args);
    this.redisAlarms(name, args);
    if (wal) this.notes.push(...wal.notes);
    this.registerOutputs({ filesBucketName: this.filesBucketName });
  }

  /** One SSM window: its target per host with work in it, the base-backup task first, then the chores. */
  private declareWindow(
    name: string,
    args: HostMaintenanceArgs,
    windowName: string,
    spec: SsmWindowSpec,
    r: {
      files: RetainedBucket;
      logGroup: aws.cloudwatch.LogGroup;
      wal: WalArchive | undefined;
      roleArn: pulumi.Input<string>;
    },
  ): void {
    const parent = { parent: this };
    const cfg = args.config;
    const { files, logGroup, wal } = r;
    const byWindow = this.windowsOf(cfg);
    const window = new aws.ssm.MaintenanceWindow(
      `${name}-${windowName}`,
      {
        name: physicalName("ssmWindow", args.namePrefix, "hosts", windowName),
        description: `${args.stack} host maintenance: ${spec.source}`,
        schedule: spec.schedule,
        scheduleTimezone: spec.timezone,
        duration: spec.durationHours,
        cutoff: spec.cutoffHours,
        allowUnassociatedTargets: false,
        tags: args.tags,
      },
      parent,
    );
    this.windowIds[windowName] = window.id;
    const ctx = (host: string) =>
      pulumi.all([files.bucketName, args.logsKmsKeyArn]).apply(
        ([bucket, key]): ScriptContext => ({
          host,
          window: windowName,
          region: args.region,
          bucket,
          kmsKeyArn: key,
          namespace: `Maintenance/${args.stack}`,
          dryRun: cfg.dryRun,
        }),
      );
    const tasks = byWindow.get(windowName) ?? new Map<string, HostTask[]>();
    for (const h of cfg.hosts) {
      const chores = tasks.get(h.name) ?? [];
      const backs = wal && cfg.wal!.host === h.name && cfg.wal!.baseBackup.window === windowName;
      if (!chores.length && !backs) continue;
      const target = new aws.ssm.MaintenanceWindowTarget(
        `${name}-${windowName}-${h.name}`,
        {
          windowId: window.id,
          name: physicalName("ssmWindow", args.namePrefix, h.name),
          description: `${args.stack} host ${h.name}`,
          resourceType: "INSTANCE",
          targets: hostTargets(h),
          ownerInformation: `${args.stack} host ${h.name}`,
        },
        parent,
      );
      const task = (suffix: string, priority: number, what: string, script: pulumi.Input<string>) =>
        this.runScriptTask(`${name}-${windowName}-${h.name}-${suffix}`, {
          windowId: window.id,
          targetId: target.id,
          roleArn: r.roleArn,
          priority,
          comment: `${args.stack} ${h.name}: ${what}`,
          script,
          executionTimeoutSeconds: (spec.durationHours - spec.cutoffHours) * 3600,
          bucket: files.bucketName,
          outputPrefix: `run-command/${h.name}/${windowName}`,
          logGroupName: logGroup.name,
        });
      // The base backup first: the chores (pruning, deleting) never delay it.
      if (backs)
        task("base-backup", 1, `base backup of ${cfg.wal!.stanza}`, wal!.baseBackupScript(ctx(h.name)));
      if (chores.length)
        task(
          "chores",
          2,
          chores.map((t) => t.name).join(", "),
          ctx(h.name).apply((c) => hostScript(chores, c)),
        );
      this.notes.push(
        `host ${h.name} in window ${windowName} (${spec.schedule} ${spec.timezone}, ${spec.durationHours}h, cutoff ${spec.cutoffHours}h): ` +
          [...(backs ? ["base backup"] : []), ...chores.map((t) => `${t.name} (${t.kind})`)].join(", ") +
          (cfg.dryRun ? " [dry run]" : ""),
      );
    }
  }

  /** Tasks by window, then by host, in config order. */
  private windowsOf(cfg: HostsConfig): Map<string, Map<string, HostTask[]>> {
    const out = new Map<string, Map<string, HostTask[]>>();
    for (const h of cfg.hosts)
      for (const t of h.tasks) {
        const w = out.get(t.window) ?? new Map<string, HostTask[]>();
        w.set(h.name, [...(w.get(h.name) ?? []), t]);
        out.set(t.window, w);
      }
    return out;
  }

  /** One RUN_COMMAND task: AWS-RunShellScript with the script, one host at a time, no error tolerated. */
  private runScriptTask(
    name: string,
    t: {
      windowId: pulumi.Input<string>;
      targetId: pulumi.Input<string>;
      roleArn: pulumi.Input<string>;
      priority: number;
      comment: string;
      script: pulumi.Input<string>;
      executionTimeoutSeconds: number;
      bucket: pulumi.Input<string>;
      outputPrefix: string;
      logGroupName: pulumi.Input<string>;
    },
  ): aws.ssm.MaintenanceWindowTask {
    return new aws.ssm.MaintenanceWindowTask(
      name,
      {
        windowId: t.windowId,
        name: physicalName("ssmWindow", name),
        taskType: "RUN_COMMAND",
        taskArn: "AWS-RunShellScript",
        priority: t.priority,
        serviceRoleArn: t.roleArn,
        maxConcurrency: "1",
        maxErrors: "0",
        // A task still running at the window's end is cancelled, and so reported (the failure rule sees CANCELLED).
        cutoffBehavior: "CANCEL_TASK",
        targets: [{ key: "WindowTargetIds", values: [t.targetId] }],
        taskInvocationParameters: {
          runCommandParameters: {
            comment: t.comment.slice(0, 100),
            timeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
            outputS3Bucket: t.bucket,
            outputS3KeyPrefix: t.outputPrefix,
            cloudwatchConfig: { cloudwatchLogGroupName: t.logGroupName, cloudwatchOutputEnabled: true },
            parameters: [
              { name: "commands", values: [t.script] },
              // AWS-RunShellScript's executionTimeout: the window's usable hours (at most 48 h).
              { name: "executionTimeout", values: [String(Math.min(172_800, t.executionTimeoutSeconds))] },
            ],
          },
        },
      },
      { parent: this },
    );
  }

  /** A host's instance role and profile (or the policy on the role it already has). */
  private hostRole(
    name: string,
    args: HostMaintenanceArgs,
    h: HostConfig,
    r: {
      files: RetainedBucket;
      logGroup: aws.cloudwatch.LogGroup;
      wal: WalArchive | undefined;
      identity: pulumi.Output<aws.GetCallerIdentityResult>;
      partition: pulumi.Output<aws.GetPartitionResult>;
    },
  ): void {
    const parent = { parent: this };
    const walHere = r.wal && args.config.wal!.host === h.name ? r.wal : undefined;
    const policy = pulumi
      .all([
        r.partition.partition,
        r.identity.accountId,
        r.files.bucketArn,
        args.logsKmsKeyArn,
        r.logGroup.arn,
        walHere?.bucketArn ?? "",
        args.backupsKmsKeyArn,
      ])
      .apply(([p, account, filesArn, filesKey, logArn, walArn, walKey]) =>
        JSON.stringify(
          hostPolicy({
            host: h.name,
            region: args.region,
            account,
            partition: p,
            filesBucketArn: filesArn,
            filesKeyArn: filesKey,
            logGroupArn: logArn,
            ...(h.tasks.some((t) => t.kind === "disk-usage" || t.kind === "redis-memory")
              ? { metricNamespace: `Maintenance/${args.stack}` }
              : {}),
            syncs: h.tasks.some((t) => t.kind === "sync-to-archive"),
            ...(walHere
              ? { wal: { bucketArn: walArn, keyArn: walKey, repoPrefix: walHere.repoPrefix } }
              : {}),
          }),
        ),
      );
    if (h.existingRoleName) {
      new aws.iam.RolePolicy(`${name}-${h.name}-policy`, { role: h.existingRoleName, policy }, parent);
      this.notes.push(`host ${h.name}: policy attached to its existing role ${h.existingRoleName}`);
      return;
    }
    const role = new aws.iam.Role(
      `${name}-${h.name}-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "host", h.name),
        assumeRolePolicy: JSON.stringify(ec2Trust()),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-${h.name}-ssm-core`,
      {
        role: role.name,
        policyArn: pulumi.interpolate`arn:${r.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
      },
      parent,
    );
    new aws.iam.RolePolicy(`${name}-${h.name}-policy`, { role: role.id, policy }, parent);
    const profile = new aws.iam.InstanceProfile(
      `${name}-${h.name}-profile`,
      { name: physicalName("iamRole", args.namePrefix, "host", h.name), role: role.name, tags: args.tags },
      parent,
    );
    void profile;
    this.notes.push(
      `host ${h.name}: attach instance profile ${physicalName("iamRole", args.namePrefix, "host", h.name)} (docs/host-maintenance.md)`,
    );
  }

  /** Failed, timed-out and cancelled window tasks land in a queue; anything in it pages. */
  private failureAlarm(name: string, args: HostMaintenanceArgs): void {
    const parent = { parent: this };
    const ids = Object.values(this.windowIds);
    if (!ids.length) return;
    const queue = new aws.sqs.Queue(
      `${name}-failures`,
      jobQueueArgs(args, physicalName("sqsQueue", args.namePrefix, "host-maintenance-failures")),
      parent,
    );
    const rule = new aws.cloudwatch.EventRule(
      `${name}-failed`,
      {
        name: physicalName("eventRule", args.namePrefix, "host-maintenance-failed"),
        description: `${args.stack}: host maintenance window tasks that failed, timed out or were cancelled`,
        eventPattern: pulumi.all(ids).apply((w) => JSON.stringify(windowFailurePattern(w))),
        tags: args.tags,
      },
      parent,
    );
    new aws.sqs.QueuePolicy(
      `${name}-failures-policy`,
      {
        queueUrl: queue.url,
        policy: pulumi
          .all([queue.arn, rule.arn])
          .apply(([q, r]) => JSON.stringify(eventsToQueuePolicy(q, r))),
      },
      parent,
    );
    new aws.cloudwatch.EventTarget(`${name}-failed-target`, { rule: rule.name, arn: queue.arn }, parent);
    metricAlarm(
      `${name}-failed`,
      anyInFiveMinutes(
        "warning",
        "host-maintenance-failed",
        `A host maintenance window task failed, timed out or was cancelled (${args.stack}).`,
        queueDepth(queue.name),
      ),
      args.routing,
      parent,
    );
  }

  /**
   * Per redis-memory task: its fragmentation ratio above the threshold pages. The task runs in its window (weekly or
   * daily), so one datapoint decides; an hour without one is not a breach (a run that failed pages through
   * host-maintenance-failed instead).
   */
  private redisAlarms(name: string, args: HostMaintenanceArgs): void {
    for (const h of args.config.hosts)
      for (const t of h.tasks) {
        if (t.kind !== "redis-memory") continue;
        const { threshold, severity } = t.fragmentationAlarm;
        metricAlarm(
          `${name}-${h.name}-${t.name}-fragmentation`,
          {
            severity,
            page: "redis-fragmentation",
            summary: `Redis on host ${h.name} (task ${t.name}) holds more than ${threshold} times its data in memory (mem_fragmentation_ratio) (${args.stack}).`,
            metric: {
              namespace: `Maintenance/${args.stack}`,
              metricName: REDIS_METRICS.fragmentation,
              dimensions: { service: HOST_METRIC_SERVICE, Host: h.name, Task: t.name },
              stat: "Maximum",
            },
            periodSeconds: 3600,
            evaluationPeriods: 1,
            threshold,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
          },
          args.routing,
          { parent: this },
        );
      }
  }
}
