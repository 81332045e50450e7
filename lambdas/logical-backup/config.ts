// JOB_CONFIG and event schemas of the logical dump job (one database per job; Lambda or Fargate, same code) and of
// the verification job (every dump database of a stack).
import { z } from "zod";

export const TIERS = ["daily", "weekly", "monthly", "yearly"] as const;
/** The tag the bucket's lifecycle expiration filters on; only the verification job's expiry rules set it. */
export const EXPIRE_TAG = "expire";
/** A dump an operator tagged keep=true is never marked for expiry (and so never expires), whatever its age. */
export const KEEP_TAG = "keep";
const tier = z.enum(TIERS);

export const dumpConfigSchema = z
  .object({
    database: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name"),
    engine: z.enum(["postgres", "mysql"]),
    host: z.string().min(1),
    port: z.int().min(1).max(65_535),
    databaseName: z.string().min(1),
    user: z.string().min(1),
    /** The password is read from Secrets Manager at run time; only its ARN is configuration. */
    passwordSecretArn: z.string().startsWith("arn:", "must be a Secrets Manager secret ARN"),
    /** libpq sslmode (postgres only). */
    sslMode: z.enum(["disable", "prefer", "require", "verify-full"]).optional(),
    /** The backups bucket: dumps stream into its `.incoming/` prefix and land here unless their tier is locked. */
    bucket: z.string().min(3),
    /** Tiers whose dumps land in another bucket (the Object Lock vault), copied from the staging object. */
    tierBuckets: z.partialRecord(tier, z.string().min(3)).default({}),
    kmsKeyArn: z.string().startsWith("arn:"),
  })
  .strict();
export type DumpConfig = z.infer<typeof dumpConfigSchema>;

export const dumpEventSchema = z
  .object({
    tier,
    scheduledTime: z.iso.datetime({
      offset: true,
      error: "must be an ISO-8601 time such as 2027-01-01T02:00:00Z",
    }),
  })
  .strict();
export type DumpEvent = z.infer<typeof dumpEventSchema>;

export const verifyConfigSchema = z
  .object({
    /** Every bucket dumps may land in (the backups bucket and, when a tier is locked, the vault). */
    buckets: z.array(z.string().min(3)).min(1),
    databases: z
      .array(
        z
          .object({
            database: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
            engine: z.enum(["postgres", "mysql"]),
            /** Days each tier's dumps are kept before they may be marked for expiry; tiers not listed never are. */
            retentionDays: z.partialRecord(tier, z.int().min(1)).default({}),
            /** This database's freshness limit for marking (its RPO may be longer than the stack's). */
            freshnessSeconds: z.int().min(3600).optional(),
          })
          .strict(),
      )
      .min(1),
    /** Rules for marking dumps expire=true (the only way lifecycle deletes one). */
    expiry: z
      .object({
        keepLastFloor: z.int().min(1),
        freshnessSeconds: z.int().min(3600),
        maxMarksPerRun: z.int().min(0).max(1000),
        dryRun: z.boolean(),
      })
      .strict()
      .default({ keepLastFloor: 3, freshnessSeconds: 48 * 3600, maxMarksPerRun: 20, dryRun: false }),
    /** Dumps tried per database, newest first, before the run gives up on finding a good one. */
    maxCandidates: z.int().min(1).max(20).default(3),
    /**
     * The DR copies (S3 Replication into the DR region): the run reports the age of each database's newest replica
     * that carries the source's `verified=ok` tag. A restore from the DR copy reads these buckets in this region.
     */
    dr: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-west-2"),
        /** The DR replicas of `buckets`, in the same order (the dumps bucket's, then the vault's). */
        buckets: z.array(z.string().min(3)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();
export type VerifyConfig = z.infer<typeof verifyConfigSchema>;

export const verifyEventSchema = z
  .object({
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    /** The database this run verifies (its own schedule); absent: all of them in turn. */
    database: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,40}$/)
      .optional(),
  })
  .strict();
