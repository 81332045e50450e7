// JOB_CONFIG and event schemas of the logical dump job (one database per job; Lambda or Fargate, same code).
import { z } from "zod";

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
    bucket: z.string().min(3),
    kmsKeyArn: z.string().startsWith("arn:"),
  })
  .strict();
export type DumpConfig = z.infer<typeof dumpConfigSchema>;

export const dumpEventSchema = z
  .object({
    tier: z.enum(["daily", "weekly", "monthly", "yearly"]),
    scheduledTime: z.iso.datetime({
      offset: true,
      error: "must be an ISO-8601 time such as 2027-01-01T02:00:00Z",
    }),
  })
  .strict();
