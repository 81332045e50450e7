// Log retention and archival: the archive bucket with the runbook's lifecycle, the export job, the stream path
// (subscription -> Firehose -> S3) for high-volume groups, and alarms on days behind and delivery failures.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { anyInAnHour, metricAlarm } from "../core/alarm";
import type { LogsConfig } from "../config/logs";
import { type JobDefaults, jobDefaultsOf, MaintenanceJob } from "../core/job/maintenance-job";
import { physicalName } from "../core/naming";
import { trustPolicy } from "../core/policies/job-role";
import { policy, type Statement } from "../core/policies/document";
import { RetainedBucket } from "../core/retained-bucket";

export interface LogArchiveArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly config: LogsConfig;
  readonly protect: boolean;
  readonly tags?: Record<string, string>;
}

const ARCHIVE_PREFIX = "logs";
const STREAM_PREFIX = "stream";

/**
 * How many days before deletion the critical days-behind page comes, at least. DaysBehind n means the oldest day not
 * yet archived began at most n + 1.5 days ago (day D is exported from D+1 12:00 UTC, and D is then 1.5 days old at
 * its start), and CloudWatch Logs deletes events older than the hot retention: 1.5 days leaves a night and a working
 * day to act, on top of the alarm's two hourly datapoints.
 */
export const DAYS_BEHIND_MARGIN_DAYS = 1.5;

/**
 * Thresholds of the DaysBehind alarms (each fires above its threshold, so at threshold + 1 days behind), derived
 * from the hot retention: critical as late as still leaves DAYS_BEHIND_MARGIN_DAYS before the oldest unarchived day
 * starts to be deleted (retention - 4: at retention - 3 days behind that day began at most retention - 1.5 days
 * ago); warning early, above 2 days behind (a missed day: normal runs report 0, an export still running 1), or just
 * below critical when the retention is too short for that. A retention under 5 days leaves no room for both, and
 * the config refuses it for exported groups.
 */
export function daysBehindThresholds(hotRetentionDays: number): { warning: number; critical: number } {
  const critical = Math.floor(hotRetentionDays - 1.5 - DAYS_BEHIND_MARGIN_DAYS - 1);
  if (critical < 1)
    throw new Error(`hot retention ${hotRetentionDays} days leaves no time to page before logs are deleted`);
  return { warning: Math.min(2, critical - 1), critical };
}

export class LogArchive extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly warnings: string[];

  constructor(name: string, args: LogArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:logs:LogArchive", name, {}, opts);
    const parent = { parent: this };
    const cfg = args.config;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const logGroupArn = (group: string) =>
      pulumi.interpolate`arn:${partition.partition}:logs:${args.region}:${identity.accountId}:log-group:${group}`;

    const bucket = new RetainedBucket(
      `${name}-archive`,
      {
        namePrefix: args.namePrefix,
        purpose: "logs",
        kmsKeyArn: args.logsKmsKeyArn,
        protect: args.protect,
        lifecycleRules: [
          {
            id: "archive",
            prefix: "",
            transitions: cfg.archive.transitions,
            expirationDays: cfg.archive.expirationDays,
            noncurrentVersionExpirationDays: 7,
            acceptEarlyDeletion: cfg.archive.acceptEarlyDeletion,
          },
        ],
        // CloudWatch Logs export tasks write as the regional Logs service principal, for this account's groups only.
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html
        servicePolicy: (bucketArn) =>
          pulumi.all([partition.partition, identity.accountId]).apply(([p, account]): Statement[] => [
            {
              Sid: "LogsExportReadsAcl",
              Effect: "Allow" as const,
              Principal: { Service: `logs.${args.region}.amazonaws.com` },
              Action: "s3:GetBucketAcl",
              Resource: bucketArn,
              Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: { "aws:SourceArn": `arn:${p}:logs:${args.region}:${account}:log-group:*` },
              },
            },
            {
              Sid: "LogsExportWritesUnderPrefix",
              Effect: "Allow" as const,
              Principal: { Service: `logs.${args.region}.amazonaws.com` },
              Action: "s3:PutObject",
              Resource: `${bucketArn}/${ARCHIVE_PREFIX}/*`,
              Condition: {
                StringEquals: { "aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control" },
                ArnLike: { "aws:SourceArn": `arn:${p}:logs:${args.region}:${account}:log-group:*` },
              },
            },
          ]),
        tags: args.tags,
      },
      parent,
    );
    this.bucketName = bucket.bucketName;

    const exported = cfg.logGroups.filter((g) => g.path === "export").map((g) => g.name);
    const streamed = cfg.logGroups.filter((g) => g.path === "stream").map((g) => g.name);
    this.warnings = this.exportJob(name, args, bucket, exported, logGroupArn).warnings;
    this.exportAlarms(name, args, exported);
    if (streamed.length) this.stream(name, args, streamed, bucket, identity.accountId);
    this.registerOutputs({ bucketName: this.bucketName });
  }

  /** The export job: one completed day at a time, for the named groups and every group under the prefixes. */
  private exportJob(
    name: string,
    args: LogArchiveArgs,
    bucket: RetainedBucket,
    exported: string[],
    logGroupArn: (group: string) => pulumi.Output<string>,
  ): MaintenanceJob {
    const parent = { parent: this };
    const cfg = args.config;
    const exportArns = [
      ...exported.map((g) => logGroupArn(g)),
      ...cfg.logGroupPrefixes.map((p) => logGroupArn(`${p}*`)),
    ];
    return new MaintenanceJob(
      `${name}-export`,
      {
        stack: args.stack,
        namePrefix: args.namePrefix,
        job: "log-archive",
        description: `Exports ${args.stack}'s log groups to S3, one completed day at a time`,
        memoryMb: 256,
        timeoutSeconds: 900,
        // One export task per account at a time: runs must never overlap.
        reservedConcurrency: 1,
        jobConfig: bucket.bucketName.apply((b) => ({
          bucket: b,
          prefix: ARCHIVE_PREFIX,
          logGroups: exported,
          logGroupPrefixes: cfg.logGroupPrefixes,
          retentionDays: cfg.hotRetentionDays,
          maxBackfillDays: cfg.maxBackfillDays,
        })),
        statements: [
          ...(exportArns.length
            ? [{ sid: "ExportOwnLogGroups", actions: ["logs:CreateExportTask"], resources: exportArns }]
            : []),
          ...(cfg.logGroupPrefixes.length
            ? [
                {
                  // DescribeLogGroups has no resource-level permissions (a log-group ARN never matches it); the
                  // region condition narrows "*". https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
                  sid: "FindLogGroupsByPrefix",
                  actions: ["logs:DescribeLogGroups"],
                  resources: ["*"],
                  conditions: { StringEquals: { "aws:RequestedRegion": args.region } },
                },
                {
                  sid: "SetRetentionOnMatchedGroups",
                  actions: ["logs:PutRetentionPolicy"],
                  resources: cfg.logGroupPrefixes.map((p) => logGroupArn(`${p}*`)),
                },
              ]
            : []),
          {
            // DescribeExportTasks has no resource-level permissions; the region condition narrows it.
            sid: "ReadExportTasks",
            actions: ["logs:DescribeExportTasks"],
            resources: ["*"],
            conditions: { StringEquals: { "aws:RequestedRegion": args.region } },
          },
          { sid: "ListArchive", actions: ["s3:ListBucket"], resources: [bucket.bucketArn] },
          {
            sid: "ReadWriteCheckpoints",
            actions: ["s3:GetObject", "s3:PutObject"],
            resources: [pulumi.interpolate`${bucket.bucketArn}/_checkpoints/*`],
          },
          {
            // CreateExportTask checks that the caller may write where the export lands:
            // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateExportTask.html
            sid: "ExportIntoArchivePrefix",
            actions: ["s3:PutObject"],
            resources: [pulumi.interpolate`${bucket.bucketArn}/${ARCHIVE_PREFIX}/*`],
          },
          {
            sid: "EncryptCheckpoints",
            actions: ["kms:GenerateDataKey", "kms:Decrypt"],
            resources: [args.logsKmsKeyArn],
          },
        ],
        schedules: [
          {
            name: cfg.schedule.name,
            expression: cfg.schedule.expression,
            timezone: cfg.schedule.timezone ?? "UTC",
            input: {},
          },
        ],
        ...jobDefaultsOf(args),
      },
      parent,
    );
  }

  /** Per named exported group: days behind in the archive (warning, critical) and failed export tasks. */
  private exportAlarms(name: string, args: LogArchiveArgs, exported: string[]) {
    const parent = { parent: this };
    const cfg = args.config;
    // Alarms need exact dimension values, so they cover the named groups; prefix-matched groups still report
    // DaysBehind per group and show on the dashboard.
    for (const group of exported) {
      const id = `${name}-${group.replace(/[^a-zA-Z0-9-]/g, "-").replace(/^-+/, "")}`;
      const metric = (metricName: string, stat: string) => ({
        namespace: `Maintenance/${args.stack}`,
        metricName,
        dimensions: { service: "log-archive", LogGroup: group },
        stat,
      });
      const thresholds = daysBehindThresholds(cfg.hotRetentionDays);
      for (const severity of ["warning", "critical"] as const) {
        const days = thresholds[severity];
        metricAlarm(
          `${id}-behind-${severity}`,
          {
            severity,
            page: "logs-days-behind",
            summary:
              severity === "critical"
                ? `Log group ${group} is more than ${days} days behind in the archive: its oldest unarchived day leaves CloudWatch (hot retention ${cfg.hotRetentionDays} days) in as little as ${DAYS_BEHIND_MARGIN_DAYS} days.`
                : `Log group ${group} is more than ${days} days behind in the archive.`,
            metric: metric("DaysBehind", "Maximum"),
            periodSeconds: 3600,
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            threshold: days,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
          },
          args.routing,
          parent,
        );
      }
      metricAlarm(
        `${id}-export-failed`,
        anyInAnHour(
          "warning",
          "logs-export-failed",
          `An export task for ${group} failed or produced no objects.`,
          metric("ExportTaskFailed", "Sum"),
        ),
        args.routing,
        parent,
      );
    }
  }

  /** High-volume groups: subscription filter -> Firehose (decompress, gzip, date-partitioned) -> the archive bucket. */
  private stream(
    name: string,
    args: LogArchiveArgs,
    groups: string[],
    bucket: RetainedBucket,
    account: pulumi.Output<string>,
  ) {
    const { delivery, streamName } = this.firehose(name, args, bucket, account);
    this.subscriptions(name, args, groups, account, delivery);
    this.streamAlarms(name, args, streamName);
  }

  /** The Firehose stream into the archive bucket, and its role: write the stream prefixes with the logs key. */
  private firehose(
    name: string,
    args: LogArchiveArgs,
    bucket: RetainedBucket,
    account: pulumi.Output<string>,
  ) {
    const parent = { parent: this };
    const firehoseRole = new aws.iam.Role(
      `${name}-firehose-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "logs-firehose"),
        assumeRolePolicy: account.apply((a) => JSON.stringify(trustPolicy("firehose.amazonaws.com", a))),
        tags: args.tags,
      },
      parent,
    );
    const streamName = physicalName("firehoseStream", args.namePrefix, "logs");
    const delivery = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-firehose`,
      {
        name: streamName,
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.logsKmsKeyArn },
        extendedS3Configuration: {
          roleArn: firehoseRole.arn,
          bucketArn: bucket.bucketArn,
          prefix: `${STREAM_PREFIX}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
          errorOutputPrefix: `${STREAM_PREFIX}-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
          compressionFormat: "GZIP",
          kmsKeyArn: args.logsKmsKeyArn,
          bufferingInterval: 300,
          bufferingSize: 64,
          // Subscription records arrive gzip-compressed; decompress so the stored objects are one gzip layer of JSON lines.
          processingConfiguration: {
            enabled: true,
            processors: [
              {
                type: "Decompression",
                parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }],
              },
            ],
          },
        },
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-firehose-policy`,
      {
        role: firehoseRole.name,
        policy: pulumi.all([bucket.bucketArn, args.logsKmsKeyArn]).apply(([b, key]) =>
          JSON.stringify(
            policy([
              {
                Sid: "FindBucket",
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:ListBucket"],
                Resource: b,
              },
              {
                Sid: "WriteStreamPrefixes",
                Effect: "Allow",
                Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
                Resource: [`${b}/${STREAM_PREFIX}/*`, `${b}/${STREAM_PREFIX}-errors/*`],
              },
              {
                Sid: "EncryptWithLogsKey",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: key,
              },
            ]),
          ),
        ),
      },
      parent,
    );
    return { delivery, streamName };
  }

  /** Each group's subscription filter, and the role CloudWatch Logs assumes to put records into the stream only. */
  private subscriptions(
    name: string,
    args: LogArchiveArgs,
    groups: string[],
    account: pulumi.Output<string>,
    delivery: aws.kinesis.FirehoseDeliveryStream,
  ) {
    const parent = { parent: this };
    const logsRole = new aws.iam.Role(
      `${name}-subscription-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "logs-subscription"),
        assumeRolePolicy: account.apply((a) =>
          JSON.stringify(
            trustPolicy(
              `logs.${args.region}.amazonaws.com`,
              a,
              `arn:aws:logs:${args.region}:${a}:log-group:*`,
            ),
          ),
        ),
        tags: args.tags,
      },
      parent,
    );
    const putPolicy = new aws.iam.RolePolicy(
      `${name}-subscription-policy`,
      {
        role: logsRole.name,
        policy: delivery.arn.apply((arn) =>
          JSON.stringify(
            policy([
              {
                Sid: "PutIntoOwnStream",
                Effect: "Allow",
                Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
                Resource: arn,
              },
            ]),
          ),
        ),
      },
      parent,
    );
    for (const group of groups) {
      new aws.cloudwatch.LogSubscriptionFilter(
        `${name}-${group.replace(/[^a-zA-Z0-9-]/g, "-").replace(/^-+/, "")}-subscription`,
        {
          name: `${args.namePrefix}-archive`,
          logGroup: group,
          filterPattern: "",
          destinationArn: delivery.arn,
          roleArn: logsRole.arn,
        },
        { parent: this, dependsOn: [putPolicy] },
      );
    }
  }

  /** Delivery to S3 that lags or fails. */
  private streamAlarms(name: string, args: LogArchiveArgs, streamName: string) {
    const parent = { parent: this };
    // Data older than 15 minutes still not in S3 means delivery is failing (Firehose retries, then writes errors).
    metricAlarm(
      `${name}-firehose-freshness`,
      {
        severity: "warning",
        page: "logs-stream-delivery",
        summary: `Firehose ${streamName} has not delivered logs to S3 for over 15 minutes.`,
        metric: {
          namespace: "AWS/Firehose",
          metricName: "DeliveryToS3.DataFreshness",
          dimensions: { DeliveryStreamName: streamName },
          stat: "Maximum",
        },
        periodSeconds: 300,
        evaluationPeriods: 3,
        threshold: 900,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
      args.routing,
      parent,
    );
    metricAlarm(
      `${name}-firehose-failures`,
      {
        severity: "warning",
        page: "logs-stream-delivery",
        summary: `Firehose ${streamName} failed to deliver records to S3 (DeliveryToS3.Success below 1).`,
        metric: {
          namespace: "AWS/Firehose",
          metricName: "DeliveryToS3.Success",
          dimensions: { DeliveryStreamName: streamName },
          stat: "Minimum",
        },
        periodSeconds: 300,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "notBreaching",
      },
      args.routing,
      parent,
    );
  }
}
