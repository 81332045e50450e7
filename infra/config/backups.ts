// Config section `maintenance:backups`: databases, backup schedules, restic-style retention, RPO and pruning limits.
import { z } from "zod";
import { parseDuration } from "../../lambdas/backup/retention";
import { scheduleEntry } from "./rules";

const duration = z.string().superRefine((value, ctx) => {
  try {
    parseDuration(value);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

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
  })
  .strict()
  .superRefine((d, ctx) => {
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
    schedules: z.array(scheduleEntry).min(1),
    retention: z
      .object({
        keepLast: z.int().min(0).optional(),
        keepWithinDaily: duration.optional(),
        keepWithinWeekly: duration.optional(),
        keepWithinMonthly: duration.optional(),
        keepWithinYearly: duration.optional(),
      })
      .strict(),
    /** Newest backup older than this pages (critical). */
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
    copyToDr: z.boolean().default(false),
  })
  .strict()
  .superRefine((b, ctx) => {
    const names = new Set<string>();
    for (const [i, d] of b.databases.entries()) {
      if (names.has(d.name))
        ctx.addIssue({
          code: "custom",
          path: ["databases", i, "name"],
          message: `duplicate database "${d.name}"`,
        });
      names.add(d.name);
    }
    const r = b.retention;
    if (
      r.keepLast === undefined &&
      !r.keepWithinDaily &&
      !r.keepWithinWeekly &&
      !r.keepWithinMonthly &&
      !r.keepWithinYearly
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["retention"],
        message: "needs at least one rule (keepLast or keepWithin*)",
      });
    }
  });
export type BackupsConfig = z.infer<typeof backupsSection>;
