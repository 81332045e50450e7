// The service capability (`maintenance:monitoring`): the runbook's service alarms, paging topics in us-east-1 when its
// health checks need them, a summary line per maintenance window, and the paging alarms on the dashboard.
import { capability } from "../capability";
import { windowRef, windowStartCron } from "../core/schedule-catalog";
import { ROUTE53_REGION } from "./health-checks";
import { crossesMidnight } from "./maintenance-windows";
import { ServiceMonitoring } from "./service-monitoring";

export const service = capability({
  section: "monitoring",
  // Route 53 publishes health-check metrics only in us-east-1, so their alarms (and topics, keys) live there.
  extraRegions: (config, region) =>
    config.healthChecks.length > 0 && region !== ROUTE53_REGION ? [ROUTE53_REGION] : [],
  declare(config, shared) {
    const monitoring = new ServiceMonitoring(`${shared.namePrefix}-service`, {
      stack: shared.stack,
      namePrefix: shared.namePrefix,
      region: shared.region,
      timezone: shared.timezone,
      config,
      routing: shared.routing,
      scheduleGroupName: shared.scheduleGroupName,
      messagingKmsKeyArns: shared.messagingKmsKeyArns,
      tags: shared.tags,
    });
    for (const w of config.maintenanceWindows)
      shared.schedules.add({
        ref: windowRef(w.name),
        expression: windowStartCron(w),
        timezone: w.timezone ?? shared.timezone,
        description: `maintenance window ${w.name} opens (${w.day} ${w.start}-${w.end})`,
      });
    return {
      warnings: [],
      notes: config.maintenanceWindows.map(
        (w) =>
          `maintenance window ${w.name}: ${w.day} ${w.start}-${w.end}${crossesMidnight(w) ? " (ends the next day)" : ""} ${w.timezone ?? shared.timezone} (service alarms muted)`,
      ),
      dashboard: { alarmArns: monitoring.pagingAlarmArns },
    };
  },
});
