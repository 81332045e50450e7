// Continuous WAL archiving of a self-hosted PostgreSQL: the WAL bucket (pgBackRest's S3 repository, under the backups
// key), the base-backup script its window runs, and the hourly check with its two age alarms.
import * as pulumi from "@pulumi/pulumi";
import type { SsmWindowSpec } from "../config/host-windows";
import type { WalArchivingConfig } from "../config/hosts";
import { type AlarmSpec, metricAlarm } from "../core/alarm";
import { type JobDefaults, jobDefaultsOf, MaintenanceJob } from "../core/job/maintenance-job";
import { RetainedBucket } from "../core/retained-bucket";
import { maxIntervalSeconds } from "../core/schedule";
import {
  baseBackupScript,
  pgbackrestConf,
  postgresqlSettings,
  type ScriptContext,
  walRepoPath,
} from "./scripts";

export interface WalArchiveArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly protect: boolean;
  readonly wal: WalArchivingConfig;
  /** The base backups' window. */
  readonly window: SsmWindowSpec;
  readonly backupsKmsKeyArn: pulumi.Input<string>;
}

/**
 * The two alarms of WAL archiving. The newest archived segment older than archive_timeout plus the margin means
 * point-in-time recovery is falling behind (an idle database switches no segments: see the page). The newest base
 * backup older than its window's longest gap plus the window's length and an hour means base backups stopped, and
 * with them expiry: WAL piles up and restores replay ever longer.
 */
export function walAlarmSpecs(
  stack: string,
  w: WalArchivingConfig,
  window: SsmWindowSpec,
  now: Date,
): AlarmSpec[] {
  const metric = (metricName: string) => ({
    namespace: `Maintenance/${stack}`,
    metricName,
    dimensions: { service: "wal-check", Stanza: w.stanza },
    stat: "Maximum",
  });
  const hourly = {
    periodSeconds: 3600,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    // The check emits nothing when the archive or the backups are missing: that is the worst case, not silence.
    treatMissingData: "breaching",
  } as const;
  const backupGap =
    maxIntervalSeconds(window.schedule, window.timezone, now) + window.durationHours * 3600 + 3600;
  return [
    {
      ...hourly,
      severity: "critical",
      page: "wal-archive-age",
      summary: `WAL of ${w.stanza} is not being archived: point-in-time recovery falls behind archive_timeout.`,
      metric: metric("WalArchiveAgeSeconds"),
      threshold: w.archiveTimeoutSeconds + w.marginSeconds,
    },
    {
      ...hourly,
      severity: "warning",
      page: "wal-base-backup-age",
      summary: `No base backup of ${w.stanza} completed in its window's cadence.`,
      metric: metric("BaseBackupAgeSeconds"),
      threshold: backupGap,
    },
  ];
}

export class WalArchive extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The repository's key prefix in the bucket (repo1-path without its leading /). */
  readonly repoPrefix: string;
  readonly notes: string[];
  private readonly args: WalArchiveArgs;

  constructor(name: string, args: WalArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:hosts:WalArchive", name, {}, opts);
    const parent = { parent: this };
    const w = args.wal;
    this.args = args;
    this.repoPrefix = walRepoPath(w).replace(/^\//, "");
    const bucket = new RetainedBucket(
      `${name}-bucket`,
      {
        namePrefix: args.namePrefix,
        purpose: "wal",
        kmsKeyArn: args.backupsKmsKeyArn,
        protect: args.protect,
        // pgBackRest expires backups and their WAL by repo1-retention-full (never below 2); what it deletes stays a
        // week as a noncurrent version, so a wrong expiry can still be undone.
        lifecycleRules: [
          { id: "expired-by-pgbackrest", prefix: `${this.repoPrefix}/`, noncurrentVersionExpirationDays: 7 },
        ],
        tags: args.tags,
      },
      parent,
    );
    this.bucketName = bucket.bucketName;
    this.bucketArn = bucket.bucketArn;

    new MaintenanceJob(
      `${name}-check`,
      {
        stack: args.stack,
        namePrefix: args.namePrefix,
        job: "wal-check",
        description: `Hourly age of ${w.stanza}'s newest archived WAL and base backup`,
        memoryMb: 256,
        timeoutSeconds: 120,
        reservedConcurrency: 1,
        jobConfig: {
          bucket: bucket.bucketName,
          region: args.region,
          repoPath: walRepoPath(w),
          stanza: w.stanza,
        },
        statements: [
          {
            sid: "ReadRepositoryInfo",
            actions: ["s3:GetObject"],
            resources: [
              pulumi.interpolate`${bucket.bucketArn}/${this.repoPrefix}/backup/${w.stanza}/backup.info`,
              pulumi.interpolate`${bucket.bucketArn}/${this.repoPrefix}/archive/${w.stanza}/archive.info`,
            ],
          },
          {
            sid: "ListArchive",
            actions: ["s3:ListBucket"],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { "s3:prefix": [`${this.repoPrefix}/*`] } },
          },
          { sid: "DecryptRepositoryInfo", actions: ["kms:Decrypt"], resources: [args.backupsKmsKeyArn] },
        ],
        schedules: [{ name: "hourly", expression: "rate(1 hour)", timezone: "UTC", input: {} }],
        ...jobDefaultsOf(args),
      },
      parent,
    );
    for (const spec of walAlarmSpecs(args.stack, w, args.window, new Date()))
      metricAlarm(`${name}-${spec.page}`, spec, args.routing, parent);

    const settings = Object.entries(postgresqlSettings(w))
      .map(([k, v]) => `${k} = ${v}`)
      .join("; ");
    this.notes = [
      `wal ${w.stanza} on host ${w.host}: postgresql.conf ${settings}`,
      `wal ${w.stanza}: ${w.baseBackup.type} base backups in window ${args.window.name}, ${w.retentionFull} full kept; ` +
        `worst RPO about ${Math.round((w.archiveTimeoutSeconds + w.marginSeconds) / 60)} min (archive_timeout + margin)`,
    ];
    this.registerOutputs({ bucketName: this.bucketName });
  }

  /** The base-backup window's script, with pgBackRest's config pointed at this bucket and key. */
  baseBackupScript(ctx: pulumi.Output<ScriptContext>): pulumi.Output<string> {
    return pulumi.all([ctx, this.bucketName, this.args.backupsKmsKeyArn]).apply(([c, bucket, key]) =>
      baseBackupScript(this.args.wal, {
        ...c,
        conf: pgbackrestConf(this.args.wal, { bucket, region: this.args.region, kmsKeyArn: key }),
      }),
    );
  }
}
