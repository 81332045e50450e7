// RDS snapshot backups for a stack: the backup job (snapshot, DR copy, prune), hourly verification, per-database
// RPO and verification alarms, and the snapshot-quota check that fails at preview.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupConfig } from "../../lambdas/backup/config";
import { parseDuration, planRetention, type RetentionPolicy } from "../../lambdas/backup/retention";
import { backupHealthAlarms, metricAlarm } from "../core/alarm";
import type { BackupsConfig, DatabaseEntry } from "../config/backups";
import {
  type JobDefaults,
  jobDefaultsOf,
  type JobStatementInput,
  MaintenanceJob,
} from "../core/job/maintenance-job";
import { nextRuns } from "../core/schedule";

export const isRds = (d: DatabaseEntry) => d.kind === "rds-instance" || d.kind === "aurora-cluster";

/**
 * How many snapshots the policy keeps per database once it has run for longer than its longest window: simulate the
 * schedules' runs (in their timezones) over that span and apply the retention planner to the result.
 */
export function steadyStateSnapshots(
  schedules: readonly { expression: string; timezone: string }[],
  retention: RetentionPolicy,
  keepLastFloor: number,
  from = new Date(Date.UTC(2030, 0, 1)),
): number {
  const windows = [
    retention.keepWithinDaily,
    retention.keepWithinWeekly,
    retention.keepWithinMonthly,
    retention.keepWithinYearly,
  ]
    .filter((w): w is string => w !== undefined)
    .map(parseDuration);
  const longestDays = Math.max(
    30,
    ...windows.map((d) => d.years * 366 + d.months * 31 + d.days + Math.ceil(d.hours / 24)),
  );
  const span = (longestDays + 400) * 86_400_000;
  const start = new Date(from.getTime() - span);
  const times = new Set<number>();
  for (const s of schedules) {
    let cursor = start;
    for (;;) {
      const batch = nextRuns(s.expression, s.timezone, cursor, 500);
      const inside = batch.filter((t) => t.getTime() <= from.getTime());
      for (const t of inside) times.add(Math.floor(t.getTime() / 60_000) * 60_000); // one snapshot per slot minute
      if (inside.length < batch.length || batch.length === 0) break;
      cursor = batch[batch.length - 1]!;
    }
  }
  const snapshots = [...times].map((t) => ({ id: String(t), createdAt: new Date(t) }));
  const plan = planRetention(snapshots, {
    ...retention,
    keepLast: Math.max(retention.keepLast ?? 0, keepLastFloor),
  });
  return plan.keep.length;
}

export interface DatabaseBackupsArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly timezone: string;
  readonly config: BackupsConfig;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly dr?: { readonly region: string; readonly kmsKeyArn: pulumi.Input<string> };
  readonly tags?: Record<string, string>;
}

export interface BackupSummary {
  readonly database: string;
  readonly kind: string;
  readonly schedules: string[];
  readonly steadyStateSnapshots: number | null;
}

/** Fails (before anything is declared) when the steady state would exceed the RDS manual-snapshot quota. */
export function checkSnapshotQuota(
  args: Pick<DatabaseBackupsArgs, "config" | "timezone" | "region" | "dr">,
): {
  perDatabase: number;
  perRegion: number;
} {
  const rds = args.config.databases.filter(isRds);
  // schedules and retention are required (by the config schema) exactly when a database is on RDS.
  if (rds.length === 0 || !args.config.schedules || !args.config.retention)
    return { perDatabase: 0, perRegion: 0 };
  const schedules = args.config.schedules.map((s) => ({
    expression: s.expression,
    timezone: s.timezone ?? args.timezone,
  }));
  const perDatabase = steadyStateSnapshots(schedules, args.config.retention, args.config.keepLastFloor);
  const perRegion = perDatabase * rds.length;
  if (perRegion > args.config.snapshotQuota) {
    throw new Error(
      `maintenance:backups: the retention policy keeps about ${perDatabase} manual snapshots per database, ` +
        `${perRegion} for ${rds.length} RDS database(s) in ${args.region}${args.dr ? ` and again in ${args.dr.region}` : ""}, ` +
        `over the quota of ${args.config.snapshotQuota} per region; raise the RDS "Manual DB snapshots" quota and set ` +
        "backups.snapshotQuota, or shorten the retention",
    );
  }
  return { perDatabase, perRegion };
}

export class DatabaseBackups extends pulumi.ComponentResource {
  readonly summary: BackupSummary[];
  readonly warnings: string[] = [];
  private readonly jobs: MaintenanceJob[] = [];

  /** DST-gap warnings of the backup schedules. */
  jobWarnings(): string[] {
    return this.jobs.flatMap((j) => j.warnings);
  }

  constructor(name: string, args: DatabaseBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    const { perDatabase } = checkSnapshotQuota(args);
    super("maintenance:backups:DatabaseBackups", name, {}, opts);
    const parent = { parent: this };
    const cfg = args.config;
    const rds = cfg.databases.filter(isRds);
    const scheduleText = (cfg.schedules ?? []).map(
      (s) => `${s.name} ${s.expression} ${s.timezone ?? args.timezone}`,
    );
    this.summary = cfg.databases.map((d) => ({
      database: d.name,
      kind: `${d.kind} ${d.engine}`,
      schedules: isRds(d) ? scheduleText : [],
      steadyStateSnapshots: isRds(d) ? perDatabase : null,
    }));
    for (const d of cfg.databases.filter((x) => !isRds(x) && !x.dump)) {
      this.warnings.push(
        `database ${d.name} (${d.kind} ${d.engine}${d.location ? `, ${d.location}` : ""}) has NO automated backup: ` +
          "RDS snapshots do not apply and no logical dump is configured for it",
      );
    }
    for (const w of this.warnings) pulumi.log.warn(w, this);
    if (rds.length === 0 || !cfg.schedules || !cfg.retention) {
      this.registerOutputs({});
      return;
    }
    const { schedules, retention } = cfg;

    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const jobConfig: pulumi.Output<BackupConfig> = pulumi.all([args.kmsKeyArn, args.dr?.kmsKeyArn]).apply(
      ([kmsKeyArn, drKey]): BackupConfig => ({
        stack: args.stack,
        region: args.region,
        kmsKeyArn,
        ...(args.dr && drKey ? { dr: { region: args.dr.region, kmsKeyArn: drKey } } : {}),
        databases: rds.map((d) => ({
          name: d.name,
          identifier: d.identifier!,
          kind: d.kind === "rds-instance" ? ("instance" as const) : ("cluster" as const),
        })),
        retention,
        keepLastFloor: cfg.keepLastFloor,
        freshnessHours: cfg.freshnessHours,
        // A DR copy starts after its primary is available and can take hours.
        drFreshnessHours: cfg.freshnessHours + 24,
        maxDeletesPerRun: cfg.maxDeletesPerRun,
        dryRun: cfg.dryRun,
        rpoHours: cfg.rpoHours,
      }),
    );

    const statements = backupStatements({
      partition: partition.partition,
      account: identity.accountId,
      region: args.region,
      stack: args.stack,
      databases: rds,
      kmsKeyArn: args.kmsKeyArn,
      ...(args.dr ? { dr: args.dr } : {}),
    });

    const common = {
      stack: args.stack,
      namePrefix: args.namePrefix,
      jobConfig,
      ...jobDefaultsOf(args),
    };
    const backupJob = new MaintenanceJob(
      `${name}-backup`,
      {
        ...common,
        job: "backup",
        description: `RDS snapshots, DR copies and retention for ${args.stack}`,
        memoryMb: 256,
        timeoutSeconds: 300,
        // Runs that create and delete snapshots must never overlap.
        reservedConcurrency: 1,
        statements: statements.backup,
        schedules: schedules.map((s) => ({
          name: s.name,
          expression: s.expression,
          timezone: s.timezone ?? args.timezone,
          input: { tier: s.name },
        })),
        heartbeatSeverity: "critical",
        failureSeverity: "critical",
      },
      parent,
    );
    const verifyJob = new MaintenanceJob(
      `${name}-verify`,
      {
        ...common,
        job: "backup-verify",
        description: `Verifies ${args.stack}'s newest snapshots and DR copies hourly`,
        memoryMb: 256,
        timeoutSeconds: 120,
        reservedConcurrency: 1,
        statements: statements.verify,
        // Hourly, so the RPO alarm sees a fresh age every period (the runbooks' daily check is one of these runs).
        schedules: [{ name: "hourly", expression: "cron(15 * * * ? *)", timezone: "UTC", input: {} }],
      },
      parent,
    );

    this.jobs.push(backupJob, verifyJob);
    this.verificationAlarms(name, args, rds);
    this.registerOutputs({});
  }

  /** Per RDS database: the newest snapshot's age against the RPO, and verification failures. */
  private verificationAlarms(name: string, args: DatabaseBackupsArgs, rds: readonly DatabaseEntry[]) {
    const parent = { parent: this };
    const cfg = args.config;
    for (const d of rds) {
      const metric = (metricName: string, stat: string) => ({
        namespace: `Maintenance/${args.stack}`,
        metricName,
        dimensions: { service: "backup-verify", Database: d.name },
        stat,
      });
      const alarms = backupHealthAlarms({
        rpoHours: cfg.rpoHours,
        age: metric("NewestSnapshotAgeSeconds", "Maximum"),
        ageSummary: `The newest backup of database ${d.name} is older than the RPO of ${cfg.rpoHours}h (or no age was reported).`,
        failed: metric("VerificationFailed", "Maximum"),
        failedSummary: `Backup verification failed for database ${d.name} (encryption, public sharing, age or DR copy).`,
      });
      metricAlarm(`${name}-${d.name}-age`, alarms.age, args.routing, parent);
      metricAlarm(`${name}-${d.name}-verification`, alarms.verification, args.routing, parent);
    }
  }
}

interface StatementContext {
  readonly partition: pulumi.Input<string>;
  readonly account: pulumi.Input<string>;
  readonly region: string;
  readonly stack: string;
  readonly databases: readonly DatabaseEntry[];
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly dr?: { readonly region: string; readonly kmsKeyArn: pulumi.Input<string> };
}

/**
 * Exactly what the two jobs may do: snapshot this stack's databases, and tag, copy and delete only snapshots named
 * `mstack-<stack>-*` (deletes also require the managed-by tag). Describe calls are scoped to the same ARNs.
 */
export function backupStatements(ctx: StatementContext): {
  backup: JobStatementInput[];
  verify: JobStatementInput[];
} {
  const arn = (region: string, resource: string) =>
    pulumi.interpolate`arn:${ctx.partition}:rds:${region}:${ctx.account}:${resource}`;
  const instances = ctx.databases.filter((d) => d.kind === "rds-instance");
  const clusters = ctx.databases.filter((d) => d.kind === "aurora-cluster");
  const regions = [ctx.region, ...(ctx.dr ? [ctx.dr.region] : [])];
  const prefix = `mstack-${ctx.stack.toLowerCase().replace(/[^a-z0-9-]/g, "-")}-`;
  const snaps = (kind: "snapshot" | "cluster-snapshot") => regions.map((r) => arn(r, `${kind}:${prefix}*`));
  const backup: JobStatementInput[] = [];
  const verify: JobStatementInput[] = [];
  if (instances.length) {
    const dbs = instances.map((d) => arn(ctx.region, `db:${d.identifier}`));
    // The DR region's describe filters by the source instance, so it is authorized on that region's db ARN
    // (the permission contract's DR variants prove it).
    const dbsEverywhere = regions.flatMap((r) => instances.map((d) => arn(r, `db:${d.identifier}`)));
    backup.push(
      {
        sid: "SnapshotOwnInstances",
        actions: ["rds:CreateDBSnapshot"],
        resources: [...dbs, arn(ctx.region, `snapshot:${prefix}*`)],
      },
      { sid: "TagOwnSnapshots", actions: ["rds:AddTagsToResource"], resources: snaps("snapshot") },
      {
        sid: "ListInstanceSnapshots",
        actions: ["rds:DescribeDBSnapshots"],
        resources: [...dbsEverywhere, ...regions.map((r) => arn(r, "snapshot:*"))],
      },
      ...(ctx.dr
        ? [{ sid: "CopyOwnSnapshotsToDr", actions: ["rds:CopyDBSnapshot"], resources: snaps("snapshot") }]
        : []),
      {
        sid: "DeleteOnlyOwnTaggedSnapshots",
        actions: ["rds:DeleteDBSnapshot"],
        resources: snaps("snapshot"),
        conditions: {
          StringEquals: {
            "rds:snapshot-tag/managed-by": "maintenance-stack",
            "rds:snapshot-tag/stack": ctx.stack,
          },
        },
      },
    );
    verify.push(
      {
        sid: "ListInstanceSnapshots",
        actions: ["rds:DescribeDBSnapshots"],
        resources: [...dbsEverywhere, ...regions.map((r) => arn(r, "snapshot:*"))],
      },
      {
        sid: "ReadSnapshotSharing",
        actions: ["rds:DescribeDBSnapshotAttributes"],
        resources: snaps("snapshot"),
      },
    );
  }
  if (clusters.length) {
    const dbs = clusters.map((d) => arn(ctx.region, `cluster:${d.identifier}`));
    const dbsEverywhere = regions.flatMap((r) => clusters.map((d) => arn(r, `cluster:${d.identifier}`)));
    backup.push(
      {
        sid: "SnapshotOwnClusters",
        actions: ["rds:CreateDBClusterSnapshot"],
        resources: [...dbs, arn(ctx.region, `cluster-snapshot:${prefix}*`)],
      },
      {
        sid: "TagOwnClusterSnapshots",
        actions: ["rds:AddTagsToResource"],
        resources: snaps("cluster-snapshot"),
      },
      {
        sid: "ListClusterSnapshots",
        actions: ["rds:DescribeDBClusterSnapshots"],
        resources: [...dbsEverywhere, ...regions.map((r) => arn(r, "cluster-snapshot:*"))],
      },
      ...(ctx.dr
        ? [
            {
              sid: "CopyOwnClusterSnapshotsToDr",
              actions: ["rds:CopyDBClusterSnapshot"],
              resources: snaps("cluster-snapshot"),
            },
          ]
        : []),
      {
        sid: "DeleteOnlyOwnTaggedClusterSnapshots",
        actions: ["rds:DeleteDBClusterSnapshot"],
        resources: snaps("cluster-snapshot"),
        conditions: {
          StringEquals: {
            "rds:cluster-snapshot-tag/managed-by": "maintenance-stack",
            "rds:cluster-snapshot-tag/stack": ctx.stack,
          },
        },
      },
    );
    verify.push(
      {
        sid: "ListClusterSnapshots",
        actions: ["rds:DescribeDBClusterSnapshots"],
        resources: [...dbsEverywhere, ...regions.map((r) => arn(r, "cluster-snapshot:*"))],
      },
      {
        sid: "ReadClusterSnapshotSharing",
        actions: ["rds:DescribeDBClusterSnapshotAttributes"],
        resources: snaps("cluster-snapshot"),
      },
    );
  }
  backup.push(...drKeyStatements(ctx));
  return { backup, verify };
}

/** The backup job's use of the DR backups key, for copies into the DR region. */
function drKeyStatements(ctx: StatementContext): JobStatementInput[] {
  const backup: JobStatementInput[] = [];
  // A copy re-encrypted under the DR key (KmsKeyId) has RDS create a grant on it with the caller's permission; a
  // snapshot in the primary region keeps the instance's key and needs none (the permission contract proves both).
  if (ctx.dr) {
    const keys = [ctx.dr.kmsKeyArn];
    backup.push(
      {
        sid: "GrantBackupKeysToRds",
        actions: ["kms:CreateGrant"],
        resources: keys,
        conditions: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      { sid: "DescribeBackupKeys", actions: ["kms:DescribeKey"], resources: keys },
    );
  }
  return backup;
}
