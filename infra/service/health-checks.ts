// Route 53 health checks of the service's URLs and their alarms, which live in us-east-1 whatever the stack's region.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "../core/alarm";
import type { ServiceMonitoringArgs } from "./service-args";

/** Route 53 publishes health-check metrics in us-east-1 only. https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html */
export const ROUTE53_REGION = "us-east-1";

/** Declares a health check and its alarm per configured URL; returns the alarms in config order. */
export function declareHealthChecks(
  parent: pulumi.Resource,
  name: string,
  args: ServiceMonitoringArgs,
): aws.cloudwatch.MetricAlarm[] {
  const healthAlarms: aws.cloudwatch.MetricAlarm[] = [];
  for (const h of args.config.healthChecks) {
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
      { parent },
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
        { parent },
      ),
    );
  }
  return healthAlarms;
}
