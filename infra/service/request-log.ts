// Request metrics from nginx's JSON access log, for an app on one host with no ALB: three metric filters (the request
// time of every line, a count of every line, a count of 5xx lines) into the stack's namespace, with no dimensions.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { MetricSource } from "../core/alarm";
import type { RequestLogConfig } from "../config/monitoring";

export interface RequestLogFilter {
  readonly id: string;
  readonly pattern: string;
  readonly metricName: string;
  readonly value: string;
  readonly defaultValue?: number;
  readonly unit: "Seconds" | "Count";
}

/**
 * Pure: the filters. JSON patterns compare numbers, so `request_time` and `status` must be JSON numbers in the
 * log_format; a line without them matches none. No default value on the request time: a quiet minute has no
 * latency datapoint (so the alarm treats it as not breaching) instead of a 0 that would pull the p95 down.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
export function requestLogFilters(r: RequestLogConfig): RequestLogFilter[] {
  return [
    {
      id: "request-time",
      pattern: `{ $.${r.requestTimeField} >= 0 }`,
      metricName: "RequestTime",
      value: `$.${r.requestTimeField}`,
      unit: "Seconds",
    },
    {
      id: "requests",
      pattern: `{ $.${r.statusField} >= 100 }`,
      metricName: "Requests",
      value: "1",
      unit: "Count",
    },
    {
      id: "5xx",
      pattern: `{ $.${r.statusField} >= 500 && $.${r.statusField} <= 599 }`,
      metricName: "Responses5xx",
      value: "1",
      defaultValue: 0,
      unit: "Count",
    },
  ];
}

/** The metrics the filters publish, as alarm sources: p95 of the request time, sums of requests and 5xx. */
export function requestLogSources(stack: string): {
  latency: MetricSource;
  e: MetricSource;
  r: MetricSource;
} {
  const namespace = `Maintenance/${stack}`;
  return {
    latency: { namespace, metricName: "RequestTime", stat: "p95" },
    e: { namespace, metricName: "Responses5xx", stat: "Sum" },
    r: { namespace, metricName: "Requests", stat: "Sum" },
  };
}

export function declareRequestLogFilters(
  parent: pulumi.Resource,
  name: string,
  args: { readonly stack: string; readonly namePrefix: string; readonly requestLog?: RequestLogConfig },
): void {
  const r = args.requestLog;
  if (!r) return;
  for (const f of requestLogFilters(r)) {
    new aws.cloudwatch.LogMetricFilter(
      `${name}-request-log-${f.id}`,
      {
        name: `${args.namePrefix}-request-log-${f.id}`,
        logGroupName: r.logGroupName,
        pattern: f.pattern,
        metricTransformation: {
          name: f.metricName,
          namespace: `Maintenance/${args.stack}`,
          value: f.value,
          unit: f.unit,
          ...(f.defaultValue !== undefined ? { defaultValue: String(f.defaultValue) } : {}),
        },
      },
      { parent },
    );
  }
}
