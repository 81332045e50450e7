// Reminders of the runbook's human tasks: one EventBridge Scheduler schedule each (universal target sns:publish to
// the severity's topic, its own retry policy and DLQ), one scheduler role, and an alarm on each DLQ.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, anyInFiveMinutes, metricAlarm, queueDepth } from "../core/alarm";
import { physicalName } from "../core/naming";
import { FAILURE_ROUTE } from "../core/on-call-paging";
import { trustPolicy } from "../core/policies/job-role";
import { reminderSchedulerPolicy } from "./reminder-policy";
import {
  type PlannedReminder,
  publishInputProblem,
  type ReminderContext,
  reminderPublishInput,
} from "./reminder-plan";

/** Scheduler's SNS Publish universal target. https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html */
export const SNS_PUBLISH_TARGET = "arn:aws:scheduler:::aws-sdk:sns:publish";

/**
 * A reminder is not urgent but must not be lost: Scheduler retries for up to a day (its maxima: 185 attempts,
 * 86400 s; https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html) before dead-lettering.
 */
export const REMINDER_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 } as const;

export interface HumanTaskRemindersArgs {
  readonly context: ReminderContext;
  readonly namePrefix: string;
  readonly reminders: readonly PlannedReminder[];
  readonly scheduleGroupName: pulumi.Input<string>;
  readonly routing: AlarmRouting;
  /** The messaging key: the topics' and the DLQs' encryption key. */
  readonly messagingKmsKeyArn: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
}

export class HumanTaskReminders extends pulumi.ComponentResource {
  readonly scheduleNames: string[];

  constructor(name: string, args: HumanTaskRemindersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:reminders:HumanTaskReminders", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const role = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "reminders-scheduler"),
        assumeRolePolicy: pulumi
          .all([identity.accountId, args.scheduleGroupName])
          .apply(([a, g]) =>
            JSON.stringify(
              trustPolicy("scheduler.amazonaws.com", a, `arn:aws:scheduler:*:${a}:schedule/${g}/*`),
            ),
          ),
        tags: args.tags,
      },
      parent,
    );
    const dlqs = args.reminders.map(
      (r) =>
        new aws.sqs.Queue(
          `${name}-${r.id}-dlq`,
          {
            name: physicalName("sqsQueue", args.namePrefix, "reminder", r.id, "dlq"),
            kmsMasterKeyId: args.messagingKmsKeyArn,
            kmsDataKeyReusePeriodSeconds: 300,
            // SQS's maximum: an undelivered reminder stays 14 days to be read and redriven.
            messageRetentionSeconds: 1_209_600,
            tags: args.tags,
          },
          parent,
        ),
    );
    const severities = [...new Set(args.reminders.map((r) => r.severity))].sort();
    const policy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([
            pulumi.all(severities.map((s) => args.routing.topicArns[s])),
            pulumi.all(dlqs.map((q) => q.arn)),
            pulumi.output(args.messagingKmsKeyArn),
          ])
          .apply(([topics, queues, key]) => JSON.stringify(reminderSchedulerPolicy(topics, queues, [key]))),
      },
      parent,
    );
    this.scheduleNames = args.reminders.map((r, i) =>
      this.declareSchedule(name, args, r, role, dlqs[i]!, policy),
    );
    this.registerOutputs({});
  }

  private declareSchedule(
    name: string,
    args: HumanTaskRemindersArgs,
    r: PlannedReminder,
    role: aws.iam.Role,
    dlq: aws.sqs.Queue,
    policy: aws.iam.RolePolicy,
  ): string {
    const scheduleName = physicalName("schedule", args.namePrefix, "reminder", r.id);
    const input = pulumi.output(args.routing.topicArns[r.severity]).apply((topic) => {
      const publish = reminderPublishInput(r, topic, args.context);
      const text = JSON.stringify(publish);
      const problem = publishInputProblem(publish, text);
      if (problem)
        throw new Error(`${args.context.stackFile}: reminder ${r.id}: ${problem}; shorten its text`);
      return text;
    });
    new aws.scheduler.Schedule(
      `${name}-${r.id}`,
      {
        name: scheduleName,
        groupName: args.scheduleGroupName,
        description:
          `${r.kind === "due" ? "Reminder" : r.kind === "follow-up" ? "Follow-up" : "Announcement"}: ${r.runbookSection}`.slice(
            0,
            512,
          ),
        scheduleExpression: r.expression,
        scheduleExpressionTimezone: r.timezone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: SNS_PUBLISH_TARGET,
          roleArn: role.arn,
          input,
          retryPolicy: { ...REMINDER_RETRY },
          deadLetterConfig: { arn: dlq.arn },
        },
      },
      { parent: this, dependsOn: [policy] },
    );
    metricAlarm(
      `${name}-${r.id}-dlq`,
      // The reminder's own channel may be the one failing: tell another (as a failing topic's alarm does).
      anyInFiveMinutes(
        FAILURE_ROUTE[r.severity],
        "reminder-undelivered",
        `Reminder ${r.id} could not be published after a day of retries (DLQ not empty): nobody was told to ${r.runbookSection}.`,
        queueDepth(dlq.name),
      ),
      args.routing,
      { parent: this },
    );
    return scheduleName;
  }
}
