// Config section `maintenance:logs`: application log groups, hot retention, the archive bucket's lifecycle, archival path.
import { z } from "zod";
import { lifecycleProblems } from "../core/policies/lifecycle";
import { logRetentionDays, scheduleEntry } from "./rules";

const storageClass = z.enum([
  "STANDARD_IA",
  "INTELLIGENT_TIERING",
  "ONEZONE_IA",
  "GLACIER_IR",
  "GLACIER",
  "DEEP_ARCHIVE",
]);

/** The shortest hot retention that leaves room to page before an exported group's unarchived logs are deleted. */
export const MIN_EXPORTED_RETENTION_DAYS = 5;

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
    /** @default min(14, hotRetentionDays - 2): a backfill exports only days CloudWatch still holds whole. */
    maxBackfillDays: z.int().min(1).max(365).optional(),
    /** Hourly: each run exports whatever became exportable (D+1 12:00 UTC) and reports how far behind each group is. */
    schedule: scheduleEntry.default({ name: "hourly", expression: "cron(20 * * * ? *)", timezone: "UTC" }),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.logGroups.length + l.logGroupPrefixes.length === 0) {
      ctx.addIssue({ code: "custom", path: ["logGroups"], message: "list at least one log group or prefix" });
    }
    const exported = l.logGroupPrefixes.length > 0 || l.logGroups.some((g) => g.path === "export");
    if (!exported) return;
    // Day D is exported from D+1 12:00 UTC, when it began 1.5 days ago; the critical days-behind page must still
    // come 1.5 days before CloudWatch deletes the oldest unarchived day (infra/log-archive.ts, daysBehindThresholds).
    if (l.hotRetentionDays < MIN_EXPORTED_RETENTION_DAYS)
      ctx.addIssue({
        code: "custom",
        path: ["hotRetentionDays"],
        message: `${l.hotRetentionDays} is too short for exported log groups (at least ${MIN_EXPORTED_RETENTION_DAYS}): day D is exported from D+1 12:00 UTC, and the critical days-behind page must come 1.5 days before CloudWatch deletes the oldest unarchived day`,
      });
    // The oldest day a backfill exports began up to maxBackfillDays + 1.5 days ago: it must still be whole.
    if (l.maxBackfillDays !== undefined && l.maxBackfillDays > l.hotRetentionDays - 2)
      ctx.addIssue({
        code: "custom",
        path: ["maxBackfillDays"],
        message: `${l.maxBackfillDays} is more than hotRetentionDays - 2 (${l.hotRetentionDays - 2}): a backfill would export days CloudWatch has already (partly) deleted, and a day whose export finds nothing is retried every run`,
      });
  })
  .transform((l) => ({
    ...l,
    maxBackfillDays: l.maxBackfillDays ?? Math.max(1, Math.min(14, l.hotRetentionDays - 2)),
  }));
export type LogsConfig = z.infer<typeof logsSection>;
