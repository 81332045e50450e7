// Config section `maintenance:logs`: application log groups, hot retention, the archive bucket's lifecycle, archival path.
import { z } from "zod";
import { lifecycleProblems } from "../policies/lifecycle";
import { logRetentionDays, scheduleEntry } from "./rules";

const storageClass = z.enum([
  "STANDARD_IA",
  "INTELLIGENT_TIERING",
  "ONEZONE_IA",
  "GLACIER_IR",
  "GLACIER",
  "DEEP_ARCHIVE",
]);

export const logsSection = z
  .object({
    /** Log groups by exact name, each archived by export (daily tasks) or stream (subscription into Firehose). */
    logGroups: z
      .array(
        z
          .object({ name: z.string().min(1).max(512), path: z.enum(["export", "stream"]).default("export") })
          .strict(),
      )
      .default([]),
    /** Groups that exist outside the stack, matched by prefix: exported and brought to hotRetentionDays by the job. */
    logGroupPrefixes: z.array(z.string().min(1)).default([]),
    hotRetentionDays: logRetentionDays,
    archive: z
      .object({
        transitions: z.array(z.object({ days: z.int().min(0), storageClass }).strict()).default([]),
        expirationDays: z.int().min(1),
        acceptEarlyDeletion: z.boolean().default(false),
      })
      .strict()
      .superRefine((a, ctx) => {
        for (const problem of lifecycleProblems({ id: "archive", ...a }))
          ctx.addIssue({ code: "custom", message: problem });
      }),
    maxBackfillDays: z.int().min(1).max(365).default(14),
    /** Hourly: each run exports whatever became exportable (D+1 12:00 UTC) and reports how far behind each group is. */
    schedule: scheduleEntry.default({ name: "hourly", expression: "cron(20 * * * ? *)", timezone: "UTC" }),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.logGroups.length + l.logGroupPrefixes.length === 0) {
      ctx.addIssue({ code: "custom", path: ["logGroups"], message: "list at least one log group or prefix" });
    }
  });
export type LogsConfig = z.infer<typeof logsSection>;
