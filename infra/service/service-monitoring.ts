// Service alarms from the runbooks' alert tables: Route 53 health checks, latency, error rate, database, disk, memory,
// Redis and log-pattern alarms. Metric alarms carry no actions; composite alarms page, once for "system down", and are
// muted by maintenance windows (which publish a per-minute metric through EventBridge Scheduler).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  type AlarmRouting,
  type AlarmSpec,
  anyOf,
  compositeAlarm,
  type MetricSource,
  metricAlarm,
  type Severity,
} from "../core/alarm";
import type { MonitoringConfig } from "../config/monitoring";
import { physicalName } from "../core/naming";
import { trustPolicy } from "../core/policies/job-role";
import { policy } from "../core/policies/document";
import { WINDOW_METRIC, windowCrons } from "./maintenance-windows";

/** Route 53 publishes health-check metrics in us-east-1 only. https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html */
export const ROUTE53_REGION = "us-east-1";
const GiB = 1024 ** 3;

export interface ServiceMonitoringArgs {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly timezone: string;
  readonly config: MonitoringConfig;
  readonly routing: AlarmRouting;
  readonly scheduleGroupName: pulumi.Input<string>;
  /** Messaging key per region (window schedules' DLQs). */
  readonly messagingKmsKeyArns: Readonly<Record<string, pulumi.Input<string>>>;
  readonly tags?: Record<string, string>;
}

interface Member {
  readonly id: string;
  readonly spec: AlarmSpec;
  /** Part of the "system down" rollup (pages once) rather than paging by itself. */
  readonly systemDown: boolean;
}

/** The runbook alarms as specs (pure): each with its threshold, period, severity and page. */
export function serviceAlarmSpecs(stack: string, m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const ns = `Maintenance/${stack}`;
  const rule = (r: {
    severity: Severity;
    periodSeconds: number;
    evaluationPeriods: number;
    datapointsToAlarm?: number;
  }) => ({
    severity: r.severity,
    periodSeconds: r.periodSeconds,
    evaluationPeriods: r.evaluationPeriods,
    ...(r.datapointsToAlarm !== undefined ? { datapointsToAlarm: r.datapointsToAlarm } : {}),
    notify: false,
  });
  const t = m.thresholds;
  const lb = m.loadBalancer;
  const api = m.apiGateway;
  for (const r of t.latencyP95Seconds) {
    out.push({
      id: `latency-${r.severity}`,
      systemDown: false,
      spec: {
        ...rule(r),
        page: "service-latency",
        summary: `API p95 response time above ${r.threshold}s.`,
        metric: lb
          ? {
              namespace: "AWS/ApplicationELB",
              metricName: "TargetResponseTime",
              dimensions: { LoadBalancer: lb.arnSuffix },
              stat: "p95",
            }
          : {
              namespace: "AWS/ApiGateway",
              metricName: "Latency",
              dimensions: { ApiName: api!.apiName, Stage: api!.stage },
              stat: "p95",
            },
        // ALB reports seconds, API Gateway milliseconds.
        threshold: lb ? r.threshold : r.threshold * 1000,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    });
  }
  const requests = (): { e: MetricSource; r: MetricSource } =>
    lb
      ? {
          e: {
            namespace: "AWS/ApplicationELB",
            metricName: "HTTPCode_Target_5XX_Count",
            dimensions: { LoadBalancer: lb.arnSuffix },
            stat: "Sum",
          },
          r: {
            namespace: "AWS/ApplicationELB",
            metricName: "RequestCount",
            dimensions: { LoadBalancer: lb.arnSuffix },
            stat: "Sum",
          },
        }
      : {
          e: {
            namespace: "AWS/ApiGateway",
            metricName: "5XXError",
            dimensions: { ApiName: api!.apiName, Stage: api!.stage },
            stat: "Sum",
          },
          r: {
            namespace: "AWS/ApiGateway",
            metricName: "Count",
            dimensions: { ApiName: api!.apiName, Stage: api!.stage },
            stat: "Sum",
          },
        };
  for (const r of t.errorRatePercent) {
    out.push({
      id: `error-rate-${r.severity}`,
      systemDown: r.severity === "critical",
      spec: {
        ...rule(r),
        page: "service-error-rate",
        summary: `More than ${r.threshold}% of requests fail with 5xx.`,
        metric: { expression: "IF(r > 0, 100 * e / r, 0)", label: "5xx % of requests", metrics: requests() },
        threshold: r.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    });
  }
  for (const r of t.fiveXxPerSecond) {
    out.push({
      id: `5xx-rate-${r.severity}`,
      systemDown: false,
      spec: {
        ...rule(r),
        page: "service-5xx-rate",
        summary: `More than ${r.threshold} 5xx responses per second.`,
        metric: { expression: "e / PERIOD(e)", label: "5xx per second", metrics: { e: requests().e } },
        threshold: r.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    });
  }
  const db = m.database;
  if (db && db.kind !== "self-hosted") {
    const dims: Record<string, string> =
      db.kind === "rds-instance"
        ? { DBInstanceIdentifier: db.identifier }
        : { DBClusterIdentifier: db.identifier };
    // RDS publishes every minute while the database runs; no datapoints for the configured minutes means it is down.
    out.push({
      id: "database-down",
      systemDown: true,
      spec: {
        severity: "critical",
        notify: false,
        page: "service-database-down",
        summary: `Database ${db.identifier} reports no metrics (down) for ${m.databaseDownMinutes} minute(s).`,
        metric: { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: dims, stat: "SampleCount" },
        periodSeconds: 60,
        evaluationPeriods: m.databaseDownMinutes,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
      },
    });
    for (const r of t.databaseConnectionsPercent) {
      out.push({
        id: `database-connections-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-database-connections",
          summary: `Database ${db.identifier} uses over ${r.threshold}% of its ${db.maxConnections} connections.`,
          metric: {
            namespace: "AWS/RDS",
            metricName: "DatabaseConnections",
            dimensions: dims,
            stat: "Maximum",
          },
          threshold: Math.round((db.maxConnections * r.threshold) / 100),
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
    if (db.allocatedStorageGiB) {
      for (const r of t.diskUsedPercent) {
        out.push({
          id: `database-disk-${r.severity}`,
          systemDown: false,
          spec: {
            ...rule(r),
            page: "service-disk",
            summary: `Database ${db.identifier} storage is over ${r.threshold}% used.`,
            metric: {
              namespace: "AWS/RDS",
              metricName: "FreeStorageSpace",
              dimensions: dims,
              stat: "Minimum",
            },
            threshold: Math.round(db.allocatedStorageGiB * GiB * (1 - r.threshold / 100)),
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "notBreaching",
          },
        });
      }
    }
    if (db.memoryGiB) {
      for (const r of t.memoryUsedPercent) {
        out.push({
          id: `database-memory-${r.severity}`,
          systemDown: false,
          spec: {
            ...rule(r),
            page: "service-memory",
            summary: `Database ${db.identifier} memory is over ${r.threshold}% used.`,
            metric: { namespace: "AWS/RDS", metricName: "FreeableMemory", dimensions: dims, stat: "Minimum" },
            threshold: Math.round(db.memoryGiB * GiB * (1 - r.threshold / 100)),
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "notBreaching",
          },
        });
      }
    }
  } else if (db) {
    // The CloudWatch agent's procstat plugin counts processes matching the pattern every minute.
    out.push({
      id: "database-down",
      systemDown: true,
      spec: {
        severity: "critical",
        notify: false,
        page: "service-database-down",
        summary: `Database process "${db.processPattern}" on ${db.instanceId} is not running for ${m.databaseDownMinutes} minute(s).`,
        metric: {
          namespace: "CWAgent",
          metricName: "procstat_lookup_pid_count",
          dimensions: { InstanceId: db.instanceId, pattern: db.processPattern, pid_finder: "native" },
          stat: "Minimum",
        },
        periodSeconds: 60,
        evaluationPeriods: m.databaseDownMinutes,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
      },
    });
  }
  for (const h of m.hosts) {
    for (const pattern of h.processes) {
      out.push({
        id: `${h.instanceId}-${pattern.replace(/[^a-zA-Z0-9-]/g, "-")}-down`,
        systemDown: false,
        spec: {
          severity: "critical",
          notify: false,
          page: "service-process-down",
          summary: `Process "${pattern}" on ${h.instanceId} is not running.`,
          metric: {
            namespace: "CWAgent",
            metricName: "procstat_lookup_pid_count",
            dimensions: { InstanceId: h.instanceId, pattern, pid_finder: "native" },
            stat: "Minimum",
          },
          periodSeconds: 60,
          evaluationPeriods: 2,
          threshold: 1,
          comparisonOperator: "LessThanThreshold",
          treatMissingData: "breaching",
        },
      });
    }
    for (const r of t.diskUsedPercent) {
      out.push({
        id: `${h.instanceId}-disk-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-disk",
          summary: `Disk ${h.path} on ${h.instanceId} is over ${r.threshold}% used.`,
          metric: {
            namespace: "CWAgent",
            metricName: "disk_used_percent",
            dimensions: { InstanceId: h.instanceId, path: h.path, device: h.device, fstype: h.fstype },
            stat: "Maximum",
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
    for (const r of t.memoryUsedPercent) {
      out.push({
        id: `${h.instanceId}-memory-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-memory",
          summary: `Memory on ${h.instanceId} is over ${r.threshold}% used.`,
          metric: {
            namespace: "CWAgent",
            metricName: "mem_used_percent",
            dimensions: { InstanceId: h.instanceId },
            stat: "Maximum",
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
  }
  if (m.redis) {
    const dims = { CacheClusterId: m.redis.cacheClusterId };
    for (const r of t.redisMemoryPercent) {
      out.push({
        id: `redis-memory-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-redis-memory",
          summary: `Redis ${m.redis.cacheClusterId} memory is over ${r.threshold}% used.`,
          metric: {
            namespace: "AWS/ElastiCache",
            metricName: "DatabaseMemoryUsagePercentage",
            dimensions: dims,
            stat: "Maximum",
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
    for (const r of t.redisEvictionsPerMinute) {
      out.push({
        id: `redis-evictions-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-redis-evictions",
          summary: `Redis ${m.redis.cacheClusterId} evicts over ${r.threshold} keys per minute.`,
          metric: {
            expression: "60 * ev / PERIOD(ev)",
            label: "evictions per minute",
            metrics: {
              ev: { namespace: "AWS/ElastiCache", metricName: "Evictions", dimensions: dims, stat: "Sum" },
            },
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
  }
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

export const logMetricName = (kind: string) =>
  kind.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());

export class ServiceMonitoring extends pulumi.ComponentResource {
  /** ARNs of the composite alarms that page (primary region), for the dashboard's alarm widget. */
  readonly pagingAlarmArns: pulumi.Output<string>[] = [];

  constructor(name: string, args: ServiceMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:service:ServiceMonitoring", name, {}, opts);
    const parent = { parent: this };
    const m = args.config;
    const healthInPrimary = args.region === ROUTE53_REGION;
    const regions = [args.region, ...(m.healthChecks.length && !healthInPrimary ? [ROUTE53_REGION] : [])];

    // Maintenance windows: per region that has composites, schedules publish MaintenanceWindowOpen each open minute.
    const suppressors: Record<string, aws.cloudwatch.MetricAlarm> = {};
    if (m.maintenanceWindows.length) {
      const identity = aws.getCallerIdentityOutput({}, parent);
      const role = new aws.iam.Role(
        `${name}-windows-role`,
        {
          name: physicalName("iamRole", args.namePrefix, "maintenance-windows"),
          assumeRolePolicy: identity.accountId.apply((a) =>
            JSON.stringify(trustPolicy("scheduler.amazonaws.com", a)),
          ),
          tags: args.tags,
        },
        parent,
      );
      const dlqs: aws.sqs.Queue[] = [];
      for (const region of regions) {
        const other = region !== args.region;
        const dlq = new aws.sqs.Queue(
          `${name}-windows-dlq${other ? `-${region}` : ""}`,
          {
            name: physicalName(
              "sqsQueue",
              args.namePrefix,
              "maintenance-windows-dlq",
              ...(other ? [region] : []),
            ),
            kmsMasterKeyId: args.messagingKmsKeyArns[region]!,
            messageRetentionSeconds: 1_209_600,
            ...(other ? { region } : {}),
            tags: args.tags,
          },
          parent,
        );
        dlqs.push(dlq);
        for (const w of m.maintenanceWindows) {
          windowCrons(w).forEach((expression, i) => {
            new aws.scheduler.Schedule(
              `${name}-window-${w.name}-${i}${other ? `-${region}` : ""}`,
              {
                name: physicalName("schedule", args.namePrefix, "window", w.name, String(i)),
                // Other regions use their default group: a schedule group is regional.
                groupName: other ? "default" : args.scheduleGroupName,
                description: `Marks maintenance window ${w.name} (${w.day} ${w.start}-${w.end}) open`,
                scheduleExpression: expression,
                scheduleExpressionTimezone: w.timezone ?? args.timezone,
                flexibleTimeWindow: { mode: "OFF" },
                state: "ENABLED",
                target: {
                  // Scheduler's universal target calls CloudWatch PutMetricData directly; no Lambda needed.
                  arn: "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData",
                  roleArn: role.arn,
                  input: JSON.stringify({
                    Namespace: `Maintenance/${args.stack}`,
                    MetricData: [
                      {
                        MetricName: WINDOW_METRIC,
                        Dimensions: [{ Name: "Window", Value: "any" }],
                        Value: 1,
                        Unit: "Count",
                      },
                    ],
                  }),
                  // A late marker is worthless: the next minute sends its own.
                  retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
                  deadLetterConfig: { arn: dlq.arn },
                },
                ...(other ? { region } : {}),
              },
              parent,
            );
          });
        }
        suppressors[region] = metricAlarm(
          `${name}-window-open${other ? `-${region}` : ""}`,
          {
            severity: "info",
            page: "maintenance-window",
            summary: "A maintenance window is open; composite service alarms are muted until it closes.",
            metric: {
              namespace: `Maintenance/${args.stack}`,
              metricName: WINDOW_METRIC,
              dimensions: { Window: "any" },
              stat: "Maximum",
            },
            periodSeconds: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // Datapoints stop when the window closes: back to OK by itself.
            treatMissingData: "notBreaching",
            ...(other ? { region } : {}),
          },
          args.routing,
          parent,
        );
      }
      new aws.iam.RolePolicy(
        `${name}-windows-policy`,
        {
          role: role.name,
          policy: pulumi
            .all([
              pulumi.all(dlqs.map((q) => q.arn)),
              pulumi.all(regions.map((r) => args.messagingKmsKeyArns[r]!)),
            ])
            .apply(([dlqArns, keys]) =>
              JSON.stringify(
                policy([
                  {
                    Sid: "PublishWindowMetricOnly",
                    Effect: "Allow",
                    Action: "cloudwatch:PutMetricData",
                    // PutMetricData has no resource-level permissions; the namespace condition narrows it.
                    Resource: "*",
                    Condition: { StringEquals: { "cloudwatch:namespace": `Maintenance/${args.stack}` } },
                  },
                  {
                    Sid: "DeadLetterToOwnQueues",
                    Effect: "Allow",
                    Action: "sqs:SendMessage",
                    Resource: dlqArns,
                  },
                  {
                    Sid: "UseMessagingKeys",
                    Effect: "Allow",
                    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                    Resource: keys,
                  },
                ]),
              ),
            ),
        },
        parent,
      );
    }
    const suppressor = (region: string) =>
      suppressors[region]
        ? { alarmName: suppressors[region].name, waitPeriodSeconds: 120, extensionPeriodSeconds: 300 }
        : undefined;
    const page = (
      id: string,
      severity: Severity,
      pageName: string,
      summary: string,
      rule: pulumi.Input<string>,
      region: string,
    ) => {
      const s = suppressor(region);
      const composite = compositeAlarm(
        id,
        {
          severity,
          page: pageName,
          summary,
          rule,
          ...(s ? { suppressor: s } : {}),
          ...(region !== args.region ? { region } : {}),
        },
        args.routing,
        parent,
      );
      if (region === args.region) this.pagingAlarmArns.push(composite.arn);
    };

    // Health checks and their alarms (us-east-1).
    const healthAlarms: aws.cloudwatch.MetricAlarm[] = [];
    for (const h of m.healthChecks) {
      const url = new URL(h.url);
      const https = url.protocol === "https:";
      const check = new aws.route53.HealthCheck(
        `${name}-${h.name}-health`,
        {
          type: h.searchString ? (https ? "HTTPS_STR_MATCH" : "HTTP_STR_MATCH") : https ? "HTTPS" : "HTTP",
          fqdn: url.hostname,
          port: url.port ? Number(url.port) : https ? 443 : 80,
          resourcePath: `${url.pathname}${url.search}`,
          requestInterval: h.requestIntervalSeconds,
          failureThreshold: h.failureThreshold,
          ...(h.searchString ? { searchString: h.searchString } : {}),
          ...(https ? { enableSni: true } : {}),
          tags: { ...args.tags, Name: `${args.namePrefix}-${h.name}` },
        },
        parent,
      );
      healthAlarms.push(
        metricAlarm(
          `${name}-${h.name}-health`,
          {
            severity: "critical",
            notify: false,
            page: "service-health-check",
            summary: `Health check ${h.url} is failing from Route 53's checkers.`,
            metric: {
              namespace: "AWS/Route53",
              metricName: "HealthCheckStatus",
              dimensions: { HealthCheckId: check.id },
              stat: "Minimum",
            },
            periodSeconds: 60,
            evaluationPeriods: 2,
            threshold: 1,
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "breaching",
            // Route 53 health-check metrics exist only in us-east-1, so the alarm lives there whatever the stack's region.
            region: ROUTE53_REGION,
          },
          args.routing,
          parent,
        ),
      );
    }

    const members = serviceAlarmSpecs(args.stack, m);
    for (const l of m.logAlarms) {
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
        parent,
      );
    }
    const alarms = members.map((mem) => ({
      mem,
      alarm: metricAlarm(`${name}-${mem.id}`, mem.spec, args.routing, parent),
    }));

    // "System down" pages once when the health check, critical error rate or database alarms fire together. Composite
    // alarms cannot span regions, so outside us-east-1 the health check pages through its own composite there.
    const downMembers = [
      ...alarms.filter((a) => a.mem.systemDown).map((a) => a.alarm),
      ...(healthInPrimary ? healthAlarms : []),
    ];
    if (downMembers.length) {
      page(
        `${name}-system-down`,
        "critical",
        "service-system-down",
        "System down: health check, error rate or database.",
        anyOf(downMembers.map((a) => a.name)),
        args.region,
      );
    }
    if (!healthInPrimary) {
      for (const [i, h] of healthAlarms.entries()) {
        page(
          `${name}-${m.healthChecks[i]!.name}-down`,
          "critical",
          "service-health-check",
          `Health check ${m.healthChecks[i]!.url} is failing.`,
          anyOf([h.name]),
          ROUTE53_REGION,
        );
      }
    }
    for (const { mem, alarm } of alarms.filter((a) => !a.mem.systemDown)) {
      page(
        `${name}-${mem.id}-page`,
        mem.spec.severity,
        mem.spec.page,
        mem.spec.summary,
        anyOf([alarm.name]),
        args.region,
      );
    }
    this.registerOutputs({});
  }
}
