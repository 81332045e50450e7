// The composite alarms that page: "system down" once for the health check, critical error rate and database together,
// each health check by itself outside us-east-1 (a composite cannot span regions), and every other alarm by itself;
// each muted while a maintenance window is open in its region.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { anyOf, compositeAlarm, type Severity } from "../core/alarm";
import type { Member } from "./alarm-member";
import { ROUTE53_REGION } from "./health-checks";
import type { ServiceMonitoringArgs } from "./service-args";

export interface PageSources {
  /** The runbook alarms with their specs, in declaration order. */
  readonly alarms: readonly { readonly mem: Member; readonly alarm: aws.cloudwatch.MetricAlarm }[];
  /** The health-check alarms (us-east-1), in config order. */
  readonly healthAlarms: readonly aws.cloudwatch.MetricAlarm[];
  /** The maintenance-window alarm per region, where there are windows. */
  readonly suppressors: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
}

/** Declares the composites and returns the ARNs of those in the primary region, for the dashboard's alarm widget. */
export function declarePages(
  parent: pulumi.Resource,
  name: string,
  args: ServiceMonitoringArgs,
  sources: PageSources,
): pulumi.Output<string>[] {
  const m = args.config;
  const healthInPrimary = args.region === ROUTE53_REGION;
  const arns: pulumi.Output<string>[] = [];
  const suppressor = (region: string) =>
    sources.suppressors[region]
      ? { alarmName: sources.suppressors[region].name, waitPeriodSeconds: 120, extensionPeriodSeconds: 300 }
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
      { parent },
    );
    if (region === args.region) arns.push(composite.arn);
  };

  // "System down" pages once when the health check, critical error rate or database alarms fire together. Composite
  // alarms cannot span regions, so outside us-east-1 the health check pages through its own composite there.
  const downMembers = [
    ...sources.alarms.filter((a) => a.mem.systemDown).map((a) => a.alarm),
    ...(healthInPrimary ? sources.healthAlarms : []),
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
    for (const [i, h] of sources.healthAlarms.entries()) {
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
  for (const { mem, alarm } of sources.alarms.filter((a) => !a.mem.systemDown)) {
    page(
      `${name}-${mem.id}-page`,
      mem.spec.severity,
      mem.spec.page,
      mem.spec.summary,
      anyOf([alarm.name]),
      args.region,
    );
  }
  return arns;
}
