// The reminders a stack's config asks for, resolved into Scheduler schedules (pure): each due date, its follow-up, and
// each announcement ahead of another schedule, with the message Scheduler publishes and the SNS and Scheduler limits.
import { SCHEDULER_INPUT_MAX_CHARS } from "../core/aws-limits";
import type { ScheduleCatalog } from "../core/schedule-catalog";
import { windowRef } from "../core/schedule-catalog";
import { atTimeOfDay, shiftExpression } from "../core/schedule-shift";
import { ConfigError } from "../config";
import type { ReminderConfig } from "../config/reminders";
import { SNS_SUBJECT_MAX_CHARS } from "../config/reminders";

/** SNS Publish: a message is at most 256 KiB (262,144 bytes) in UTF-8. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/** Scheduler's context attributes, replaced in the input at each invocation (managing-schedule-context-attributes). */
export const CONTEXT = {
  scheduledTime: "<aws.scheduler.scheduled-time>",
  executionId: "<aws.scheduler.execution-id>",
  scheduleArn: "<aws.scheduler.schedule-arn>",
} as const;

export type ReminderKind = "due" | "follow-up" | "announcement";

export interface PlannedReminder {
  /** Child name suffix and schedule name part: the reminder's name, `-followup` for its follow-up. */
  readonly id: string;
  readonly reminder: string;
  readonly kind: ReminderKind;
  readonly expression: string;
  readonly timezone: string;
  readonly severity: "info" | "warning";
  readonly text: string;
  readonly runbookSection: string;
  /** For an announcement: the catalog reference of the schedule it announces and how many days ahead. */
  readonly announces?: { readonly ref: string; readonly days: number };
}

export interface ReminderContext {
  readonly stack: string;
  readonly stackFile: string;
  readonly app: string;
  readonly timezone: string;
  /** Where the application keeps its runbook (`app.runbook`), when the stack names it. */
  readonly runbook?: string;
  /** Base URL of this repository: the message links the task's row in docs/runbooks/<app>.md. */
  readonly runbookBaseUrl: string;
}

/** Resolves each reminder (and follow-up) against the catalog; throws naming the stack file and key. */
export function planReminders(
  reminders: readonly ReminderConfig[],
  catalog: ScheduleCatalog,
  ctx: ReminderContext,
): PlannedReminder[] {
  const out: PlannedReminder[] = [];
  const problems: string[] = [];
  for (const [i, r] of reminders.entries()) {
    const key = `maintenance:reminders[${i}]`;
    let expression = r.expression;
    let timezone = r.timezone ?? ctx.timezone;
    let announces: PlannedReminder["announces"];
    if (r.leadTime) {
      const { before, days } = r.leadTime;
      const ref = before.window !== undefined ? windowRef(before.window) : before.schedule!;
      const target = catalog.get(ref);
      if (!target) {
        problems.push(
          `${key}.leadTime.before.${before.window !== undefined ? "window" : "schedule"}: no schedule ${ref} in this stack; it has ${catalog.refs().join(", ") || "none"}`,
        );
        continue;
      }
      try {
        expression = shiftExpression(target.expression, -days);
        if (r.leadTime.at) expression = atTimeOfDay(expression, r.leadTime.at);
      } catch (e) {
        problems.push(
          `${key}.leadTime.days: ${(e as Error).message} (it announces ${ref}, ${target.expression})`,
        );
        continue;
      }
      timezone = target.timezone;
      announces = { ref, days };
    }
    const base = { reminder: r.name, timezone, severity: r.severity, runbookSection: r.runbookSection };
    out.push({
      ...base,
      id: r.name,
      kind: announces ? "announcement" : "due",
      expression: expression!,
      text: r.text,
      ...(announces ? { announces } : {}),
    });
    if (r.followUp) {
      try {
        out.push({
          ...base,
          id: `${r.name}-followup`,
          kind: "follow-up",
          expression: shiftExpression(expression!, r.followUp.afterDays),
          text: r.followUp.text,
        });
      } catch (e) {
        problems.push(`${key}.followUp.afterDays: ${(e as Error).message}`);
      }
    }
  }
  // Found once the other capabilities declared their schedules: still before pulumi up changes anything.
  if (problems.length) throw new ConfigError(ctx.stackFile, problems);
  return out;
}

/** GitHub's heading anchor for a task's row: lowercase, spaces to '-', punctuation dropped. */
export function anchorOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
}

/** The Publish request Scheduler sends: subject and message, with the scheduled time and execution id filled in. */
export function reminderPublishInput(
  r: PlannedReminder,
  topicArn: string,
  ctx: ReminderContext,
): { TopicArn: string; Subject: string; Message: string } {
  const label =
    r.kind === "follow-up" ? "follow-up" : r.kind === "announcement" ? "announcement" : "reminder";
  const subject = `[${r.severity.toUpperCase()}] ${ctx.app} ${label}: ${r.reminder}`.slice(
    0,
    SNS_SUBJECT_MAX_CHARS,
  );
  const lines = [
    r.text,
    "",
    `Runbook: ${ctx.runbook ?? ctx.app} > ${r.runbookSection}`,
    `Task: ${ctx.runbookBaseUrl}/docs/runbooks/${ctx.app}.md#${anchorOf(r.reminder)}`,
    ...(r.announces ? [`Announces: ${r.announces.ref}, ${r.announces.days} day(s) ahead`] : []),
    `Scheduled for: ${CONTEXT.scheduledTime} (${r.expression} ${r.timezone})`,
    `Execution: ${CONTEXT.executionId}`,
    `Schedule: ${CONTEXT.scheduleArn}`,
    `Stack: ${ctx.stack}`,
  ];
  return { TopicArn: topicArn, Subject: subject, Message: lines.join("\n") };
}

/** Why a Publish input breaks SNS's or Scheduler's limits (subject ASCII and length, message bytes, input chars), or null. */
export function publishInputProblem(
  input: { Subject: string; Message: string },
  inputText: string,
): string | null {
  if (!/^[\x20-\x7e]+$/.test(input.Subject))
    return `subject "${input.Subject}" must be printable ASCII without line breaks (SNS)`;
  if (input.Subject.length > SNS_SUBJECT_MAX_CHARS)
    return `subject over ${SNS_SUBJECT_MAX_CHARS} characters (SNS)`;
  if (Buffer.byteLength(input.Message, "utf8") > SNS_MESSAGE_MAX_BYTES)
    return `message over ${SNS_MESSAGE_MAX_BYTES} bytes (SNS)`;
  if (inputText.length > SCHEDULER_INPUT_MAX_CHARS)
    return `Scheduler input is ${inputText.length} characters, over ${SCHEDULER_INPUT_MAX_CHARS}`;
  return null;
}
