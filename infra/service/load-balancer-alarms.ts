// Request alarms from the load balancer (ALB), API Gateway or nginx's access log: p95 latency, 5xx share of requests,
// 5xx per second, with the same thresholds and pages whatever the source.
import type { MetricSource } from "../core/alarm";
import type { MonitoringConfig } from "../config/monitoring";
import { type Member, rule } from "./alarm-member";
import { requestLogSources } from "./request-log";

export function loadBalancerAlarms(stack: string, m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const t = m.thresholds;
  const lb = m.loadBalancer;
  const api = m.apiGateway;
  const log = m.requestLog ? requestLogSources(stack) : undefined;
  for (const r of t.latencyP95Seconds) {
    out.push({
      id: `latency-${r.severity}`,
      systemDown: false,
      spec: {
        ...rule(r),
        page: "service-latency",
        summary: `API p95 response time above ${r.threshold}s.`,
        metric: log
          ? log.latency
          : lb
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
        // ALB and nginx's $request_time report seconds, API Gateway milliseconds.
        threshold: api && !log ? r.threshold * 1000 : r.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    });
  }
  const requests = (): { e: MetricSource; r: MetricSource } =>
    log
      ? { e: log.e, r: log.r }
      : lb
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
  return out;
}
