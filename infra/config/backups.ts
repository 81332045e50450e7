// Config section `maintenance:backups`: databases, backup schedules, restic-style retention, RPO and pruning limits.
import { z } from "zod";
import { parseDuration } from "../../lambdas/backup/retention";
import {
  databaseConnection,
  fargateSize,
  fargateTask,
  jobNetwork,
  refuseDuplicateNames,
  scheduleExpression,
  scheduleEntry,
  timezone,
} from "./rules";
import { OBJECT_LOCK_MAX_DAYS } from "../core/aws-limits";
import { dstGapWarnings, maxIntervalSeconds } from "../core/schedule";
import { drillCheckSchema } from "../../lambdas/logical-backup/drill-config";

/**
 * Problems with a database's dump RPO: the alarm must not fire between two dumps that both ran on time, so the RPO
 * covers the longest gap between the dump schedules (in their timezone) plus the longest a run may take.
 */
export function dumpRpoProblem(dump: DumpEntry, sectionRpoHours: number, appTimezone: string): string | null {
  const tiers = Object.values(dump.tiers).filter((t) => t !== undefined);
  if (tiers.length === 0) return null;
  const from = new Date(Date.UTC(2030, 0, 1));
  const gaps = tiers.map((t) => maxIntervalSeconds(t.expression, dump.timezone ?? appTimezone, from));
  const gap = Math.min(...gaps);
  const rpo = dump.rpoHours ?? sectionRpoHours;
  // The age is reported by the hourly verification, so a dump is seen up to an hour after it lands.
  const run = (dump.runsOn === "fargate" ? dump.fargate.timeoutMinutes * 60 : dump.timeoutSeconds) + 3600;
  const needed = Math.ceil((gap + run) / 3600);
  if (rpo * 3600 >= gap + run) return null;
  return `${rpo}h is shorter than the longest gap between this database's dumps plus a run and the hourly verification (${needed}h)${dstGapNote(
    tiers.filter((_, i) => gaps[i] === gap),
    dump.timezone ?? appTimezone,
    from,
  )}; dump more often or set dump.rpoHours to at least ${needed}`;
}

/**
 * Why the gap is longer than the schedule reads, when it is: a tier time inside the spring-forward gap never runs
 * that day (EventBridge Scheduler skips it), so the gap spans two days. Said in the first error, so nobody raises the
 * RPO to 49 hours for a dump that only needs moving out of 02:00-03:00.
 */
function dstGapNote(tiers: readonly { expression: string }[], zone: string, from: Date): string {
  for (const t of tiers) {
    const lost = dstGapWarnings(t.expression, zone, from)[0];
    if (lost)
      return `, because ${lost.localTime} does not exist in ${zone} on ${lost.localDate} (the spring-forward DST gap): Scheduler skips that run, so that day has no dump; move ${t.expression} out of the gap (e.g. an hour later)`;
  }
  return "";
}

/**
 * What the estimate of a restore's duration assumes, until a drill measures it: task start and image pulls, the
 * download from S3, and pg_restore / mysql at a conservative rate of compressed dump (a bench measured far faster on
 * a small database, docs/benchmarks.md; real RTO is the drill's RestoreSeconds).
 */
export const RESTORE_ESTIMATE = {
  startupSeconds: 600,
  downloadMiBPerSecond: 50,
  restoreMiBPerSecond: { postgres: 10, mysql: 4 },
  /** Disk per GiB of compressed dump: the stored copy, the decoded file and the restored data with its indexes. */
  diskPerDumpGiB: { postgres: 10, mysql: 18 },
  /** The two images' layers and the database's own files. */
  diskBaseGiB: 10,
} as const;

/** Fargate's ephemeral storage range. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-storage.html */
export const FARGATE_STORAGE_GIB = { min: 21, max: 200 } as const;

/** What a database's backup design can reach beside its runbook's targets, and the drill's sizes derived from them. */
export interface DrillDesign {
  /** The oldest the newest verified dump can be: the longest gap between dumps, a run and the hourly verification. */
  readonly worstRpoSeconds: number;
  readonly expectedRtoSeconds: number;
  readonly rpoMet: boolean;
  readonly rtoMet: boolean;
  /** The drill's data-age alarm: the runbook's RPO when the dumps reach it, else the dumps' own RPO. */
  readonly dataAgeAlarmHours: number;
  readonly ephemeralStorageGiB: number;
  /** A restore still running at twice the RTO is stopped (the drill failed the target long before). */
  readonly restoreTimeoutSeconds: number;
  /** The task's own deadline: the restore's, the download's and half an hour for the rest. */
  readonly deadlineSeconds: number;
  /** The longest gap between two drills, in the dump's timezone. */
  readonly drillGapSeconds: number;
}

export function drillDesign(
  engine: "postgres" | "mysql",
  dump: DumpEntry,
  drill: DrillEntry,
  sectionRpoHours: number,
  appTimezone: string,
): DrillDesign {
  const from = new Date(Date.UTC(2030, 0, 1));
  const tz = dump.timezone ?? appTimezone;
  let gap = Number.POSITIVE_INFINITY;
  for (const t of Object.values(dump.tiers))
    if (t) gap = Math.min(gap, maxIntervalSeconds(t.expression, tz, from));
  const run = dump.runsOn === "fargate" ? dump.fargate.timeoutMinutes * 60 : dump.timeoutSeconds;
  const worstRpoSeconds = gap + run + 3600;
  const mib = drill.dumpGiB * 1024;
  const download = Math.ceil(mib / RESTORE_ESTIMATE.downloadMiBPerSecond);
  const expectedRtoSeconds =
    RESTORE_ESTIMATE.startupSeconds +
    download +
    Math.ceil(mib / RESTORE_ESTIMATE.restoreMiBPerSecond[engine]);
  const rpoMet = drill.rpoHours * 3600 >= worstRpoSeconds;
  const restoreTimeoutSeconds = Math.ceil(2 * drill.rtoHours * 3600);
  return {
    worstRpoSeconds,
    expectedRtoSeconds,
    rpoMet,
    rtoMet: drill.rtoHours * 3600 >= expectedRtoSeconds,
    dataAgeAlarmHours: rpoMet ? drill.rpoHours : (dump.rpoHours ?? sectionRpoHours),
    ephemeralStorageGiB: Math.max(
      FARGATE_STORAGE_GIB.min,
      Math.ceil(drill.dumpGiB * RESTORE_ESTIMATE.diskPerDumpGiB[engine] + RESTORE_ESTIMATE.diskBaseGiB),
    ),
    restoreTimeoutSeconds,
    deadlineSeconds: restoreTimeoutSeconds + 2 * download + 1800,
    drillGapSeconds: maxIntervalSeconds(drill.expression, tz, from),
  };
}

/** Config problems of a drill: a disk Fargate cannot give, or an RPO the dumps cannot reach with nothing named to. */
export function drillProblems(
  engine: "postgres" | "mysql",
  dump: DumpEntry,
  sectionRpoHours: number,
  appTimezone: string,
): { key: string; message: string }[] {
  const drill = dump.drill;
  if (!drill) return [];
  const design = drillDesign(engine, dump, drill, sectionRpoHours, appTimezone);
  const problems: { key: string; message: string }[] = [];
  if (design.ephemeralStorageGiB > FARGATE_STORAGE_GIB.max)
    problems.push({
      key: "dumpGiB",
      message: `a ${drill.dumpGiB} GiB dump needs about ${design.ephemeralStorageGiB} GiB of disk to restore; Fargate gives a task at most ${FARGATE_STORAGE_GIB.max} GiB`,
    });
  if (!design.rpoMet && !drill.pointInTimeRecovery)
    problems.push({
      key: "rpoHours",
      message: `the dumps reach at worst ${(design.worstRpoSeconds / 3600).toFixed(1)}h (the longest gap between dumps, a run and the hourly verification), not ${drill.rpoHours}h; dump more often, or name what covers the RPO in drill.pointInTimeRecovery (such as the provider's point-in-time recovery)`,
    });
  return problems;
}

/** A retention window: restic's duration, and not zero (restic reads a zero window as no rule, never as "keep none"). */
const duration = z.string().superRefine((value, ctx) => {
  try {
    const d = parseDuration(value);
    if (d.years + d.months + d.days + d.hours === 0)
      ctx.addIssue({
        code: "custom",
        message: `"${value}" is a zero-length window, which restic reads as no rule at all; remove the key or give it a length such as 30d`,
      });
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

/** Dump tiers, the runbooks' grandfather-father-son names; each is an object-key prefix and a lifecycle rule. */
export const DUMP_TIERS = ["daily", "weekly", "monthly", "yearly"] as const;
export type DumpTier = (typeof DUMP_TIERS)[number];

/**
 * How long a tier's dumps live, as `<n>d`, `<n>w` or `<n>y` (S3 lifecycle counts whole days: a year is 365.25 days
 * rounded up, so 7y is 2557 days, the same as CloudWatch's 7-year retention).
 */
export const tierRetention = z
  .string()
  .regex(/^[1-9]\d{0,4}[dwy]$/, "must be <number><unit> with unit d, w or y, e.g. 30d, 12w, 7y")
  .transform((v) => {
    const n = Number(v.slice(0, -1));
    const unit = v.at(-1);
    return unit === "d" ? n : unit === "w" ? n * 7 : Math.ceil(n * 365.25);
  });

const dumpTier = z
  .object({
    /** When this tier's dump runs (EventBridge Scheduler cron/rate), in the dump's timezone. */
    expression: scheduleExpression,
    retention: tierRetention,
    /**
     * Lock this tier's dumps (Object Lock) for their whole retention; they go to the stack's vault bucket, whose
     * default retention is the tier's. COMPLIANCE: nobody, root included, can delete them early.
     */
    objectLock: z.enum(["COMPLIANCE", "GOVERNANCE"]).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html: at most 100 years (36500 days).
    if (t.objectLock && t.retention > OBJECT_LOCK_MAX_DAYS)
      ctx.addIssue({
        code: "custom",
        path: ["retention"],
        message: `Object Lock retains at most ${OBJECT_LOCK_MAX_DAYS} days (100 years), not ${t.retention}`,
      });
  });

/**
 * A restore drill of the database's dumps (the runbooks' DR drills): a Fargate task restores the newest verified dump
 * of `tier` into a sidecar database of the source's engine and major version, times it and checks it.
 */
export const drillEntry = z
  .object({
    /** When the drill runs (EventBridge Scheduler cron), in the dump's timezone. Its schedule is named `drill`. */
    expression: scheduleExpression,
    /** The tier whose newest verified dump is restored. @default "daily" */
    tier: z.enum(DUMP_TIERS).default("daily"),
    /** The source server's major version ("17", "8.0"): the sidecar runs the same, and a dump from another fails. */
    majorVersion: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be the source\'s major version, such as "17" or "8.0"'),
    /**
     * The sidecar's image. @default public.ecr.aws/docker/library/postgres:<majorVersion> (mysql:<majorVersion>), the
     * Docker official images on ECR Public (no Docker Hub rate limit).
     */
    sidecarImage: z
      .string()
      .regex(
        /^[a-z0-9.-]+(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/,
        "must be an image reference with a tag or digest",
      )
      .optional(),
    /** The runbook's recovery time objective: a drill whose restore takes longer pages. */
    rtoHours: z.number().positive().max(72),
    /** The runbook's recovery point objective, compared with what the dump schedule can reach. */
    rpoHours: z
      .number()
      .positive()
      .max(24 * 400),
    /**
     * Required when the dumps cannot reach rpoHours: what does (e.g. the provider's point-in-time recovery). The
     * plan then says the dumps do not cover the RPO, and the drill's data-age alarm uses the dumps' own RPO.
     */
    pointInTimeRecovery: z.string().min(10).max(300).optional(),
    /** The largest compressed dump to restore, in GiB: sizes the task's ephemeral storage. */
    dumpGiB: z.number().positive().max(50),
    /** Parallel pg_restore jobs (postgres). @default 2 */
    restoreJobs: z.int().min(1).max(16).default(2),
    fargate: fargateSize({ cpu: 1024, memoryMb: 4096 }),
    /** @default dump.network */
    network: jobNetwork.optional(),
    /** The overdue alarm pages when no drill has passed for the longest gap between drills plus this. @default 48 */
    marginHours: z
      .number()
      .min(1)
      .max(24 * 14)
      .default(48),
    /** Read-only checks against the restored database (one number each, within min/max). */
    checks: z.array(drillCheckSchema).max(20).default([]),
  })
  .strict();
export type DrillEntry = z.infer<typeof drillEntry>;

/** A logical dump (pg_dump / mysqldump) of one database, as the runbooks back up. */
export const dumpEntry = z
  .object({
    /** The dump user (read-only is enough); libpq sslMode defaults to "require" for supabase, "prefer" otherwise. */
    connection: databaseConnection,
    /** Private databases: the job runs in these subnets with these security groups (which must reach S3 and Secrets Manager). */
    network: jobNetwork.optional(),
    /**
     * `lambda` for dumps that finish well within Lambda's 15 minutes; `fargate` for larger ones. Both run the same
     * image and code. @default "lambda"
     */
    runsOn: z.enum(["lambda", "fargate"]).default("lambda"),
    /** @default the app's timezone */
    timezone: timezone.optional(),
    /** Newest verified dump older than this pages (critical). @default backups.rpoHours */
    rpoHours: z
      .number()
      .positive()
      .max(24 * 400)
      .optional(),
    tiers: z.partialRecord(z.enum(DUMP_TIERS), dumpTier),
    /** Lambda: timeout of one dump in seconds (max 900). Fargate: the task's size. */
    timeoutSeconds: z.int().min(60).max(900).default(900),
    /** Compressed size of one dump, for the plan's monthly cost estimate only (1 GiB when not given). */
    estimatedSizeGiB: z.number().positive().max(5120).optional(),
    memoryMb: z.int().min(512).max(10_240).default(1024),
    /** A scheduled restore drill of these dumps. */
    drill: drillEntry.optional(),
    /** The task's size; it stops itself (and fails) after `timeoutMinutes`. @default 1024 / 2048 / 360 */
    fargate: fargateTask({ cpu: 1024, memoryMb: 2048, timeoutMinutes: 360 }),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.runsOn === "fargate" && !d.network)
      ctx.addIssue({
        code: "custom",
        path: ["network"],
        message:
          "required with runsOn: fargate (a Fargate task runs in your subnets, with your security groups)",
      });
    const tiers = Object.keys(d.tiers);
    if (d.drill && !tiers.includes(d.drill.tier))
      ctx.addIssue({
        code: "custom",
        path: ["drill", "tier"],
        message: `restores a tier this database is dumped in; it has ${tiers.join(", ") || "none"}`,
      });
    if (d.drill && !d.drill.network && !d.network)
      ctx.addIssue({
        code: "custom",
        path: ["drill", "network"],
        message: "required (a drill is a Fargate task in your subnets) when the dump has no network to share",
      });
    if (tiers.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["tiers"],
        message: `needs at least one of ${DUMP_TIERS.join(", ")}`,
      });
  });
export type DumpEntry = z.infer<typeof dumpEntry>;

/**
 * S3 Replication Time Control's one threshold: it replicates 99.99% of objects within 15 minutes, and its metrics'
 * event threshold takes only 15. https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
 */
export const RTC_MINUTES = 15;

/** Replication of the dumps to the DR region: whether, and the latency bound that turns on Replication Time Control. */
export const dumpReplication = z
  .object({
    /** @default true in a prod stack that names encryption.drRegion and has a dump, else false */
    enabled: z.boolean().optional(),
    /**
     * The most minutes a new dump (or a tag change) may take to reach the DR region before it warns. Setting it turns
     * on Replication Time Control (billed per GB), whose SLA is 15 minutes, so at least 15. @default no bound, no RTC
     */
    maxLatencyMinutes: z
      .int()
      .min(
        RTC_MINUTES,
        `Replication Time Control's bound is ${RTC_MINUTES} minutes; a shorter one cannot be met`,
      )
      .max(1440)
      .optional(),
  })
  .strict();
export type DumpReplicationConfig = z.infer<typeof dumpReplication>;

export const databaseEntry = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name"),
    /** Where the database runs: only RDS kinds get snapshots; the others need logical dumps. */
    kind: z.enum(["rds-instance", "aurora-cluster", "self-hosted", "supabase"]),
    engine: z.enum(["postgres", "mysql"]),
    /** RDS DB instance or Aurora cluster identifier (RDS kinds). */
    identifier: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, "must be an RDS identifier")
      .optional(),
    /** Free text for reviewers: where a self-hosted database lives. */
    location: z.string().optional(),
    /** Logical dumps into the stack's backups bucket (any kind; the only automated backup for self-hosted and supabase). */
    dump: dumpEntry.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.engine === "mysql" && d.dump?.connection.sslMode)
      ctx.addIssue({
        code: "custom",
        path: ["dump", "connection", "sslMode"],
        message: "is libpq's setting, for postgres only; the mysqldump client takes no sslMode here",
      });
    if (d.kind === "self-hosted" && d.dump && !d.dump.network)
      ctx.addIssue({
        code: "custom",
        path: ["dump", "network"],
        message:
          "required for a self-hosted database: the subnets and security groups from which the dump job reaches it",
      });
    const rds = d.kind === "rds-instance" || d.kind === "aurora-cluster";
    if (rds && !d.identifier)
      ctx.addIssue({ code: "custom", path: ["identifier"], message: `required for kind ${d.kind}` });
    if (!rds && d.identifier)
      ctx.addIssue({
        code: "custom",
        path: ["identifier"],
        message: `only RDS kinds have an identifier, not ${d.kind}`,
      });
  });
export type DatabaseEntry = z.infer<typeof databaseEntry>;

export const backupsSection = z
  .object({
    databases: z.array(databaseEntry).min(1),
    /** RDS snapshot schedules (required when a database is on RDS). */
    schedules: z.array(scheduleEntry).min(1).optional(),
    /** RDS snapshot retention, restic `forget` semantics (required when a database is on RDS). */
    retention: z
      .object({
        keepLast: z.int().min(0).optional(),
        keepWithinDaily: duration.optional(),
        keepWithinWeekly: duration.optional(),
        keepWithinMonthly: duration.optional(),
        keepWithinYearly: duration.optional(),
      })
      .strict()
      .optional(),
    /** Newest backup (snapshot or verified dump) older than this pages (critical). */
    rpoHours: z
      .number()
      .positive()
      .max(24 * 31),
    /** The pruner never keeps fewer than this many newest snapshots per database. */
    keepLastFloor: z.int().min(1).default(3),
    /** The pruner deletes nothing when the newest snapshot is older than this. */
    freshnessHours: z.number().positive().default(48),
    maxDeletesPerRun: z.int().min(0).max(100).default(20),
    dryRun: z.boolean().default(false),
    /** RDS manual snapshots allowed per region (100 by default; raise through Service Quotas, then set it here). */
    snapshotQuota: z.int().min(1).default(100),
    /** Copy snapshots to encryption.drRegion. */
    copyToDr: z.boolean().optional(),
    /** S3 Replication of the dumps bucket and the vault to encryption.drRegion (on by default in prod with a DR region). */
    dumpReplication: dumpReplication.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    refuseDuplicateNames(ctx, b.databases, ["databases"], "database");
    const rds = b.databases.some((d) => d.kind === "rds-instance" || d.kind === "aurora-cluster");
    for (const key of ["schedules", "retention"] as const) {
      if (rds && b[key] === undefined)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "required when a database is on RDS (snapshots)",
        });
    }
    // The vault bucket has one default retention: every locked tier must share it.
    const locks = new Map<string, string>();
    for (const [i, d] of b.databases.entries()) {
      for (const [tier, t] of Object.entries(d.dump?.tiers ?? {})) {
        if (!t?.objectLock) continue;
        const lock = `${t.objectLock} ${t.retention} days`;
        const first = locks.values().next().value;
        if (first !== undefined && first !== lock)
          ctx.addIssue({
            code: "custom",
            path: ["databases", i, "dump", "tiers", tier, "objectLock"],
            message: `every Object Lock tier goes to one vault bucket with one default retention; this one is ${lock}, another is ${first}`,
          });
        locks.set(`${d.name}/${tier}`, lock);
      }
    }
    const rdsOnly = ["schedules", "retention", "copyToDr"] as const;
    if (!rds) {
      for (const key of rdsOnly) {
        if (b[key] !== undefined && b[key] !== false)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message:
              "applies to RDS snapshots only and no database here is on RDS; dumps take their schedules and retention from databases[].dump.tiers",
          });
      }
    }
    const r = b.retention;
    // keepLast 0 is restic's "unset": a policy of nothing else is empty and keeps every snapshot forever.
    if (
      r &&
      !(r.keepLast !== undefined && r.keepLast >= 1) &&
      !r.keepWithinDaily &&
      !r.keepWithinWeekly &&
      !r.keepWithinMonthly &&
      !r.keepWithinYearly
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["retention"],
        message: "needs at least one rule that keeps something (keepLast >= 1 or a keepWithin* window)",
      });
    }
  });
export type BackupsConfig = z.infer<typeof backupsSection>;
