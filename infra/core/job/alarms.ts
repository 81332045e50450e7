// A job's alarms: its compute's own (Lambda errors, throttles, duration), a failure queue or DLQ that is not empty,
// and the heartbeat that pages when successes stop.
import type * as aws from "@pulumi/aws";
import { metricAlarm, type Severity } from "../alarm";
import { heartbeatAlarm } from "./heartbeat";
import type { JobSchedule } from "./job-args";
import type { JobParts, JobRunner } from "./runner";

export function declareJobAlarms(
  p: Pick<JobParts, "name" | "args" | "parent" | "fnName" | "failureQueue">,
  runner: JobRunner,
  dlqs: readonly aws.sqs.Queue[],
  schedules: readonly JobSchedule[],
  /** null: no heartbeat (a job only a service invokes). */
  heartbeat: { readonly window: number; readonly ageWatched: boolean } | null,
): Record<string, aws.cloudwatch.MetricAlarm> {
  const { name, args } = p;
  const parent = { parent: p.parent };
  const failure = args.failureSeverity ?? "warning";
  const alarms: Record<string, aws.cloudwatch.MetricAlarm> = { ...runner.alarms(p) };
  const queueDepth = (id: string, queue: aws.sqs.Queue, page: string, summary: string, severity: Severity) =>
    metricAlarm(
      id,
      {
        severity,
        page,
        summary,
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queue.name },
          stat: "Maximum",
        },
        periodSeconds: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
      args.routing,
      parent,
    );
  alarms.failures = queueDepth(
    `${name}-failures`,
    p.failureQueue,
    "job-failure-queue",
    runner.failureSummary(args.job),
    failure,
  );
  schedules.forEach((s, i) => {
    alarms[`dlq-${s.name}`] = queueDepth(
      `${name}-${s.name}-dlq`,
      dlqs[i]!,
      "job-schedule-dlq",
      `Scheduler could not invoke ${args.job} for schedule ${s.name} (DLQ not empty).`,
      failure,
    );
  });
  // No heartbeat: a job nothing schedules, or one watched from outside (args.heartbeatWatchedBy: that job's age
  // alarm is the heartbeat).
  if (!heartbeat || args.heartbeatWatchedBy) return alarms;
  const { suffix, spec } = heartbeatAlarm(
    args,
    args.heartbeatSeverity ?? "warning",
    heartbeat.window,
    heartbeat.ageWatched,
  );
  alarms.heartbeat = metricAlarm(`${name}-${suffix}`, spec, args.routing, parent);
  return alarms;
}
