// JOB_CONFIG and event of the restore drill (one database per job, a Fargate task with a database sidecar), and of
// the hourly drill-age report that watches that drills keep succeeding.
import { z } from "zod";
import { TIERS } from "./config";

const dbName = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name");

/** A read-only check run against the restored database: one numeric value, within [min, max] when given. */
export const drillCheckSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a short lowercase id"),
    /** One SELECT returning one number; it runs in a READ ONLY transaction, so it can change nothing. */
    sql: z.string().min(1).max(2000),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();
export type DrillCheck = z.infer<typeof drillCheckSchema>;

export const drillConfigSchema = z
  .object({
    database: dbName,
    engine: z.enum(["postgres", "mysql"]),
    /** The tier whose newest verified dump is restored. */
    tier: z.enum(TIERS),
    /** Every bucket the database's dumps may be in (the backups bucket and, with a locked tier, the vault). */
    buckets: z.array(z.string().min(3)).min(1),
    /** Where the drill's reports go (`<database>/<run>.json` and `.md`). */
    reportsBucket: z.string().min(3),
    kmsKeyArn: z.string().startsWith("arn:"),
    /** The throwaway database server: the task's sidecar on loopback. Nothing else is ever connected to. */
    target: z
      .object({
        host: z.string().min(1),
        port: z.int().min(1).max(65_535),
        user: z.string().min(1),
        /** The database the drill connects to first, to create its scratch database. */
        maintenanceDatabase: z.string().min(1),
      })
      .strict(),
    /** The sidecar's major version ("17", "8.0"): a dump from another major version fails the drill. */
    majorVersion: z.string().regex(/^\d+(\.\d+)?$/),
    /** Parallel pg_restore jobs (postgres); mysql restores one stream. */
    restoreJobs: z.int().min(1).max(64).default(2),
    /** A restore still running after this is stopped and reported as timed out. */
    restoreTimeoutSeconds: z.int().min(60),
    /** How long the restored database may take to answer its first query. */
    readyTimeoutSeconds: z.int().min(1).default(120),
    /** Verified dumps looked at, newest first, before the drill gives up on finding one. */
    maxCandidates: z.int().min(1).max(50).default(10),
    checks: z.array(drillCheckSchema).max(50).default([]),
    /** Where the dump is downloaded (the task's ephemeral storage). */
    workDir: z.string().startsWith("/"),
  })
  .strict();
export type DrillConfig = z.infer<typeof drillConfigSchema>;

export const drillEventSchema = z
  .object({
    scheduledTime: z.iso.datetime({ offset: true }),
  })
  .strict();

export const drillAgeConfigSchema = z
  .object({
    reportsBucket: z.string().min(3),
    kmsKeyArn: z.string().startsWith("arn:"),
    databases: z.array(dbName).min(1),
  })
  .strict();
export type DrillAgeConfig = z.infer<typeof drillAgeConfigSchema>;

/** A drill's report, without its `.json` / `.md` suffix (under `reports/`, which lifecycle expires). */
export const reportKey = (database: string, at: Date) =>
  `reports/${database}/${at.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
/** The object the drill rewrites after every passing drill; the age report reads it (under `state/`, kept). */
export const lastPassKey = (database: string) => `state/${database}/last-pass.json`;
/** When the age report first looked at a database that had no passing drill yet: its age counts from there. */
export const watchStartedKey = (database: string) => `state/${database}/watch-started.json`;
