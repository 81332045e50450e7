// Restore drills of the logical dumps: per database a Fargate task that restores the newest verified dump into a
// sidecar database of the source's engine and major version (nothing outside the task is touched), a reports bucket,
// an hourly report of each database's last passing drill, and the RTO, data-age, failure and overdue alarms.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmSpec, metricAlarm } from "../core/alarm";
import { type DrillDesign, type DrillEntry, type DumpEntry, drillDesign } from "../config/backups";
import {
  type FargateSidecar,
  type JobDefaults,
  jobDefaultsOf,
  type JobStatementInput,
  MaintenanceJob,
} from "../core/job/maintenance-job";
import { RetainedBucket } from "../core/retained-bucket";
import { drillAgeConfigSchema, drillConfigSchema } from "../../lambdas/logical-backup/drill-config";
import type { z } from "zod";

/** A dump database with a drill block. */
export interface DrillDatabase {
  readonly name: string;
  readonly engine: "postgres" | "mysql";
  readonly dump: DumpEntry & { readonly drill: DrillEntry };
}

/** The drill job's schedule: `<prefix>-drill-<db>-drill` (a reminder or calendar entry can point at this name). */
export const DRILL_SCHEDULE = "drill";
/** Where the drill container downloads the dump (the task's scratch volume). */
export const DRILL_WORK_DIR = "/scratch";
/** The drill job of a database (its Fargate task family is `<prefix>-drill-<db>`). */
export const drillJob = (database: string) => `drill-${database}`;
export const DRILL_AGE_JOB = "drill-age";

/** Reports expire after two years (eight quarterly drills); the state objects (last pass, watch start) never do. */
export const REPORT_RETENTION_DAYS = 730;

const SIDECAR = "database";

/**
 * The throwaway database the drill restores into: the Docker official image of the source's engine and major version
 * from ECR Public, listening on loopback only (so trust / an empty root password reach nothing outside the task).
 */
export function sidecarFor(
  engine: "postgres" | "mysql",
  drill: Pick<DrillEntry, "majorVersion" | "sidecarImage">,
): {
  sidecar: FargateSidecar;
  target: { host: string; port: number; user: string; maintenanceDatabase: string };
} {
  if (engine === "postgres")
    return {
      sidecar: {
        name: SIDECAR,
        image: drill.sidecarImage ?? `public.ecr.aws/docker/library/postgres:${drill.majorVersion}`,
        command: ["postgres", "-c", "listen_addresses=127.0.0.1"],
        environment: { POSTGRES_HOST_AUTH_METHOD: "trust" },
        healthCheck: ["CMD-SHELL", "pg_isready -q -h 127.0.0.1 -U postgres"],
        startPeriodSeconds: 120,
      },
      target: { host: "127.0.0.1", port: 5432, user: "postgres", maintenanceDatabase: "postgres" },
    };
  return {
    sidecar: {
      name: SIDECAR,
      image: drill.sidecarImage ?? `public.ecr.aws/docker/library/mysql:${drill.majorVersion}`,
      command: ["--bind-address=127.0.0.1"],
      environment: { MYSQL_ALLOW_EMPTY_PASSWORD: "yes" },
      healthCheck: ["CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --silent"],
      startPeriodSeconds: 180,
    },
    target: { host: "127.0.0.1", port: 3306, user: "root", maintenanceDatabase: "mysql" },
  };
}

/** Where a database's dumps of one tier may be: the bucket it lands in now and, with a vault, the other one too. */
export interface DumpBuckets {
  readonly bucketArn: pulumi.Input<string>;
  readonly vaultArn?: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
}

/**
 * Exactly what a database's drill may do: list and read that database's dumps of the drill's tier (and their
 * manifests), in both buckets; write its own reports and last-pass marker. Nothing of any other database.
 */
export function drillStatements(
  d: DrillDatabase,
  b: DumpBuckets,
  reportsArn: pulumi.Input<string>,
): JobStatementInput[] {
  const tier = d.dump.drill.tier;
  const buckets = [b.bucketArn, ...(b.vaultArn ? [b.vaultArn] : [])];
  return [
    {
      sid: "ListOwnTier",
      actions: ["s3:ListBucket"],
      resources: buckets,
      conditions: { StringEquals: { "s3:prefix": [`${tier}/${d.name}/`] } },
    },
    {
      sid: "ReadOwnDumps",
      actions: ["s3:GetObject", "s3:GetObjectTagging"],
      resources: buckets.map((bucket) => pulumi.interpolate`${bucket}/${tier}/${d.name}/*`),
    },
    {
      sid: "WriteOwnReports",
      actions: ["s3:PutObject"],
      resources: [
        pulumi.interpolate`${reportsArn}/reports/${d.name}/*`,
        pulumi.interpolate`${reportsArn}/state/${d.name}/last-pass.json`,
      ],
    },
    {
      sid: "UseBackupsKey",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [b.kmsKeyArn],
    },
  ];
}

/** The age report: read each database's last-pass marker, and write its watch-start marker once. */
export function drillAgeStatements(
  databases: readonly string[],
  reportsArn: pulumi.Input<string>,
  kmsKeyArn: pulumi.Input<string>,
): JobStatementInput[] {
  return [
    {
      sid: "ReadDrillState",
      actions: ["s3:GetObject"],
      resources: databases.flatMap((db) => [
        pulumi.interpolate`${reportsArn}/state/${db}/last-pass.json`,
        pulumi.interpolate`${reportsArn}/state/${db}/watch-started.json`,
      ]),
    },
    // Without ListBucket a missing marker answers 403, not 404: "no drill passed yet" would look like a denial.
    {
      sid: "TellMissingFromDenied",
      actions: ["s3:ListBucket"],
      resources: [reportsArn],
      conditions: {
        StringEquals: {
          "s3:prefix": databases.flatMap((db) => [
            `state/${db}/last-pass.json`,
            `state/${db}/watch-started.json`,
          ]),
        },
      },
    },
    {
      sid: "MarkWatchStarted",
      actions: ["s3:PutObject"],
      resources: databases.map((db) => pulumi.interpolate`${reportsArn}/state/${db}/watch-started.json`),
    },
    { sid: "UseBackupsKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [kmsKeyArn] },
  ];
}

/** The four alarms of a database's drills (pure, for exact tests). */
export function drillAlarmSpecs(
  stack: string,
  d: DrillDatabase,
  design: DrillDesign,
  overdueAfterSeconds: number,
): Record<"rto" | "dataAge" | "failed" | "overdue", AlarmSpec> {
  const drill = d.dump.drill;
  const metric = (metricName: string, service = drillJob(d.name)) => ({
    namespace: `Maintenance/${stack}`,
    metricName,
    dimensions: { service, Database: d.name },
    stat: "Maximum",
  });
  // One datapoint per drill: it alarms for the hour after the drill, and nothing between drills says anything.
  const perDrill = {
    periodSeconds: 3600,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold" as const,
    treatMissingData: "notBreaching" as const,
  };
  return {
    rto: {
      ...perDrill,
      severity: "warning",
      page: "drill-rto",
      summary: `The restore drill of ${d.name} took longer than the RTO of ${drill.rtoHours}h to answer its first query (or was stopped).`,
      metric: metric("RestoreSeconds"),
      threshold: drill.rtoHours * 3600,
    },
    dataAge: {
      ...perDrill,
      severity: "warning",
      page: "drill-data-age",
      summary: `The dump the restore drill of ${d.name} restored was older than ${design.dataAgeAlarmHours}h: a restore now would lose more than that.`,
      metric: metric("RestoredDataAgeSeconds"),
      threshold: Math.round(design.dataAgeAlarmHours * 3600),
    },
    failed: {
      ...perDrill,
      severity: "critical",
      page: "drill-failed",
      summary: `The restore drill of ${d.name} failed (no verified dump, checksum, restore, row counts or checks): its dumps may not restore.`,
      metric: metric("DrillFailed"),
      threshold: 0,
    },
    overdue: {
      severity: "warning",
      page: "drill-overdue",
      summary: `No restore drill of ${d.name} has passed for ${Math.round(overdueAfterSeconds / 86_400)} days (its schedule expects one sooner).`,
      metric: metric("SecondsSinceLastGoodDrill", DRILL_AGE_JOB),
      periodSeconds: 3600,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: overdueAfterSeconds,
      comparisonOperator: "GreaterThanThreshold",
      // The age is reported hourly: three hours without it means the report itself is broken.
      treatMissingData: "breaching",
    },
  };
}

export interface RestoreDrillsArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly timezone: string;
  readonly databases: readonly DrillDatabase[];
  /** backups.rpoHours, the dumps' RPO when a database sets none. */
  readonly sectionRpoHours: number;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly protect: boolean;
  readonly image: { readonly uri: pulumi.Input<string>; readonly repositoryArn: pulumi.Input<string> };
  readonly entryPoint: readonly string[];
  readonly clusterArn: pulumi.Input<string>;
  readonly buckets: DumpBuckets & {
    readonly bucketName: pulumi.Input<string>;
    readonly vaultName?: pulumi.Input<string>;
  };
}

/** `<image>@sha256:<digest>`: as given when it carries a digest, else the tag's digest from its registry. */
export function pinned(image: string, parent: pulumi.Resource): pulumi.Output<string> {
  if (image.includes("@sha256:")) return pulumi.output(image);
  return docker
    .getRegistryImageOutput({ name: image }, { parent })
    .apply((r) => `${image}@${r.sha256Digest}`);
}

function checked<T>(what: string, schema: z.ZodType, value: T): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(
      `${what}: the config it would receive is invalid: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return value;
}

export class RestoreDrills extends pulumi.ComponentResource {
  readonly warnings: string[] = [];
  readonly reportsBucketName: pulumi.Output<string>;
  /** Lambda jobs (the age report), for the dashboard. */
  readonly lambdaJobs: string[] = [DRILL_AGE_JOB];
  readonly designs: Record<string, DrillDesign> = {};

  constructor(name: string, args: RestoreDrillsArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.databases.length === 0) throw new Error("RestoreDrills: no database has a drill block");
    super("maintenance:backups:RestoreDrills", name, {}, opts);
    const reports = new RetainedBucket(
      `${name}-reports`,
      {
        namePrefix: args.namePrefix,
        purpose: "drill-reports",
        kmsKeyArn: args.kmsKeyArn,
        lifecycleRules: [
          {
            id: "reports",
            prefix: "reports/",
            expirationDays: REPORT_RETENTION_DAYS,
            noncurrentVersionExpirationDays: 7,
          },
          // Rewritten by every passing drill: old versions go, the current one stays.
          { id: "state", prefix: "state/", noncurrentVersionExpirationDays: 30 },
        ],
        protect: args.protect,
        tags: args.tags,
      },
      { parent: this },
    );
    this.reportsBucketName = reports.bucketName;
    const common = { stack: args.stack, namePrefix: args.namePrefix, ...jobDefaultsOf(args) };
    for (const d of args.databases) this.drillJob(name, args, d, reports, common);
    this.ageJob(name, args, reports, common);
    this.registerOutputs({ reportsBucketName: this.reportsBucketName });
  }

  /** One database's drill task, its schedule and its four alarms. */
  private drillJob(
    name: string,
    args: RestoreDrillsArgs,
    d: DrillDatabase,
    reports: RetainedBucket,
    common: JobDefaults & { stack: string; namePrefix: string },
  ): void {
    const drill = d.dump.drill;
    const design = drillDesign(d.engine, d.dump, drill, args.sectionRpoHours, args.timezone);
    this.designs[d.name] = design;
    const { sidecar: unpinned, target } = sidecarFor(d.engine, drill);
    // Tasks run images pinned by digest (tags may move): the tag's current digest, resolved at deploy time, so a
    // moved tag shows in the preview as a changed task definition.
    const sidecar = { ...unpinned, image: pinned(String(unpinned.image), this) };
    const job = drillJob(d.name);
    const jobConfig = pulumi
      .all([args.buckets.bucketName, args.buckets.vaultName, reports.bucketName, args.kmsKeyArn])
      .apply(([bucket, vault, reportsBucket, key]) =>
        checked(`restore drill of ${d.name}`, drillConfigSchema, {
          database: d.name,
          engine: d.engine,
          tier: drill.tier,
          buckets: vault ? [bucket, vault] : [bucket],
          reportsBucket,
          kmsKeyArn: key,
          target,
          majorVersion: drill.majorVersion,
          restoreJobs: drill.restoreJobs,
          restoreTimeoutSeconds: design.restoreTimeoutSeconds,
          readyTimeoutSeconds: 120,
          maxCandidates: 10,
          checks: drill.checks,
          workDir: DRILL_WORK_DIR,
        }),
      );
    const drillJobResource = new MaintenanceJob(
      `${name}-${d.name}`,
      {
        ...common,
        job,
        description: `Restore drill of ${d.name}: the newest verified ${drill.tier} dump into a ${d.engine} ${drill.majorVersion} sidecar`,
        memoryMb: 1024,
        timeoutSeconds: 900,
        reservedConcurrency: 1,
        jobConfig,
        statements: drillStatements(d, args.buckets, reports.bucketArn),
        schedules: [
          {
            name: DRILL_SCHEDULE,
            expression: drill.expression,
            timezone: d.dump.timezone ?? args.timezone,
            description: `Restore drill of ${d.name} (runbook DR drill)`,
          },
        ],
        heartbeatSeverity: "warning",
        failureSeverity: "critical",
        heartbeatWatchedBy: DRILL_AGE_JOB,
        image: { uri: args.image.uri, commands: args.entryPoint, repositoryArn: args.image.repositoryArn },
        network: drill.network ?? d.dump.network!,
        fargate: {
          clusterArn: args.clusterArn,
          cpu: drill.fargate.cpu,
          memoryMb: drill.fargate.memoryMb,
          eventVariable: "JOB_EVENT",
          deadlineSeconds: design.deadlineSeconds,
          sidecar,
          ephemeralStorageGiB: design.ephemeralStorageGiB,
          scratchPath: DRILL_WORK_DIR,
        },
      },
      { parent: this },
    );
    this.warnings.push(...drillJobResource.warnings);
    const retry = args.retry.schedulerMaxEventAgeSeconds;
    const overdue = design.drillGapSeconds + retry + design.deadlineSeconds + drill.marginHours * 3600;
    const specs = drillAlarmSpecs(args.stack, d, design, overdue);
    for (const [id, spec] of [
      ["rto", specs.rto],
      ["data-age", specs.dataAge],
      ["failed", specs.failed],
      ["overdue", specs.overdue],
    ] as const)
      metricAlarm(`${name}-${d.name}-${id}`, spec, args.routing, { parent: this });
  }

  /** The hourly report of every database's last passing drill (a zip Lambda: cheap, unlike an hourly task). */
  private ageJob(
    name: string,
    args: RestoreDrillsArgs,
    reports: RetainedBucket,
    common: JobDefaults & { stack: string; namePrefix: string },
  ): void {
    const databases = args.databases.map((d) => d.name);
    new MaintenanceJob(
      `${name}-age`,
      {
        ...common,
        job: DRILL_AGE_JOB,
        description: `Reports how long ago each of ${args.stack}'s restore drills last passed`,
        memoryMb: 256,
        timeoutSeconds: 60,
        reservedConcurrency: 1,
        jobConfig: pulumi
          .all([reports.bucketName, args.kmsKeyArn])
          .apply(([reportsBucket, key]) =>
            checked("drill age report", drillAgeConfigSchema, { reportsBucket, kmsKeyArn: key, databases }),
          ),
        statements: drillAgeStatements(databases, reports.bucketArn, args.kmsKeyArn),
        schedules: [{ name: "hourly", expression: "cron(40 * * * ? *)", timezone: "UTC" }],
      },
      { parent: this },
    );
  }
}
