// Service alarms per runbook stack (threshold, period, severity), maintenance-window suppression, and bad config.
import { loadConfig } from "../../../infra/config";
import { demoSource } from "../../support/config-source";
import { nextRuns } from "../../../infra/core/schedule";
import { type RecordedStack, recordStack } from "../../../scripts/lib/record-stack";
import { buildStack } from "../../../infra/program";
import { type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
const stacks: Record<string, RecordedStack> = {};

beforeAll(async () => {
  for (const s of ["appointments-prod", "boardroom-prod", "skillswap-prod", "mental-scribe-prod", "dev"])
    stacks[s] = await recordStack(s);
});

const byName = (stack: string, type: string, name: string): RecordedResource => {
  const hit = stacks[stack]!.resources.find((r) => r.type === type && r.name === name);
  if (!hit) throw new Error(`${stack} has no ${type} ${name}`);
  return hit;
};
const alarm = (stack: string, name: string) => byName(stack, ALARM, name).inputs;

describe("runbook alert tables become alarms with the runbook's thresholds", () => {
  it("appointment bot: API > 2 s warning, > 10 s critical, error rate > 5 %, disk > 90 %, memory > 95 %", () => {
    expect(alarm("appointments-prod", "appointments-service-latency-warning-alarm")).toMatchObject({
      namespace: "AWS/ApplicationELB",
      metricName: "TargetResponseTime",
      extendedStatistic: "p95",
      threshold: 2,
      period: 60,
      evaluationPeriods: 5,
      comparisonOperator: "GreaterThanThreshold",
      tags: { severity: "warning", "alarm-page": "service-latency" },
      alarmActions: [],
    });
    expect(alarm("appointments-prod", "appointments-service-latency-critical-alarm")).toMatchObject({
      threshold: 10,
      tags: { severity: "critical" },
    });
    const errorRate = alarm("appointments-prod", "appointments-service-error-rate-warning-alarm");
    expect(errorRate.threshold).toBe(5);
    expect(errorRate.metricQueries).toEqual([
      { id: "e1", expression: "IF(r > 0, 100 * e / r, 0)", label: "5xx % of requests", returnData: true },
      {
        id: "e",
        returnData: false,
        metric: {
          namespace: "AWS/ApplicationELB",
          metricName: "HTTPCode_Target_5XX_Count",
          dimensions: { LoadBalancer: "app/appointments-alb/0123456789abcdef" },
          period: 60,
          stat: "Sum",
        },
      },
      {
        id: "r",
        returnData: false,
        metric: {
          namespace: "AWS/ApplicationELB",
          metricName: "RequestCount",
          dimensions: { LoadBalancer: "app/appointments-alb/0123456789abcdef" },
          period: 60,
          stat: "Sum",
        },
      },
    ]);
    expect(
      alarm("appointments-prod", "appointments-service-i-0a1b2c3d4e5f60718-disk-critical-alarm"),
    ).toMatchObject({
      namespace: "CWAgent",
      metricName: "disk_used_percent",
      threshold: 90,
      tags: { severity: "critical" },
    });
    expect(
      alarm("appointments-prod", "appointments-service-i-0a1b2c3d4e5f60718-memory-critical-alarm"),
    ).toMatchObject({
      metricName: "mem_used_percent",
      threshold: 95,
      tags: { severity: "critical" },
    });
    expect(alarm("appointments-prod", "appointments-service-database-down-alarm")).toMatchObject({
      metricName: "procstat_lookup_pid_count",
      dimensions: { InstanceId: "i-0a1b2c3d4e5f60718", pattern: "mysqld", pid_finder: "native" },
      treatMissingData: "breaching",
    });
  });

  it("Boardroom: 5xx > 0.1/s for 5 minutes from nginx's access log, and database down for 1 minute", () => {
    const fiveXx = alarm("boardroom-prod", "boardroom-service-5xx-rate-warning-alarm");
    expect(fiveXx).toMatchObject({
      threshold: 0.1,
      evaluationPeriods: 5,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect((fiveXx.metricQueries as { expression?: string }[])[0]!.expression).toBe("e / PERIOD(e)");
    expect((fiveXx.metricQueries as { metric?: { period: number } }[])[1]!.metric).toEqual({
      namespace: "Maintenance/boardroom-prod",
      metricName: "Responses5xx",
      dimensions: {},
      period: 60,
      stat: "Sum",
    });
    expect(alarm("boardroom-prod", "boardroom-service-database-down-alarm")).toMatchObject({
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
    });
    expect(
      alarm("boardroom-prod", "boardroom-service-i-0b1c2d3e4f5a60718-redis-server-down-alarm"),
    ).toMatchObject({
      dimensions: { InstanceId: "i-0b1c2d3e4f5a60718", pattern: "redis-server", pid_finder: "native" },
    });
  });

  it("SkillSwap: a failed-login metric filter with its alarm, and Redis health", () => {
    expect(
      byName(
        "skillswap-prod",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "skillswap-service-log-failed-logins",
      ).inputs,
    ).toEqual({
      name: "skillswap-failed-logins",
      logGroupName: "/skillswap/backend",
      pattern: '"login failed"',
      metricTransformation: {
        name: "FailedLogins",
        namespace: "Maintenance/skillswap-prod",
        value: "1",
        defaultValue: "0",
      },
    });
    expect(alarm("skillswap-prod", "skillswap-service-log-failed-logins-alarm")).toMatchObject({
      namespace: "Maintenance/skillswap-prod",
      metricName: "FailedLogins",
      threshold: 50,
      period: 300,
    });
  });

  it("puts Route 53 health-check alarms in us-east-1 whatever the stack's region", () => {
    const health = byName("skillswap-prod", ALARM, "skillswap-service-api-health-alarm");
    expect(health.region).toBe("us-east-1");
    expect(health.inputs).toMatchObject({
      namespace: "AWS/Route53",
      metricName: "HealthCheckStatus",
      region: "us-east-1",
    });
    const check = byName(
      "skillswap-prod",
      "aws:route53/healthCheck:HealthCheck",
      "skillswap-service-api-health",
    );
    expect(check.inputs).toMatchObject({
      type: "HTTPS",
      fqdn: "api.skillswap.in",
      port: 443,
      resourcePath: "/health",
      requestInterval: 30,
      failureThreshold: 3,
    });
    // Its page goes to a topic in us-east-1, since alarms notify only topics in their own region.
    const page = byName("skillswap-prod", COMPOSITE, "skillswap-service-api-down-composite");
    expect(page.inputs.alarmActions).toEqual([
      "arn:aws:sns:us-east-1:123456789012:skillswap-oncall-critical-us-east-1",
    ]);
  });

  it("member alarms never page by themselves: only composites do", () => {
    for (const stack of Object.keys(stacks)) {
      const members = stacks[stack]!.resources.filter(
        (r) =>
          r.type === ALARM && r.parent?.startsWith("maintenance:service:") && !/window-open/.test(r.name),
      );
      for (const m of members) expect([m.name, m.inputs.alarmActions]).toEqual([m.name, []]);
    }
  });
});

/** CloudWatch semantics for the test: does any recorded window schedule fire in the minute starting at `t`? */
function windowOpen(stack: string, t: Date): boolean {
  return stacks[stack]!.resources.filter(
    (r) =>
      r.type === "aws:scheduler/schedule:Schedule" &&
      String((r.inputs.target as { arn: string }).arn).includes("putMetricData") &&
      r.region === stacks[stack]!.config.region,
  ).some((s) => {
    const [next] = nextRuns(
      String(s.inputs.scheduleExpression),
      String(s.inputs.scheduleExpressionTimezone),
      new Date(t.getTime() - 1),
      1,
    );
    return next?.getTime() === t.getTime();
  });
}

/** A composite acts when its rule is true and its suppressor is not in ALARM (the window alarm is ALARM while open). */
function compositeActs(stack: string, composite: RecordedResource, firing: Set<string>, t: Date): boolean {
  const rule = String(composite.inputs.alarmRule);
  const members = [...rule.matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]!);
  const ruleTrue = members.some((m) => firing.has(m));
  const suppressor = composite.inputs.actionsSuppressor as { alarm: string } | undefined;
  const windowAlarm = stacks[stack]!.resources.find(
    (r) => r.type === ALARM && r.inputs.name === suppressor?.alarm,
  );
  const suppressed = windowAlarm !== undefined && windowOpen(stack, t);
  return ruleTrue && !suppressed;
}

describe("maintenance windows suppress paging inside the window only", () => {
  const systemDown = () =>
    byName("mental-scribe-prod", COMPOSITE, "mental-scribe-service-system-down-composite");
  const health = () =>
    String(byName("mental-scribe-prod", ALARM, "mental-scribe-service-app-health-alarm").inputs.name);

  it("wires the suppressor exactly: the window alarm, a 2-minute wait and a 5-minute extension", () => {
    const window = byName("mental-scribe-prod", ALARM, "mental-scribe-service-window-open-alarm").inputs;
    expect(window).toMatchObject({
      namespace: "Maintenance/mental-scribe-prod",
      metricName: "MaintenanceWindowOpen",
      dimensions: { Window: "any" },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    expect(systemDown().inputs.actionsSuppressor).toEqual({
      alarm: window.name,
      waitPeriod: 120,
      extensionPeriod: 300,
    });
    expect(systemDown().inputs.alarmRule).toBe(`ALARM("${health()}")`);
    const schedules = stacks["mental-scribe-prod"]!.resources.filter(
      (r) =>
        r.name.startsWith("mental-scribe-service-window-") && r.type === "aws:scheduler/schedule:Schedule",
    ).sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(schedules.map((s) => [s.inputs.scheduleExpression, s.inputs.scheduleExpressionTimezone])).toEqual([
      ["cron(* 2-5 ? * SUN#1 *)", "UTC"],
      ["cron(* 2-3 ? * SUN *)", "UTC"],
    ]);
    expect(JSON.parse(String((schedules[0]!.inputs.target as { input: string }).input))).toEqual({
      Namespace: "Maintenance/mental-scribe-prod",
      MetricData: [
        {
          MetricName: "MaintenanceWindowOpen",
          Dimensions: [{ Name: "Window", Value: "any" }],
          Value: 1,
          Unit: "Count",
        },
      ],
    });
  });

  it.each([
    ["Sunday 03:00 UTC (weekly window)", "2026-11-29T03:00:00Z", false],
    ["first Sunday 05:00 UTC (monthly window)", "2026-12-06T05:00:00Z", false],
    ["second Sunday 05:00 UTC (no window)", "2026-12-13T05:00:00Z", true],
    ["Sunday 04:00 UTC (weekly window just ended)", "2026-11-29T04:00:00Z", true],
    ["Monday 03:00 UTC", "2026-11-30T03:00:00Z", true],
  ])("a system-down alarm at %s pages: %s", (_label, at, pages) => {
    expect(compositeActs("mental-scribe-prod", systemDown(), new Set([health()]), new Date(at))).toBe(pages);
  });

  it("follows the window's own timezone (SkillSwap: 02:00-04:00 IST is 20:30-22:30 UTC on Saturday)", () => {
    const composite = byName("skillswap-prod", COMPOSITE, "skillswap-service-system-down-composite");
    const db = String(byName("skillswap-prod", ALARM, "skillswap-service-database-down-alarm").inputs.name);
    expect(compositeActs("skillswap-prod", composite, new Set([db]), new Date("2026-11-28T21:00:00Z"))).toBe(
      false,
    );
    expect(compositeActs("skillswap-prod", composite, new Set([db]), new Date("2026-11-29T02:30:00Z"))).toBe(
      true,
    );
  });
});

describe("invalid thresholds and windows", () => {
  const source = (monitoring: unknown) => demoSource({ monitoring: monitoring });
  it.each([
    [
      { maintenanceWindows: [{ name: "w", day: "SUN#1", start: "23:00", end: "01:00" }] },
      /maintenanceWindows\[0\]\.end: 23:00-01:00 crosses midnight, which only a plain day \(SUN..SAT\) can/,
    ],
    [
      { maintenanceWindows: [{ name: "w", day: "SUN", start: "02:00", end: "02:00" }] },
      /maintenanceWindows\[0\]\.end: must differ from start \(02:00\)/,
    ],
    [
      { maintenanceWindows: [{ name: "w", day: "SUN", start: "02:00", end: "24:30" }] },
      /maintenanceWindows\[0\]\.end: must be a 24-hour time HH:MM \(e.g. 04:00\), or 24:00 for midnight/,
    ],
    [
      { maintenanceWindows: [{ name: "w", day: "SUNDAY", start: "02:00", end: "04:00" }] },
      /maintenanceWindows\[0\]\.day: must be a day as EventBridge cron writes it/,
    ],
    [
      { maintenanceWindows: [{ name: "w", day: "SUN", start: "2am", end: "04:00" }] },
      /maintenanceWindows\[0\]\.start: must be a 24-hour time HH:MM/,
    ],
    [
      { maintenanceWindows: [{ name: "w", day: "SUN", start: "02:00", end: "04:00", timezone: "IST" }] },
      /timezone: "IST" is not an IANA timezone/,
    ],
    [
      { thresholds: { latencyP95Seconds: [{ threshold: 2, severity: "warning" }] } },
      /loadBalancer: latency and error-rate thresholds need a request metric source/,
    ],
    [
      {
        loadBalancer: { arnSuffix: "app/x/0a" },
        thresholds: { errorRatePercent: [{ threshold: 150, severity: "warning" }] },
      },
      /errorRatePercent\[0\]\.threshold: must be at most 100 %/,
    ],
    [
      {
        loadBalancer: { arnSuffix: "app/x/0a" },
        thresholds: { errorRatePercent: [{ threshold: 5, severity: "page" }] },
      },
      /severity: must be one of "critical", "warning", "info"/,
    ],
    [
      {
        loadBalancer: { arnSuffix: "app/x/0a" },
        thresholds: {
          errorRatePercent: [
            { threshold: 5, severity: "warning", periodSeconds: 300, evaluationPeriods: 300 },
          ],
        },
      },
      /exceeds CloudWatch's 86400s limit/,
    ],
    [
      { healthChecks: [{ name: "api", url: "https://x.example/health", requestIntervalSeconds: 60 }] },
      /healthChecks\[0\]\.requestIntervalSeconds/,
    ],
    [
      { thresholds: { redisMemoryPercent: [{ threshold: 80, severity: "warning" }] } },
      /redis: redis thresholds need redis.cacheClusterId/,
    ],
  ])("rejects %j", (monitoring, message) => {
    expect(() => loadConfig(source(monitoring))).toThrow(message);
  });
});

describe("a window across midnight (Saturday 23:00-01:00 Europe/Berlin)", () => {
  it("marks Saturday 23:xx and Sunday 00:xx open in the window's zone, and the composites wait on that marker", async () => {
    const resources = await recordProgram(
      () =>
        buildStack(
          loadConfig(
            demoSource({
              monitoring: {
                healthChecks: [{ name: "api", url: "https://x.example/health" }],
                maintenanceWindows: [
                  { name: "weekly", day: "SAT", start: "23:00", end: "01:00", timezone: "Europe/Berlin" },
                  { name: "late", day: "SUN", start: "22:00", end: "24:00" },
                ],
              },
            }),
          ),
        ),
      { stack: "demo", region: "eu-west-2" },
    );
    const schedules = resources
      .filter((r) => r.type === "aws:scheduler/schedule:Schedule" && r.name.includes("-window-"))
      .filter((r) => !r.inputs.region)
      .map((r) => [r.name, r.inputs.scheduleExpression, r.inputs.scheduleExpressionTimezone]);
    expect(schedules).toEqual([
      ["demo-service-window-weekly-0", "cron(* 23 ? * SAT *)", "Europe/Berlin"],
      ["demo-service-window-weekly-1", "cron(* 0 ? * SUN *)", "Europe/Berlin"],
      ["demo-service-window-late-0", "cron(* 22-23 ? * SUN *)", "UTC"],
    ]);
  });
});
