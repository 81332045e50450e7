// A job's alarms: its compute's own (Lambda errors, throttles, duration), a failure queue or DLQ that is not empty,
// and the heartbeat that pages when successes stop.
import type * as aws from "@pulumi/aws";
import { anyInFiveMinutes, metricAlarm, queueDepth, type Severity } from "../alarm";
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
  const queueNotEmpty = (
    id: string,
    queue: aws.sqs.Queue,
    page: string,
    summary: string,
    severity: Severity,
  ) =>
    metricAlarm(id, anyInFiveMinutes(severity, page, summary, queueDepth(queue.name)), args.routing, parent);
  alarms.failures = queueNotEmpty(
    `${name}-failures`,
    p.failureQueue,
    "job-failure-queue",
    runner.failureSummary(args.job),
    failure,
  );
  schedules.forEach((s, i) => {
    alarms[`dlq-${s.name}`] = queueNotEmpty(
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
