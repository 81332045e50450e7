// Host alarms from the CloudWatch agent: each watched process running, disk and memory use, per instance.
import type { MonitoringConfig } from "../config/monitoring";
import { type Member, rule } from "./alarm-member";

export function hostAlarms(m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const t = m.thresholds;
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
      // The schema requires both with disk thresholds; never alarm on a dimension set no agent publishes.
      if (!h.device || !h.fstype)
        throw new Error(`hosts ${h.instanceId}: disk alarm needs device and fstype`);
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
  return out;
}
