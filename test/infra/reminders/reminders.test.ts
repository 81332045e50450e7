// Reminders as the program declares them for mental-scribe-prod (exact schedule, target, input, role and DLQ), the
// message within SNS's limits, and the day shifts lead times and follow-ups use.
import { recordStack, type RecordedStack } from "../../../scripts/lib/record-stack";
import { shiftExpression } from "../../../infra/core/schedule-shift";
import { SNS_MESSAGE_MAX_BYTES } from "../../../infra/reminders/reminder-plan";
import { evaluate, StackPolicies } from "../../contracts/permissions";
import { wiringRequests } from "../../contracts/wiring";

jest.setTimeout(60_000);
let rec: RecordedStack;
beforeAll(async () => {
  rec = await recordStack("mental-scribe-prod");
});
const byName = (name: string) => rec.plan.resources.find((r) => r.inputs.name === name);

it("declares the follow-up exactly: sns:publish to the warning topic with its text, role, retries and own DLQ", () => {
  const s = byName("mental-scribe-reminder-api-keys-followup")!;
  expect(s.type).toBe("aws:scheduler/schedule:Schedule");
  const { input, ...target } = s.inputs.target as Record<string, unknown>;
  expect({ ...s.inputs, target }).toEqual({
    name: "mental-scribe-reminder-api-keys-followup",
    groupName: "mental-scribe-maintenance",
    description: "Follow-up: Security Maintenance > API Key Rotation",
    scheduleExpression: "cron(0 10 8 1,4,7,10 ? *)",
    scheduleExpressionTimezone: "UTC",
    flexibleTimeWindow: { mode: "OFF" },
    state: "ENABLED",
    target: {
      arn: "arn:aws:scheduler:::aws-sdk:sns:publish",
      roleArn: "arn:aws:iam::123456789012:role/mental-scribe-reminders-scheduler",
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      deadLetterConfig: {
        arn: "arn:aws:sqs:us-east-1:123456789012:mental-scribe-reminder-api-keys-followup-dlq",
      },
    },
  });
  expect(JSON.parse(String(input))).toEqual({
    TopicArn: "arn:aws:sns:us-east-1:123456789012:mental-scribe-oncall-warning",
    Subject: "[WARNING] mental-scribe follow-up: api-keys",
    Message: [
      "The 7-day grace period of the quarter's API key rotation ends today; deprecate (revoke) the old keys.",
      "",
      "Runbook: mental-scribe.md > Security Maintenance > API Key Rotation",
      "Task: https://github.com/example-org/maintenance-stack/blob/main/docs/runbooks/mental-scribe.md#api-keys",
      "Scheduled for: <aws.scheduler.scheduled-time> (cron(0 10 8 1,4,7,10 ? *) UTC)",
      "Execution: <aws.scheduler.execution-id>",
      "Schedule: <aws.scheduler.schedule-arn>",
      "Stack: mental-scribe-prod",
    ].join("\n"),
  });
});

it("announces the monthly window (SUN#1 02:00 UTC) a week ahead at 10:00: the last Sunday before it", () => {
  const s = byName("mental-scribe-reminder-monthly-window-notice")!;
  expect([s.inputs.scheduleExpression, s.inputs.scheduleExpressionTimezone]).toEqual([
    "cron(0 10 ? * SUNL *)",
    "UTC",
  ]);
  expect(JSON.parse(String((s.inputs.target as { input: string }).input)).TopicArn).toBe(
    "arn:aws:sns:us-east-1:123456789012:mental-scribe-oncall-info",
  );
});

it("gives the scheduler role only the reminder topics, their own DLQs and the messaging key, and each DLQ its alarm", () => {
  const policy = JSON.parse(
    String(
      rec.plan.resources.find((r) => r.name === "mental-scribe-reminders-scheduler-policy")!.inputs.policy,
    ),
  );
  const reminders = rec.plan.resources.filter(
    (r) => r.type === "aws:scheduler/schedule:Schedule" && String(r.inputs.name).includes("-reminder-"),
  );
  expect(policy.Statement.map((s: { Sid: string; Action: unknown }) => [s.Sid, s.Action])).toEqual([
    ["PublishToReminderTopics", "sns:Publish"],
    ["DeadLetterToOwnQueues", "sqs:SendMessage"],
    ["UseTheTopicsKey", ["kms:GenerateDataKey", "kms:Decrypt"]],
  ]);
  expect(policy.Statement[0].Resource).toEqual([
    "arn:aws:sns:us-east-1:123456789012:mental-scribe-oncall-info",
    "arn:aws:sns:us-east-1:123456789012:mental-scribe-oncall-warning",
  ]);
  expect([...policy.Statement[1].Resource].sort()).toEqual(
    reminders
      .map((r) => (r.inputs.target as { deadLetterConfig: { arn: string } }).deadLetterConfig.arn)
      .sort(),
  );
  const key = rec.plan.resources.find(
    (r) => r.type === "aws:kms/key:Key" && r.name === "mental-scribe-keys-messaging",
  )!;
  expect(policy.Statement[2].Resource).toEqual([rec.resources.find((r) => r.name === key.name)!.arn]);
  const alarms = rec.plan.resources.filter(
    (r) =>
      r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" &&
      String(r.inputs.alarmDescription).includes("docs/alarms/reminder-undelivered.md"),
  );
  expect(alarms).toHaveLength(reminders.length);
});

it("keeps every reminder's message, with Scheduler's attributes filled in at their longest, within SNS's limit", () => {
  for (const s of rec.plan.resources.filter((r) => String(r.inputs.name).includes("-reminder-"))) {
    if (s.type !== "aws:scheduler/schedule:Schedule") continue;
    const filled = JSON.parse(String((s.inputs.target as { input: string }).input))
      .Message.replace("<aws.scheduler.scheduled-time>", "2027-01-08T10:00:00Z")
      .replace("<aws.scheduler.execution-id>", "x".repeat(64))
      .replace(
        "<aws.scheduler.schedule-arn>",
        `arn:aws:scheduler:us-east-1:123456789012:schedule/${"g".repeat(64)}/${"n".repeat(64)}`,
      );
    expect(Buffer.byteLength(filled) < SNS_MESSAGE_MAX_BYTES).toBe(true);
  }
});

it.each([
  ["cron(0 2 ? * SUN *)", -2, "cron(0 2 ? * FRI *)"],
  ["cron(0 2 ? * SUN#1 *)", -7, "cron(0 2 ? * SUNL *)"],
  ["cron(0 2 ? * SUNL *)", 7, "cron(0 2 ? * SUN#1 *)"],
  ["cron(0 2 ? * MON#3 *)", -14, "cron(0 2 ? * MON#1 *)"],
  ["cron(0 10 1 1,4,7,10 ? *)", 7, "cron(0 10 8 1,4,7,10 ? *)"],
  ["at(2027-03-01T10:00:00)", -1, "at(2027-02-28T10:00:00)"],
])("shifts %s by %i days to %s", (expression, days, shifted) => {
  expect(shiftExpression(expression, days)).toBe(shifted);
});

it.each([
  ["rate(1 day)", -1, "a rate() schedule has no fixed time of day"],
  ["cron(0 2 ? * SUN#1 *)", -14, "is not one weekday rule every month"],
  ["cron(0 10 25 * ? *)", 7, "the shifted day leaves 1-28"],
  ["cron(0 2 ? JAN SUN *)", -1, "limited to some months"],
])("refuses to shift %s by %i days", (expression, days, why) => {
  expect(() => shiftExpression(expression, days)).toThrow(why);
});

it("declares every reminder of the stack with its expression, timezone, topic, role and own DLQ", () => {
  const rows = rec.plan.resources
    .filter(
      (r) => r.type === "aws:scheduler/schedule:Schedule" && String(r.inputs.name).includes("-reminder-"),
    )
    .map((r) => {
      const t = r.inputs.target as {
        arn: string;
        roleArn: string;
        input: string;
        deadLetterConfig: { arn: string };
      };
      return [
        r.inputs.name,
        r.inputs.scheduleExpression,
        r.inputs.scheduleExpressionTimezone,
        t.arn,
        JSON.parse(t.input).TopicArn.split(":").pop(),
        t.roleArn.split("/").pop(),
        t.deadLetterConfig.arn.split(":").pop(),
      ];
    });
  const row = (name: string, expression: string, topic: string) => [
    `mental-scribe-reminder-${name}`,
    expression,
    "UTC",
    "arn:aws:scheduler:::aws-sdk:sns:publish",
    `mental-scribe-oncall-${topic}`,
    "mental-scribe-reminders-scheduler",
    `mental-scribe-reminder-${name}-dlq`,
  ];
  expect(rows).toEqual([
    row("alert-review", "cron(0 10 ? * FRI *)", "info"),
    row("api-keys", "cron(0 10 1 1,4,7,10 ? *)", "warning"),
    row("api-keys-followup", "cron(0 10 8 1,4,7,10 ? *)", "warning"),
    row("dependency-check", "cron(0 9 ? * MON *)", "info"),
    row("major-updates", "cron(0 9 ? * MON#1 *)", "info"),
    row("monthly-review", "cron(0 10 ? * TUE#1 *)", "info"),
    row("monthly-window-notice", "cron(0 10 ? * SUNL *)", "info"),
    row("performance-audit", "cron(0 6 ? * SUN *)", "info"),
  ]);
});

it("has the contracts evaluate each reminder's publish: allowed as planned, denied once the role loses the warning topic", async () => {
  const publishes = (r: RecordedStack) =>
    wiringRequests(r).filter((q) => q.because.startsWith("schedule mental-scribe-reminders-api-keys "));
  const allowed = await Promise.all(publishes(rec).map((q) => evaluate(q, new StackPolicies(rec))));
  expect(publishes(rec).map((q) => q.action)).toEqual([
    "sns:Publish",
    "kms:GenerateDataKey",
    "kms:Decrypt",
    "sqs:SendMessage",
    "kms:GenerateDataKey",
    "kms:Decrypt",
  ]);
  expect(allowed).toEqual([null, null, null, null, null, null]);
  const narrowed = {
    ...rec,
    resources: rec.resources.map((r) =>
      r.name === "mental-scribe-reminders-scheduler-policy"
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              policy: String(r.inputs.policy).replace(
                ',"arn:aws:sns:us-east-1:123456789012:mental-scribe-oncall-warning"',
                "",
              ),
            },
          }
        : r,
    ),
  };
  const denied = await evaluate(publishes(narrowed)[0]!, new StackPolicies(narrowed));
  expect(denied?.request.action).toBe("sns:Publish");
});
