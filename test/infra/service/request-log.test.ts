// An app on one instance with nginx in front and no ALB: latency and error-rate alarms from nginx's JSON access log.
import { loadConfig } from "../../../infra/config";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

const monitoring = {
  requestLog: { logGroupName: "/shop/nginx/access" },
  hosts: [{ instanceId: "i-0123456789abcdef0" }],
  thresholds: {
    latencyP95Seconds: [{ threshold: 2, severity: "warning" }],
    errorRatePercent: [{ threshold: 5, severity: "critical" }],
    fiveXxPerSecond: [{ threshold: 0.1, severity: "warning" }],
  },
};

let resources: RecordedResource[];
beforeAll(async () => {
  resources = await recordProgram(() => buildStack(loadConfig(demoSource({ monitoring }))), {
    stack: "demo",
    region: "eu-west-2",
  });
});

describe("request alarms from nginx's access log (no load balancer)", () => {
  it("declares exactly three metric filters on the access log, numbers compared as JSON numbers", () => {
    const filters = resources
      .filter((r) => r.type === FILTER && r.name.includes("request-log"))
      .map((r) => ({ logical: r.name, ...r.inputs }));
    expect(filters).toEqual([
      {
        logical: "demo-service-request-log-request-time",
        name: "demo-request-log-request-time",
        logGroupName: "/shop/nginx/access",
        pattern: "{ $.request_time >= 0 }",
        metricTransformation: {
          name: "RequestTime",
          namespace: "Maintenance/demo",
          value: "$.request_time",
          unit: "Seconds",
        },
      },
      {
        logical: "demo-service-request-log-requests",
        name: "demo-request-log-requests",
        logGroupName: "/shop/nginx/access",
        pattern: "{ $.status >= 100 }",
        metricTransformation: { name: "Requests", namespace: "Maintenance/demo", value: "1", unit: "Count" },
      },
      {
        logical: "demo-service-request-log-5xx",
        name: "demo-request-log-5xx",
        logGroupName: "/shop/nginx/access",
        pattern: "{ $.status >= 500 && $.status <= 599 }",
        metricTransformation: {
          name: "Responses5xx",
          namespace: "Maintenance/demo",
          value: "1",
          defaultValue: "0",
          unit: "Count",
        },
      },
    ]);
  });

  it("alarms on the p95 request time in seconds with the latency page", () => {
    const a = findResource(resources, ALARM, "demo-service-latency-warning-alarm").inputs;
    expect(a).toMatchObject({
      namespace: "Maintenance/demo",
      metricName: "RequestTime",
      dimensions: {},
      extendedStatistic: "p95",
      threshold: 2,
      period: 60,
      evaluationPeriods: 5,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      tags: { severity: "warning", "alarm-page": "service-latency" },
    });
  });

  it("alarms on the 5xx share and the 5xx rate from the filters' counts", () => {
    const rate = findResource(resources, ALARM, "demo-service-error-rate-critical-alarm").inputs;
    expect(rate.threshold).toBe(5);
    expect(rate.tags).toEqual({ severity: "critical", "alarm-page": "service-error-rate" });
    expect(rate.metricQueries).toEqual([
      { id: "e1", expression: "IF(r > 0, 100 * e / r, 0)", label: "5xx % of requests", returnData: true },
      {
        id: "e",
        returnData: false,
        metric: {
          namespace: "Maintenance/demo",
          metricName: "Responses5xx",
          dimensions: {},
          period: 60,
          stat: "Sum",
        },
      },
      {
        id: "r",
        returnData: false,
        metric: {
          namespace: "Maintenance/demo",
          metricName: "Requests",
          dimensions: {},
          period: 60,
          stat: "Sum",
        },
      },
    ]);
    const fiveXx = findResource(resources, ALARM, "demo-service-5xx-rate-warning-alarm").inputs;
    expect(fiveXx).toMatchObject({ threshold: 0.1, tags: { "alarm-page": "service-5xx-rate" } });
    expect((fiveXx.metricQueries as { expression?: string }[])[0]!.expression).toBe("e / PERIOD(e)");
  });

  it.each([
    [
      { ...monitoring, loadBalancer: { arnSuffix: "app/x/0a" } },
      /requestLog: set one request metric source, not loadBalancer and requestLog/,
    ],
    [
      { ...monitoring, requestLog: { logGroupName: "/x", statusField: "$.status" } },
      /requestLog\.statusField: must be a top-level JSON field name/,
    ],
  ])("rejects %j", (m, message) => {
    expect(() => loadConfig(demoSource({ monitoring: m }))).toThrow(message);
  });
});
