// Logical dumps (pg_dump / mysqldump) of a stack's databases, as the runbooks back up: one image for Lambda and
// Fargate, a dump job per database with a schedule per tier, a bucket whose lifecycle rules expire each tier (and a
// vault under Object Lock for locked tiers), an hourly verification job, and per-database RPO/verification/failure
// alarms.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { anyInAnHour, backupHealthAlarms, metricAlarm } from "../core/alarm";
import type { BackupsConfig, DrillDesign, DumpEntry, DumpTier } from "../config/backups";
import { DUMP_COMMANDS, DumpImage } from "./dump-image";
import { DumpReplication } from "./dump-replication";
import {
  type JobDefaults,
  jobDefaultsOf,
  type JobStatementInput,
  MaintenanceJob,
} from "../core/job/maintenance-job";
import type { LifecycleRule } from "../core/policies/lifecycle";
import { RetainedBucket } from "../core/retained-bucket";
import { RestoreDrills } from "./restore-drills";
import type { z } from "zod";
import { dumpConfigSchema, EXPIRE_TAG, verifyConfigSchema } from "../../lambdas/logical-backup/config";

/** Whole seconds, at least an hour (the job's schema): `freshnessHours: 1.1` must not become 3960.0000000000005. */
const hoursToSeconds = (hours: number) => Math.max(3600, Math.round(hours * 3600));

/**
 * A job's config checked against the job's own schema while planning, so a value the job would refuse at run time
 * (and then fail every run) fails the preview instead.
 */
function checkedConfig<T>(what: string, schema: z.ZodType, value: T): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(
      `${what}: the config it would receive is invalid: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return value;
}

/** A database that has a dump block. */
export interface DumpDatabase {
  readonly name: string;
  readonly engine: "postgres" | "mysql";
  readonly kind: string;
  readonly dump: DumpEntry;
}

export const dumpDatabases = (cfg: BackupsConfig): DumpDatabase[] =>
  cfg.databases.flatMap((d) =>
    d.dump ? [{ name: d.name, engine: d.engine, kind: d.kind, dump: d.dump }] : [],
  );

const tiersOf = (d: DumpDatabase) =>
  Object.entries(d.dump.tiers) as [DumpTier, NonNullable<DumpEntry["tiers"][DumpTier]>][];

/** Days before long-lived tiers move to Glacier Instant Retrieval (still readable at once by verification and restores). */
export const GLACIER_IR_AFTER_DAYS = 90;
/** Expired dumps stay recoverable as noncurrent versions this long (a mistaken lifecycle change can be undone). */
export const NONCURRENT_DAYS = 7;

/**
 * The lifecycle rules of the backups bucket and the vault. Age alone deletes nothing: a tier's dumps expire only once
 * the verification job has tagged them `expire=true` (past the tier's retention, beyond its newest keepLastFloor, and
 * only while the newest good dump is fresh: lambdas/logical-backup/expiry.ts). Tiers kept a year or more move to
 * Glacier Instant Retrieval after 90 days (still readable at once). Staging objects (`.incoming/`) of crashed runs
 * go after a day. Every tier's rules are in both buckets: a tier that moved into the vault (or out of it) still has
 * dumps where it landed before, which verification reads and marks in both buckets and which must still expire.
 */
export function dumpLifecycleRules(databases: readonly DumpDatabase[]): {
  bucket: LifecycleRule[];
  vault: LifecycleRule[];
} {
  // Unfinished multipart uploads (a crashed run's staging upload, a >5 GB copy that died) go after a day; S3 takes
  // this only on a prefix-only rule, so the tier rules below cannot carry it.
  const abortUploads: LifecycleRule = {
    id: "abort-uploads",
    prefix: "",
    abortIncompleteMultipartUploadDays: 1,
  };
  const bucket: LifecycleRule[] = [
    {
      id: "incoming",
      prefix: ".incoming/",
      expirationDays: 1,
      noncurrentVersionExpirationDays: 1,
      abortIncompleteMultipartUploadDays: 1,
    },
    abortUploads,
  ];
  const vault: LifecycleRule[] = vaultLock(databases) ? [abortUploads] : [];
  for (const d of databases) {
    for (const [tier, t] of tiersOf(d)) {
      for (const [rules, inVault] of [
        [bucket, false],
        [vault, true],
      ] as const) {
        if (inVault && vault.length === 0) continue; // no vault
        rules.push({
          id: `${d.name}-${tier}`,
          prefix: `${tier}/${d.name}/`,
          tags: { tier, [EXPIRE_TAG]: "true" },
          // Tagged only once past retention, so due at the next lifecycle run.
          expirationDays: 1,
          // In the vault the version is locked until its retention ends; it goes the day after.
          noncurrentVersionExpirationDays: inVault ? 1 : NONCURRENT_DAYS,
        });
        if (t.retention >= 365) {
          rules.push({
            id: `${d.name}-${tier}-archive`,
            prefix: `${tier}/${d.name}/`,
            tags: { tier },
            transitions: [{ days: GLACIER_IR_AFTER_DAYS, storageClass: "GLACIER_IR" }],
          });
        }
      }
    }
  }
  return { bucket, vault };
}

/** The vault's default retention: every locked tier shares it (the config schema enforces that). */
export function vaultLock(databases: readonly DumpDatabase[]) {
  for (const d of databases)
    for (const [, t] of tiersOf(d)) if (t.objectLock) return { mode: t.objectLock, days: t.retention };
  return undefined;
}

interface Buckets {
  readonly bucketArn: pulumi.Input<string>;
  readonly vaultArn?: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The DR copies of the dumps bucket (and the vault), when the dumps replicate. */
  readonly drArns?: readonly pulumi.Input<string>[];
}

/** Exactly what one database's dump job may do: read its password, stage under .incoming, land its own tiers. */
export function dumpStatements(d: DumpDatabase, b: Buckets): JobStatementInput[] {
  const landing = tiersOf(d).map(
    ([tier, t]) => pulumi.interpolate`${t.objectLock ? b.vaultArn! : b.bucketArn}/${tier}/${d.name}/*`,
  );
  const buckets = [b.bucketArn, ...(tiersOf(d).some(([, t]) => t.objectLock) ? [b.vaultArn!] : [])];
  return [
    {
      sid: "ReadDatabasePassword",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [d.dump.connection.passwordSecretArn],
    },
    {
      sid: "StageOwnDumps",
      actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      resources: [pulumi.interpolate`${b.bucketArn}/.incoming/*/${d.name}/*`],
    },
    // CopyObject with tags needs PutObjectTagging; HeadObject (is this slot done?) needs GetObject; dumps over 5 GB
    // land by multipart copy, which an error aborts. Only the tier and database tags: a dump job can never mark a
    // dump expire=true (only the verification job's floor and freshness rules do).
    {
      sid: "LandOwnDumps",
      actions: ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:AbortMultipartUpload"],
      resources: landing,
      conditions: { "ForAllValues:StringEquals": { "s3:RequestObjectTagKeys": ["tier", "database"] } },
    },
    // Without ListBucket a missing object answers 403, not 404, and the job could not tell "not yet" from "denied".
    { sid: "TellMissingFromDenied", actions: ["s3:ListBucket"], resources: buckets },
    {
      sid: "EncryptWithBackupsKey",
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: [b.kmsKeyArn],
    },
  ];
}

/**
 * The verification job: list, read and tag (verified, expire) the dumps of the stack's databases, in both buckets, so
 * dumps written before a tier moved into or out of the vault stay readable and expire.
 */
export function verifyStatements(databases: readonly DumpDatabase[], b: Buckets): JobStatementInput[] {
  const buckets = [b.bucketArn, ...(b.vaultArn ? [b.vaultArn] : [])];
  const objects = buckets.flatMap((bucket) =>
    databases.flatMap((d) => tiersOf(d).map(([tier]) => pulumi.interpolate`${bucket}/${tier}/${d.name}/*`)),
  );
  return [
    {
      sid: "ListDumps",
      actions: ["s3:ListBucket"],
      resources: buckets,
    },
    {
      sid: "ReadAndMarkDumps",
      actions: ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
      resources: objects,
    },
    { sid: "DecryptWithBackupsKey", actions: ["kms:Decrypt"], resources: [b.kmsKeyArn] },
    // The DR copies: listed and their replicated tags read (no bytes cross regions, so no key is needed).
    ...(b.drArns
      ? [
          { sid: "ListDrCopies", actions: ["s3:ListBucket"], resources: [...b.drArns] },
          {
            sid: "ReadDrCopyTags",
            actions: ["s3:GetObjectTagging"],
            resources: b.drArns.flatMap((bucket) =>
              databases.flatMap((d) =>
                tiersOf(d).map(([tier]) => pulumi.interpolate`${bucket}/${tier}/${d.name}/*`),
              ),
            ),
          },
        ]
      : []),
  ];
}

/** Hours the DR copy may lag the source beyond the RPO: the object and then its `verified` tag replicate, and the
 * hourly verification sees the tag at its next run. Without a bound S3 promises none; 6 hours is chosen. */
export function drAgeSlackHours(maxLatencyMinutes: number | undefined): number {
  return maxLatencyMinutes === undefined ? 6 : 1 + Math.ceil((2 * maxLatencyMinutes) / 60);
}

export interface LogicalBackupsArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  /** Default timezone of the dump schedules (the app's). */
  readonly timezone: string;
  readonly config: BackupsConfig;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** prod: protect the buckets and the image repository from `pulumi destroy`. */
  readonly protect: boolean;
  /** Replicate the dumps bucket and the vault into this region, re-encrypted with its backups key. */
  readonly replication?: {
    readonly drRegion: string;
    readonly drKmsKeyArn: pulumi.Input<string>;
    readonly maxLatencyMinutes?: number;
  };
}

/** What the constructor's parts share: the databases, the image, the buckets and the cluster (Fargate dumps). */
interface DumpParts {
  readonly name: string;
  readonly args: LogicalBackupsArgs;
  readonly databases: readonly DumpDatabase[];
  readonly image: DumpImage;
  readonly bucket: RetainedBucket;
  readonly vault: RetainedBucket | undefined;
  readonly dr: DumpReplication | undefined;
  readonly buckets: Buckets;
  readonly cluster: aws.ecs.Cluster | undefined;
  readonly common: { readonly stack: string; readonly namePrefix: string } & JobDefaults;
}

export class LogicalBackups extends pulumi.ComponentResource {
  readonly warnings: string[] = [];
  readonly bucketName: pulumi.Output<string>;
  readonly vaultName?: pulumi.Output<string>;
  /** The dumps bucket and the vault (when a tier is locked): where verified dumps are. */
  readonly bucketNames: pulumi.Output<string>[];
  readonly bucketArns: pulumi.Output<string>[];
  /** Lambda function names of the dump and verify jobs (Fargate jobs have none), for the dashboard. */
  readonly lambdaJobs: string[] = [];
  /**
   * Where the DR copies are, when the dumps replicate: the region and the DR buckets (the dumps bucket's copy, then
   * the vault's). The verification job's config carries the same as `dr` (a restore from the DR copy reads them).
   */
  readonly dr?: {
    readonly region: string;
    readonly bucketName: pulumi.Output<string>;
    readonly vaultName?: pulumi.Output<string>;
  };
  /** Zip Lambda jobs (the drills' age report), for the dashboard. */
  readonly zipJobs: string[] = [];
  /** What each drilled database's backup design can reach (restore-drills.ts), for the plan's notes. */
  drillDesigns: Readonly<Record<string, DrillDesign>> = {};

  constructor(name: string, args: LogicalBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    const databases = dumpDatabases(args.config);
    if (databases.length === 0) throw new Error("LogicalBackups: no database has a dump block");
    const rules = dumpLifecycleRules(databases);
    const lock = vaultLock(databases);
    super("maintenance:backups:LogicalBackups", name, {}, opts);
    const parent = { parent: this };

    const image = new DumpImage(
      `${name}-image`,
      { namePrefix: args.namePrefix, protect: args.protect, tags: args.tags },
      parent,
    );
    const bucket = new RetainedBucket(
      `${name}-bucket`,
      {
        namePrefix: args.namePrefix,
        purpose: "dumps",
        kmsKeyArn: args.kmsKeyArn,
        lifecycleRules: rules.bucket,
        protect: args.protect,
        tags: args.tags,
      },
      parent,
    );
    const vault = lock
      ? new RetainedBucket(
          `${name}-vault`,
          {
            namePrefix: args.namePrefix,
            purpose: "dump-vault",
            kmsKeyArn: args.kmsKeyArn,
            lifecycleRules: rules.vault,
            objectLock: lock,
            protect: args.protect,
            tags: args.tags,
          },
          parent,
        )
      : undefined;
    this.bucketName = bucket.bucketName;
    if (vault) this.vaultName = vault.bucketName;
    const dr = args.replication
      ? new DumpReplication(
          `${name}-dr`,
          {
            namePrefix: args.namePrefix,
            region: args.region,
            drRegion: args.replication.drRegion,
            databases,
            bucket,
            vault,
            lock,
            kmsKeyArn: args.kmsKeyArn,
            drKmsKeyArn: args.replication.drKmsKeyArn,
            ...(args.replication.maxLatencyMinutes !== undefined
              ? { maxLatencyMinutes: args.replication.maxLatencyMinutes }
              : {}),
            noncurrentDays: NONCURRENT_DAYS,
            protect: args.protect,
            routing: args.routing,
            tags: args.tags ?? {},
          },
          parent,
        )
      : undefined;
    if (dr)
      this.dr = {
        region: dr.drRegion,
        bucketName: dr.drBucketName,
        ...(dr.drVaultName ? { vaultName: dr.drVaultName } : {}),
      };
    this.bucketNames = [bucket.bucketName, ...(vault ? [vault.bucketName] : [])];
    this.bucketArns = [bucket.bucketArn, ...(vault ? [vault.bucketArn] : [])];
    const buckets: Buckets = {
      bucketArn: bucket.bucketArn,
      ...(vault ? { vaultArn: vault.bucketArn } : {}),
      kmsKeyArn: args.kmsKeyArn,
      ...(dr ? { drArns: dr.drArns } : {}),
    };

    const cluster = databases.some((d) => d.dump.runsOn === "fargate" || d.dump.drill)
      ? new aws.ecs.Cluster(
          `${name}-cluster`,
          {
            name: `${args.namePrefix}-dumps`,
            settings: [{ name: "containerInsights", value: "disabled" }],
            tags: args.tags,
          },
          parent,
        )
      : undefined;

    const common = { stack: args.stack, namePrefix: args.namePrefix, ...jobDefaultsOf(args) };
    const parts = { name, args, databases, image, bucket, vault, dr, buckets, cluster, common };
    this.dumpJobs(parts);
    this.verificationAlarms(parts, this.verifyJob(parts));
    this.restoreDrills(parts);
    this.registerOutputs({ bucketName: this.bucketName, dr: this.dr });
  }

  /** A dump job per database (a schedule per tier, on Lambda or Fargate) and its failure alarm. */
  private dumpJobs(parts: DumpParts) {
    const { name, args, databases, image, bucket, vault, buckets, cluster, common } = parts;
    const parent = { parent: this };
    for (const d of databases) {
      const job = `dump-${d.name}`;
      const conn = d.dump.connection;
      const sslMode =
        conn.sslMode ?? (d.engine === "postgres" && d.kind === "supabase" ? "require" : undefined);
      const jobConfig = pulumi
        .all([bucket.bucketName, vault?.bucketName, args.kmsKeyArn])
        .apply(([b, v, key]) =>
          checkedConfig(`dump job of ${d.name}`, dumpConfigSchema, {
            database: d.name,
            engine: d.engine,
            host: conn.host,
            port: conn.port ?? (d.engine === "postgres" ? 5432 : 3306),
            databaseName: conn.database,
            user: conn.user,
            passwordSecretArn: conn.passwordSecretArn,
            ...(sslMode && d.engine === "postgres" ? { sslMode } : {}),
            bucket: b,
            tierBuckets: Object.fromEntries(
              tiersOf(d)
                .filter(([, t]) => t.objectLock && v)
                .map(([tier]) => [tier, v!]),
            ),
            kmsKeyArn: key,
          }),
        );
      const fargate = d.dump.runsOn === "fargate";
      const dumpJob = new MaintenanceJob(
        `${name}-${d.name}`,
        {
          ...common,
          job,
          description: `${d.engine === "postgres" ? "pg_dump" : "mysqldump"} of ${d.name} into the backups bucket`,
          memoryMb: d.dump.memoryMb,
          timeoutSeconds: d.dump.timeoutSeconds,
          // Dumps of one database never overlap.
          reservedConcurrency: 1,
          jobConfig,
          statements: dumpStatements(d, buckets),
          schedules: tiersOf(d).map(([tier, t]) => ({
            name: tier,
            expression: t.expression,
            timezone: d.dump.timezone ?? args.timezone,
            input: { tier },
          })),
          heartbeatSeverity: "critical",
          failureSeverity: "critical",
          image: {
            uri: image.uri,
            commands: fargate ? DUMP_COMMANDS.fargate : DUMP_COMMANDS.lambdaDump,
            repositoryArn: image.repositoryArn,
          },
          ...(d.dump.network ? { network: d.dump.network } : {}),
          ...(fargate
            ? {
                fargate: {
                  clusterArn: cluster!.arn,
                  cpu: d.dump.fargate.cpu,
                  memoryMb: d.dump.fargate.memoryMb,
                  eventVariable: "JOB_EVENT",
                  deadlineSeconds: d.dump.fargate.timeoutMinutes * 60,
                },
              }
            : {}),
        },
        parent,
      );
      this.warnings.push(...dumpJob.warnings);
      if (!fargate) this.lambdaJobs.push(job);
      // A run reports 0 or 1; between runs there is nothing to say (the heartbeat watches for runs that stop).
      metricAlarm(
        `${name}-${d.name}-failed`,
        anyInAnHour(
          "critical",
          "dump-failed",
          `The ${d.engine === "postgres" ? "pg_dump" : "mysqldump"} of database ${d.name} failed; no new dump was stored (the previous ones stay).`,
          {
            namespace: `Maintenance/${args.stack}`,
            metricName: "BackupFailed",
            dimensions: { service: job, Database: d.name },
            stat: "Maximum",
          },
        ),
        args.routing,
        parent,
      );
    }
  }

  /** Restore drills of the databases that have a drill block (infra/backups/restore-drills.ts). */
  private restoreDrills(parts: DumpParts): void {
    const { name, args, databases, image, bucket, vault, buckets, cluster } = parts;
    const drilled = databases.flatMap((d) =>
      d.dump.drill ? [{ name: d.name, engine: d.engine, dump: { ...d.dump, drill: d.dump.drill } }] : [],
    );
    if (drilled.length === 0) return;
    const drills = new RestoreDrills(
      `${name}-drills`,
      {
        ...parts.common,
        timezone: args.timezone,
        databases: drilled,
        sectionRpoHours: args.config.rpoHours,
        kmsKeyArn: args.kmsKeyArn,
        protect: args.protect,
        image: { uri: image.uri, repositoryArn: image.repositoryArn },
        entryPoint: DUMP_COMMANDS.fargateDrill,
        clusterArn: cluster!.arn,
        buckets: {
          ...buckets,
          bucketName: bucket.bucketName,
          ...(vault ? { vaultName: vault.bucketName } : {}),
        },
      },
      { parent: this },
    );
    this.warnings.push(...drills.warnings);
    this.zipJobs.push(...drills.lambdaJobs);
    this.drillDesigns = drills.designs;
  }

  /** The hourly verification job of all dump databases (it also marks expired dumps); returns its job name. */
  private verifyJob(parts: DumpParts): string {
    const { name, args, databases, image, bucket, vault, dr, buckets, common } = parts;
    const parent = { parent: this };
    const verifyJob = "dump-verify";
    new MaintenanceJob(
      `${name}-verify`,
      {
        ...common,
        job: verifyJob,
        description: `Verifies the newest dump of each of ${args.stack}'s databases (checksum, pg_restore --list / mysqldump footer)`,
        memoryMb: 1024,
        timeoutSeconds: 900,
        // One run per database at a time; databases run side by side.
        reservedConcurrency: databases.length,
        jobConfig: pulumi
          .all([bucket.bucketName, vault?.bucketName, dr?.drBucketName, dr?.drVaultName])
          .apply(([b, v, drb, drv]) =>
            checkedConfig("dump verification job", verifyConfigSchema, {
              buckets: v ? [b, v] : [b],
              ...(dr && drb ? { dr: { region: dr.drRegion, buckets: drv ? [drb, drv] : [drb] } } : {}),
              databases: databases.map((d) => ({
                database: d.name,
                engine: d.engine,
                retentionDays: Object.fromEntries(tiersOf(d).map(([tier, t]) => [tier, t.retention])),
                // A database dumped only monthly is "fresh" for a month: never stricter than its own RPO.
                freshnessSeconds: hoursToSeconds(
                  Math.max(args.config.freshnessHours, d.dump.rpoHours ?? args.config.rpoHours),
                ),
              })),
              maxCandidates: 3,
              // The RDS pruner's limits apply to dumps too.
              expiry: {
                keepLastFloor: args.config.keepLastFloor,
                freshnessSeconds: hoursToSeconds(args.config.freshnessHours),
                maxMarksPerRun: args.config.maxDeletesPerRun,
                dryRun: args.config.dryRun,
              },
            }),
          ),
        statements: verifyStatements(databases, buckets),
        // Hourly, so the age alarm has a datapoint every period; a verified dump is tagged and never downloaded again.
        // One schedule per database, so a large dump never uses up another database's 15 minutes.
        schedules: databases.map((d) => ({
          name: `hourly-${d.name}`,
          expression: "cron(20 * * * ? *)",
          timezone: "UTC",
          input: { database: d.name },
        })),
        image: { uri: image.uri, commands: DUMP_COMMANDS.lambdaVerify, repositoryArn: image.repositoryArn },
      },
      parent,
    );
    this.lambdaJobs.push(verifyJob);
    return verifyJob;
  }

  /** Per database: the newest verified dump's age against the RPO, verification failures, expiry marking failures. */
  private verificationAlarms(parts: DumpParts, verifyJob: string) {
    const { name, args, databases, dr } = parts;
    const parent = { parent: this };
    for (const d of databases) {
      const rpoHours = d.dump.rpoHours ?? args.config.rpoHours;
      const metric = (metricName: string) => ({
        namespace: `Maintenance/${args.stack}`,
        metricName,
        dimensions: { service: verifyJob, Database: d.name },
        stat: "Maximum",
      });
      const alarms = backupHealthAlarms({
        rpoHours,
        age: metric("NewestGoodDumpAgeSeconds"),
        ageSummary: `The newest verified dump of database ${d.name} is older than the RPO of ${rpoHours}h (or there is none).`,
        failed: metric("DumpVerificationFailed"),
        failedSummary: `Dump verification failed for database ${d.name} (checksum, pg_restore --list or mysqldump footer).`,
      });
      metricAlarm(`${name}-${d.name}-age`, alarms.age, args.routing, parent);
      metricAlarm(`${name}-${d.name}-verification`, alarms.verification, args.routing, parent);
      if (dr) {
        const slack = drAgeSlackHours(args.replication?.maxLatencyMinutes);
        metricAlarm(
          `${name}-${d.name}-dr-age`,
          {
            ...alarms.age,
            severity: "warning",
            page: "dump-dr-age",
            summary: `The newest verified DR copy of database ${d.name} in ${dr.drRegion} is older than the RPO of ${rpoHours}h plus ${slack}h for replication (or there is none).`,
            metric: metric("NewestDrDumpAgeSeconds"),
            threshold: (rpoHours + slack) * 3600,
          },
          args.routing,
          parent,
        );
      }
      metricAlarm(
        `${name}-${d.name}-expiry`,
        {
          severity: "warning",
          page: "dump-expiry-failed",
          summary: `Dumps of database ${d.name} could not be marked for expiry for 3 hours; none expires (storage grows) until this is fixed.`,
          metric: metric("DumpExpiryFailed"),
          periodSeconds: 3600,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          // No datapoint means no verification run: the age alarm pages for that.
          treatMissingData: "notBreaching",
        },
        args.routing,
        parent,
      );
    }
  }
}
