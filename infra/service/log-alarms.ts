// Log-pattern alarms: a metric filter per runbook pattern (failed logins, pool exhausted, connection failures) counting
// matching lines into the stack's namespace, and its threshold alarm.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { MonitoringConfig } from "../config/monitoring";
import type { Member } from "./alarm-member";
import type { ServiceMonitoringArgs } from "./service-args";

export const logMetricName = (kind: string) =>
  kind.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());

export function logAlarms(stack: string, m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const ns = `Maintenance/${stack}`;
  const logPage = {
    "failed-logins": "service-failed-logins",
    "connection-pool-exhausted": "service-database-connections",
    "database-connection-failure": "service-database-down",
  } as const;
  for (const l of m.logAlarms) {
    out.push({
      id: `log-${l.kind}`,
      systemDown: false,
      spec: {
        severity: l.severity,
        notify: false,
        page: logPage[l.kind],
        summary: `More than ${l.threshold} "${l.kind}" log lines in ${l.periodSeconds / 60} minutes in ${l.logGroupName}.`,
        metric: { namespace: ns, metricName: logMetricName(l.kind), stat: "Sum" },
        periodSeconds: l.periodSeconds,
        evaluationPeriods: 1,
        threshold: l.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    });
  }
  return out;
}

/** The metric filters that feed the log alarms: 1 per matching line, 0 otherwise. */
export function declareLogMetricFilters(
  parent: pulumi.Resource,
  name: string,
  args: ServiceMonitoringArgs,
): void {
  for (const l of args.config.logAlarms) {
    new aws.cloudwatch.LogMetricFilter(
      `${name}-log-${l.kind}`,
      {
        name: `${args.namePrefix}-${l.kind}`,
        logGroupName: l.logGroupName,
        pattern: l.filterPattern,
        metricTransformation: {
          name: logMetricName(l.kind),
          namespace: `Maintenance/${args.stack}`,
          value: "1",
          defaultValue: "0",
        },
      },
      { parent },
    );
  }
}
