// A job's schedules: one EventBridge Scheduler schedule each (IANA timezone, explicit retries, its own DLQ), and the
// scheduler role that may start only this job's compute and dead-letter only to those queues.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SCHEDULER_INPUT_MAX_CHARS } from "../aws-limits";
import { physicalName } from "../naming";
import { trustPolicy } from "../policies/job-role";
import { dstGapWarnings } from "../schedule";
import type { JobSchedule } from "./job-args";
import { jobQueueArgs } from "./queues";
import type { JobCompute, JobParts } from "./runner";

/** Reviewer-facing warnings for schedules whose local time falls into a DST gap on some day. */
export function dstWarnings(fnName: string, schedules: readonly JobSchedule[], now: Date): string[] {
  const out: string[] = [];
  for (const s of schedules) {
    for (const w of dstGapWarnings(s.expression, s.timezone, now)) {
      out.push(
        `${fnName} schedule ${s.name} (${s.expression} ${s.timezone}) does not run on ${w.localDate}: ${w.localTime} does not exist there (DST)`,
      );
    }
  }
  return out;
}

/** Declares the schedules (with the heartbeat's, when it has one) and returns their DLQs, in the same order. */
export function declareSchedules(
  p: Pick<JobParts, "name" | "args" | "parent" | "accountId">,
  compute: JobCompute,
  schedules: readonly JobSchedule[],
): aws.sqs.Queue[] {
  const { name, args } = p;
  const parent = { parent: p.parent };
  // Nothing to start: no scheduler role (it would hold grants nothing uses).
  if (schedules.length === 0) return [];
  const dlqs = schedules.map(
    (s) =>
      new aws.sqs.Queue(
        `${name}-${s.name}-dlq`,
        jobQueueArgs(args, physicalName("sqsQueue", args.namePrefix, args.job, s.name, "dlq")),
        parent,
      ),
  );
  const schedulerRole = new aws.iam.Role(
    `${name}-scheduler-role`,
    {
      name: physicalName("iamRole", args.namePrefix, args.job, "scheduler"),
      assumeRolePolicy: pulumi
        .all([p.accountId, args.scheduleGroupName])
        .apply(([a, g]) =>
          JSON.stringify(
            trustPolicy("scheduler.amazonaws.com", a, `arn:aws:scheduler:*:${a}:schedule/${g}/*`),
          ),
        ),
      tags: args.tags,
    },
    parent,
  );
  const schedulerPolicy = new aws.iam.RolePolicy(
    `${name}-scheduler-policy`,
    { role: schedulerRole.name, policy: compute.schedulerPolicy(pulumi.all(dlqs.map((q) => q.arn))) },
    parent,
  );
  schedules.forEach((s, i) => {
    const event = JSON.stringify(
      s.input?.heartbeat ? s.input : { ...s.input, scheduledTime: "<aws.scheduler.scheduled-time>" },
    );
    const { input, ecsParameters } = compute.scheduleTarget(event);
    const scheduleName = physicalName("schedule", args.namePrefix, args.job, s.name);
    args.scheduleCatalog?.add({
      ref: scheduleName,
      expression: s.expression,
      timezone: s.timezone,
      description: s.description ?? `${args.job}: ${s.name}`,
    });
    if (input.length > SCHEDULER_INPUT_MAX_CHARS)
      throw new Error(`job ${args.job} schedule ${s.name}: input over ${SCHEDULER_INPUT_MAX_CHARS} chars`);
    new aws.scheduler.Schedule(
      `${name}-${s.name}`,
      {
        name: scheduleName,
        groupName: args.scheduleGroupName,
        description: s.description ?? `${args.job}: ${s.name}`,
        scheduleExpression: s.expression,
        scheduleExpressionTimezone: s.timezone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: compute.targetArn,
          roleArn: schedulerRole.arn,
          input,
          ...(ecsParameters ? { ecsParameters } : {}),
          retryPolicy: {
            maximumRetryAttempts: args.retry.schedulerMaxAttempts,
            maximumEventAgeInSeconds: args.retry.schedulerMaxEventAgeSeconds,
          },
          deadLetterConfig: { arn: dlqs[i]!.arn },
        },
      },
      { parent: p.parent, dependsOn: [schedulerPolicy] },
    );
  });
  return dlqs;
}
