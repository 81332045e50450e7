// Certificate monitoring: the cert-check job on certbot's cadence, per-endpoint expiry and failure alarms, ACM alarms.
import * as pulumi from "@pulumi/pulumi";
import { type AlarmSpec, metricAlarm } from "../core/alarm";
import type { CertificatesConfig } from "../config/certificates";
import { type JobDefaults, jobDefaultsOf, MaintenanceJob } from "../core/job/maintenance-job";
import { maxIntervalSeconds } from "../core/schedule";

export interface CertificateMonitorArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly timezone: string;
  readonly config: CertificatesConfig;
  readonly tags?: Record<string, string>;
}

/**
 * Period and count for "below the warning threshold on every check for `persistHours`": one period per check interval
 * (a whole number of hours, at most a day), enough periods to span the persistence window.
 */
export function warningWindow(
  checkIntervalSeconds: number,
  persistHours: number,
): { periodSeconds: number; periods: number } {
  const periodSeconds = Math.min(86_400, Math.max(3600, Math.round(checkIntervalSeconds / 3600) * 3600));
  return { periodSeconds, periods: Math.max(1, Math.ceil((persistHours * 3600) / periodSeconds)) };
}

export class CertificateMonitor extends pulumi.ComponentResource {
  readonly warnings: string[];

  constructor(name: string, args: CertificateMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:certificates:CertificateMonitor", name, {}, opts);
    const parent = { parent: this };
    const cfg = args.config;
    const tz = cfg.schedule.timezone ?? args.timezone;
    const job = cfg.endpoints.length
      ? new MaintenanceJob(
          `${name}-check`,
          {
            stack: args.stack,
            namePrefix: args.namePrefix,
            job: "cert-check",
            description: `TLS certificate checks for ${args.stack}`,
            memoryMb: 256,
            timeoutSeconds: 120,
            reservedConcurrency: 1,
            jobConfig: {
              endpoints: cfg.endpoints,
              warningDays: cfg.warningDays,
              criticalDays: cfg.criticalDays,
              timeoutMs: 10_000,
              concurrency: 10,
            },
            // Network and DNS only: no AWS permissions beyond the job's own logs and queues.
            statements: [],
            schedules: [
              { name: cfg.schedule.name, expression: cfg.schedule.expression, timezone: tz, input: {} },
            ],
            ...jobDefaultsOf(args),
          },
          parent,
        )
      : undefined;
    this.warnings = job?.warnings ?? [];

    const interval = maxIntervalSeconds(cfg.schedule.expression, tz, new Date());
    const warn = warningWindow(interval, cfg.warningPersistHours);
    const checkPeriod = warningWindow(interval, 1).periodSeconds;
    for (const e of cfg.endpoints) {
      const endpoint = `${e.host}:${e.port}`;
      const id = `${name}-${e.host.replace(/[^a-zA-Z0-9-]/g, "-")}-${e.port}`;
      const metric = (metricName: string, stat: string) => ({
        namespace: `Maintenance/${args.stack}`,
        metricName,
        dimensions: { service: "cert-check", Endpoint: endpoint },
        stat,
      });
      const warningDays = e.warningDays ?? cfg.warningDays;
      const criticalDays = e.criticalDays ?? cfg.criticalDays;
      const days = (
        severity: "warning" | "critical",
        threshold: number,
        periods: number,
        periodSeconds: number,
      ): AlarmSpec => ({
        severity,
        page: "cert-days-to-expiry",
        summary: `The TLS certificate of ${endpoint} expires in under ${threshold} days${severity === "warning" ? ` (for ${cfg.warningPersistHours}h of checks)` : ""}.`,
        metric: metric("DaysToExpiry", "Minimum"),
        periodSeconds,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        threshold,
        comparisonOperator: "LessThanThreshold",
        // A missing reading is the job's problem, watched by its heartbeat and CheckFailed.
        treatMissingData: "notBreaching",
      });
      metricAlarm(
        `${id}-warning`,
        days("warning", warningDays, warn.periods, warn.periodSeconds),
        args.routing,
        parent,
      );
      metricAlarm(`${id}-critical`, days("critical", criticalDays, 1, checkPeriod), args.routing, parent);
      metricAlarm(
        `${id}-failing`,
        {
          severity: "critical",
          page: "cert-check-failing",
          summary: `TLS checks of ${endpoint} keep failing (untrusted, wrong name, expired, unreachable or not resolving).`,
          metric: metric("CheckFailed", "Maximum"),
          periodSeconds: checkPeriod,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
        },
        args.routing,
        parent,
      );
    }

    this.acmAlarms(name, args);
    this.registerOutputs({});
  }

  /** Warning and critical days to expiry of each ACM certificate (ACM renews; these fire when it has not). */
  private acmAlarms(name: string, args: CertificateMonitorArgs) {
    const parent = { parent: this };
    const cfg = args.config;
    // ACM publishes DaysToExpiry once a day per certificate. https://docs.aws.amazon.com/acm/latest/userguide/cloudwatch-metrics.html
    for (const arn of cfg.acmCertificateArns) {
      const short = arn.split("/").pop()!.slice(0, 8);
      for (const [severity, threshold] of [
        ["warning", cfg.warningDays],
        ["critical", cfg.criticalDays],
      ] as const) {
        metricAlarm(
          `${name}-acm-${short}-${severity}`,
          {
            severity,
            page: "cert-days-to-expiry",
            summary: `ACM certificate ${arn} expires in under ${threshold} days (ACM has not renewed it).`,
            metric: {
              namespace: "AWS/CertificateManager",
              metricName: "DaysToExpiry",
              dimensions: { CertificateArn: arn },
              stat: "Minimum",
            },
            periodSeconds: 86_400,
            evaluationPeriods: 1,
            threshold,
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "notBreaching",
          },
          args.routing,
          parent,
        );
      }
    }
  }
}
