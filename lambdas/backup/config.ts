// JOB_CONFIG and event schemas of the RDS backup and backup-verify jobs (the stack builds the same JSON from its config).
import { z } from "zod";
import { validatePolicy } from "./retention";

export const databaseSchema = z
  .object({
    /** Name used in tags and snapshot identifiers. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name"),
    /** RDS DB instance identifier or Aurora DB cluster identifier. */
    identifier: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, "must be an RDS identifier"),
    kind: z.enum(["instance", "cluster"]),
  })
  .strict();
export type DatabaseRef = z.infer<typeof databaseSchema>;

const retentionSchema = z
  .object({
    keepLast: z.int().min(0).optional(),
    keepWithinDaily: z.string().optional(),
    keepWithinWeekly: z.string().optional(),
    keepWithinMonthly: z.string().optional(),
    keepWithinYearly: z.string().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    try {
      validatePolicy(p);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  });

export const backupConfigSchema = z
  .object({
    stack: z.string().min(1),
    region: z.string().min(1),
    kmsKeyArn: z.string().startsWith("arn:"),
    dr: z
      .object({ region: z.string().min(1), kmsKeyArn: z.string().startsWith("arn:") })
      .strict()
      .optional(),
    databases: z.array(databaseSchema).min(1),
    retention: retentionSchema,
    /** The pruner never keeps fewer than this many newest snapshots per database, whatever the policy says. */
    keepLastFloor: z.int().min(1),
    /** The pruner deletes nothing when the newest snapshot is older than this (a stalled job must not age out copies). */
    freshnessHours: z.number().positive(),
    /** DR copies arrive later than primaries; their freshness bound. */
    drFreshnessHours: z.number().positive(),
    maxDeletesPerRun: z.int().min(0),
    dryRun: z.boolean(),
    /** For backup-verify: the newest snapshot must be younger than this. */
    rpoHours: z.number().positive(),
  })
  .strict();
export type BackupConfig = z.infer<typeof backupConfigSchema>;

export const backupEventSchema = z
  .object({
    /** The schedule's name, e.g. daily or every-6h. */
    tier: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "must be a schedule name such as daily"),
    /** `<aws.scheduler.scheduled-time>`: the slot this run is for; snapshot identifiers derive from it. */
    scheduledTime: z.iso.datetime({
      offset: true,
      error: "must be an ISO-8601 time such as 2027-01-01T02:00:00Z",
    }),
    /** Overrides JOB_CONFIG.dryRun to true for this run (never to false). */
    dryRun: z.boolean().optional(),
  })
  .strict();
export type BackupEvent = z.infer<typeof backupEventSchema>;

export const verifyEventSchema = z
  .object({ scheduledTime: z.iso.datetime({ offset: true }).optional() })
  .strict();
