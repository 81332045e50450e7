// Database alarms: down (RDS stops publishing, or the self-hosted process is gone), connections, storage and memory.
import type { MonitoringConfig } from "../config/monitoring";
import { GiB, type Member, rule } from "./alarm-member";

export function databaseAlarms(m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const t = m.thresholds;
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
  return out;
}
