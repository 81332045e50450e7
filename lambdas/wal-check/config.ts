// The WAL check's settings (JOB_CONFIG) and event: which pgBackRest repository in which bucket to look at.
import { z } from "zod";

export const walCheckConfigSchema = z
  .object({
    bucket: z.string().min(3),
    region: z.string().min(1),
    /** pgBackRest's repo1-path, e.g. /pgbackrest/main (S3 keys carry it without the leading /). */
    repoPath: z.string().regex(/^\/[\w./-]+$/),
    stanza: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/),
  })
  .strict();
export type WalCheckConfig = z.infer<typeof walCheckConfigSchema>;

export const walCheckEventSchema = z.object({ scheduledTime: z.string().optional() }).strict();
