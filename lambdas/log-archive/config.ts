// JOB_CONFIG and event schemas of the log archival job.
import { z } from "zod";

export const archiveConfigSchema = z
  .object({
    bucket: z.string().min(3),
    prefix: z.string().regex(/^[A-Za-z0-9/_-]+$/, "must be an S3 key prefix such as logs"),
    logGroups: z.array(z.string().min(1)).default([]),
    logGroupPrefixes: z.array(z.string().min(1)).default([]),
    retentionDays: z.int().min(1),
    maxBackfillDays: z.int().min(1).max(365),
  })
  .strict()
  .refine((c) => c.logGroups.length + c.logGroupPrefixes.length > 0, {
    message: "list logGroups or logGroupPrefixes",
  });

export const archiveEventSchema = z.object({ scheduledTime: z.string().optional() }).strict();
