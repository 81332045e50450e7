// Config section `maintenance:reminders`: the runbook's human tasks, each a schedule that reminds a severity's channel,
// optionally followed up after some days or timed as an announcement ahead of another schedule of the stack.
import { z } from "zod";
import { shiftExpression } from "../core/schedule-shift";
import { windowStartCron } from "../core/schedule-catalog";
import { refuseDuplicateNames, scheduleExpression, timezone } from "./rules";

/** SNS Publish: a subject is at most 100 printable ASCII characters, no line breaks. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const SNS_SUBJECT_MAX_CHARS = 100;

const days = z.int().min(1).max(28).describe("whole days, 1-28");

export const reminderEntry = z
  .object({
    /** Short id: the schedule is `<app>-reminder-<name>`. */
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,30}$/,
        "must be a short lowercase id (a-z0-9-, up to 31 chars) such as api-keys",
      ),
    /** When the task is due, in `timezone`; or leave it out and set `leadTime`. */
    expression: scheduleExpression.optional(),
    /** @default the app's timezone */
    timezone: timezone.optional(),
    /** An announcement `days` before each run of another schedule of the stack, in that schedule's timezone. */
    leadTime: z
      .object({
        before: z
          .object({
            /** A maintenance window's name (`monitoring.maintenanceWindows[].name`): announced before it opens. */
            window: z.string().optional(),
            /** A Scheduler schedule's name as the plan records it (`inputs.name`), e.g. `skillswap-dump-skillswap-daily`. */
            schedule: z.string().optional(),
          })
          .strict()
          .refine((b) => (b.window === undefined) !== (b.schedule === undefined), {
            message: "name exactly one of window or schedule",
          }),
        days,
        /** Local time of day of the announcement, `HH:MM`. @default the announced schedule's own time */
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:MM, e.g. 10:00")
          .optional(),
      })
      .strict()
      .optional(),
    /** info reaches the info channel, warning the warning channel; a reminder never pages (no critical). */
    severity: z.enum(["info", "warning"]),
    /** What to do, in a sentence or two; it is the message's first line. */
    text: z.string().min(1).max(600),
    /** The runbook section it comes from, e.g. "Security Maintenance > API Key Rotation". */
    runbookSection: z.string().min(1).max(200),
    /** A second reminder `afterDays` after each run, e.g. the end of a grace period. */
    followUp: z
      .object({ afterDays: days, text: z.string().min(1).max(600) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.expression === undefined) === (r.leadTime === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["expression"],
        message:
          "set exactly one of expression (when the task is due) or leadTime (ahead of another schedule)",
      });
    if (r.leadTime && r.timezone)
      ctx.addIssue({
        code: "custom",
        path: ["timezone"],
        message: "a leadTime reminder runs in the timezone of the schedule it announces; leave timezone out",
      });
    if (r.expression && r.followUp) {
      const problem = shiftProblem(r.expression, r.followUp.afterDays);
      if (problem) ctx.addIssue({ code: "custom", path: ["followUp", "afterDays"], message: problem });
    }
  });

export const remindersSection = z
  .array(reminderEntry)
  .max(50)
  .superRefine((list, ctx) => {
    refuseDuplicateNames(ctx, list, [], "reminder name");
  });
export type ReminderConfig = z.infer<typeof reminderEntry>;
export type RemindersConfig = z.infer<typeof remindersSection>;

/** Why `expression` cannot be moved by `days`, or null. */
export function shiftProblem(expression: string, days: number): string | null {
  try {
    shiftExpression(expression, days);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Rules against other sections, checked before anything is declared: a window a lead time names must exist and its
 * opening must shift by the lead. (A schedule named by `before.schedule` is checked once the capabilities that
 * declare schedules have run, still before `pulumi up` changes anything.)
 */
export function reminderWindowProblems(
  reminders: RemindersConfig,
  windows: readonly { name: string; day: string; start: string }[],
  key: string,
): string[] {
  const problems: string[] = [];
  for (const [i, r] of reminders.entries()) {
    const name = r.leadTime?.before.window;
    if (name === undefined) continue;
    const w = windows.find((x) => x.name === name);
    if (!w) {
      problems.push(
        `${key}[${i}].leadTime.before.window: no maintenance window "${name}" (monitoring.maintenanceWindows has ${windows.map((x) => x.name).join(", ") || "none"})`,
      );
      continue;
    }
    const problem = shiftProblem(windowStartCron(w), -r.leadTime!.days);
    if (problem) problems.push(`${key}[${i}].leadTime.days: ${problem}`);
  }
  return problems;
}
