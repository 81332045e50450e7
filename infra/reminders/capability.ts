// The reminders capability (`maintenance:reminders`): the runbook's human tasks as Scheduler reminders to the
// severity's channel. Declared after every capability that declares schedules, so a lead time can name any of them.
import { capability } from "../capability";
import { stackFileOf } from "../config";
import { dstWarnings } from "../core/job/schedules";
import { HumanTaskReminders } from "./human-task-reminders";
import { planReminders } from "./reminder-plan";

export const reminders = capability({
  section: "reminders",
  declare(config, shared) {
    const context = {
      stack: shared.stack,
      stackFile: stackFileOf(shared.stack),
      app: shared.namePrefix,
      timezone: shared.timezone,
      runbookBaseUrl: shared.routing.runbookBaseUrl,
      ...(shared.runbook ? { runbook: shared.runbook } : {}),
    };
    const planned = planReminders(config, shared.schedules, context);
    new HumanTaskReminders(`${shared.namePrefix}-reminders`, {
      context,
      namePrefix: shared.namePrefix,
      reminders: planned,
      scheduleGroupName: shared.scheduleGroupName,
      routing: shared.routing,
      messagingKmsKeyArn: shared.keys.arn("messaging"),
      tags: shared.tags,
    });
    return {
      warnings: dstWarnings(
        `${shared.namePrefix} reminders`,
        planned.map((r) => ({ name: r.id, expression: r.expression, timezone: r.timezone })),
        new Date(),
      ),
      notes: planned.map(
        (r) =>
          `reminder ${r.id} (${r.severity}): ${r.expression} ${r.timezone}${r.announces ? `, ${r.announces.days}d before ${r.announces.ref}` : ""} - ${r.runbookSection}`,
      ),
      dashboard: {},
    };
  },
});
