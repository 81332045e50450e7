// Service alarms from the runbooks' alert tables: Route 53 health checks, latency, error rate, database, disk, memory,
// Redis and log-pattern alarms. Metric alarms carry no actions; composite alarms page, once for "system down", and are
// muted by maintenance windows (which publish a per-minute metric through EventBridge Scheduler).
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "../core/alarm";
import { serviceAlarmSpecs } from "./alarm-specs";
import { declarePages } from "./composites";
import { declareHealthChecks, ROUTE53_REGION } from "./health-checks";
import { declareLogMetricFilters } from "./log-alarms";
import { declareRequestLogFilters } from "./request-log";
import type { ServiceMonitoringArgs } from "./service-args";
import { declareWindowMarkers } from "./window-markers";

export type { ServiceMonitoringArgs } from "./service-args";

export class ServiceMonitoring extends pulumi.ComponentResource {
  /** ARNs of the composite alarms that page (primary region), for the dashboard's alarm widget. */
  readonly pagingAlarmArns: pulumi.Output<string>[] = [];

  constructor(name: string, args: ServiceMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:service:ServiceMonitoring", name, {}, opts);
    const m = args.config;
    const healthInPrimary = args.region === ROUTE53_REGION;
    const regions = [args.region, ...(m.healthChecks.length && !healthInPrimary ? [ROUTE53_REGION] : [])];

    // Sources: maintenance windows (per region that has composites), health checks (us-east-1), the runbook alarms.
    const suppressors = declareWindowMarkers(this, name, args, regions);
    const healthAlarms = declareHealthChecks(this, name, args);
    const members = serviceAlarmSpecs(args.stack, m);
    declareLogMetricFilters(this, name, args);
    declareRequestLogFilters(this, name, { ...args, requestLog: m.requestLog });
    const alarms = members.map((mem) => ({
      mem,
      alarm: metricAlarm(`${name}-${mem.id}`, mem.spec, args.routing, { parent: this }),
    }));

    // Composites: what pages, and what a maintenance window mutes.
    this.pagingAlarmArns.push(...declarePages(this, name, args, { alarms, healthAlarms, suppressors }));
    this.registerOutputs({});
  }
}
