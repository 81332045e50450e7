// A job's heartbeat (pure): how long it may go without a success, the hourly age report for jobs that run too rarely
// for CloudWatch's 7-day window, and the alarm that pages when successes stop.
import type { AlarmSpec, Severity } from "../alarm";
import { maxIntervalSeconds } from "../schedule";
import type { JobRetry, JobSchedule, MaintenanceJobArgs } from "./job-args";

export const HOUR = 3600;
/** CloudWatch evaluates at most 7 days of data for one alarm. */
export const MAX_WINDOW = 7 * 86_400;

/** When successes must have arrived by: the longest gap between runs plus retries, the run itself and an hour. */
export function heartbeatWindowSeconds(
  schedules: readonly JobSchedule[],
  retry: JobRetry,
  timeoutSeconds: number,
  from: Date,
): number {
  const gaps = schedules
    .filter((s) => !s.input?.heartbeat)
    .map((s) => maxIntervalSeconds(s.expression, s.timezone, from));
  const gap = Math.min(...gaps);
  return gap + retry.schedulerMaxEventAgeSeconds + retry.lambdaMaxEventAgeSeconds + timeoutSeconds + HOUR;
}

/** The longest one run may take: Lambda's timeout, or a Fargate task's own deadline. */
export const runSecondsOf = (args: MaintenanceJobArgs) =>
  args.fargate ? args.fargate.deadlineSeconds : args.timeoutSeconds;

/** Hourly, not daily: an alarm needs a datapoint every period to tell "heartbeat stopped" from "not due yet". */
export const HEARTBEAT_SCHEDULE: JobSchedule = {
  name: "heartbeat",
  expression: "rate(1 hour)",
  timezone: "UTC",
  input: { heartbeat: true },
};

/**
 * The heartbeat alarm: N hourly periods with no JobSucceeded at all, or (for a job whose window is longer than
 * CloudWatch can look back) the age of the last success reported by the hourly heartbeat run.
 */
export function heartbeatAlarm(
  args: Pick<MaintenanceJobArgs, "job" | "stack">,
  severity: Severity,
  window: number,
  ageWatched: boolean,
): { suffix: string; spec: AlarmSpec } {
  if (!ageWatched) {
    // N hourly periods with no success at all: N * 1h covers the longest gap between runs plus retries.
    const periods = Math.ceil(window / HOUR);
    return {
      suffix: "heartbeat",
      spec: {
        severity,
        page: "job-heartbeat",
        summary: `${args.job} has not succeeded for ${Math.round(window / HOUR)}h (its schedule expects a success sooner).`,
        metric: {
          namespace: `Maintenance/${args.stack}`,
          metricName: "JobSucceeded",
          dimensions: { service: args.job },
          stat: "Sum",
        },
        periodSeconds: HOUR,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
      },
    };
  }
  return {
    suffix: "last-success-age",
    spec: {
      severity,
      page: "job-heartbeat",
      summary: `${args.job} has not succeeded for over ${Math.round(window / 86_400)} days (age of last success).`,
      metric: {
        namespace: `Maintenance/${args.stack}`,
        metricName: "SecondsSinceLastSuccess",
        dimensions: { service: args.job },
        stat: "Maximum",
      },
      periodSeconds: HOUR,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: window,
      comparisonOperator: "GreaterThanThreshold",
      // No age datapoint for 3 hours means the heartbeat itself is broken: page.
      treatMissingData: "breaching",
    },
  };
}
