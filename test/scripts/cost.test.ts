// The monthly cost estimate: one stack priced by hand from the price table, every planned type priced or free.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { costSummary, estimateCost, FREE_TYPES, PRICES, runsPerMonth } from "../../scripts/cost/estimate";
import { diffPlans } from "../../scripts/plan/diff";
import { renderMarkdown } from "../../scripts/plan/markdown";

const res = (type: string, name: string, inputs: Record<string, unknown>) => ({
  type,
  name,
  region: "us-east-1",
  inputs,
});
const metric = (period: number) => ({ namespace: "N", metricName: "M", dimensions: {}, period, stat: "Sum" });

const STACK = {
  stack: "priced",
  resources: [
    res("aws:cloudwatch/metricAlarm:MetricAlarm", "one", {
      metricName: "Errors",
      namespace: "AWS/Lambda",
      period: 60,
    }),
    res("aws:cloudwatch/metricAlarm:MetricAlarm", "math", {
      metricQueries: [
        { id: "e1", expression: "e / r" },
        { id: "e", metric: metric(60) },
        { id: "r", metric: metric(60) },
      ],
    }),
    res("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", { metricName: "M", namespace: "N", period: 10 }),
    res("aws:cloudwatch/compositeAlarm:CompositeAlarm", "down", { alarmRule: 'ALARM("one")' }),
    res("aws:route53/healthCheck:HealthCheck", "api", { type: "HTTPS_STR_MATCH", requestInterval: 10 }),
    res("aws:kms/key:Key", "key", {}),
    res("aws:cloudwatch/dashboard:Dashboard", "dash", {}),
    res("aws:scheduler/schedule:Schedule", "hourly", {
      scheduleExpression: "rate(1 hour)",
      target: { arn: "arn:aws:lambda:us-east-1:123456789012:function:job" },
    }),
    res("aws:lambda/function:Function", "fn", { name: "job", memorySize: 1024, timeout: 60 }),
    res("aws:iam/role:Role", "role", {}),
    res("maintenance:jobs:MaintenanceJob", "component", {}),
  ],
};

describe("monthly cost estimate", () => {
  it("prices one stack as computed by hand from prices.json (us-east-1, read 2026-12-01)", () => {
    const e = estimateCost(STACK);
    const hours = (365.25 / 12) * 24; // rate(1 hour) over an average month: 730.5 runs
    const expected = [
      ["one", "CloudWatch", "alarm-metric", 1, 0.1],
      ["math", "CloudWatch", "alarm-metric", 2, 0.2], // a metric-math alarm pays per metric it reads
      ["fast", "CloudWatch", "alarm-metric-high-resolution", 1, 0.3],
      ["down", "CloudWatch", "composite-alarm", 1, 0.5],
      ["api", "Route 53", "health-check", 1, 0.75],
      ["api", "Route 53", "health-check-https", 1, 2],
      ["api", "Route 53", "health-check-string-matching", 1, 2],
      ["api", "Route 53", "health-check-fast-interval", 1, 2],
      ["key", "KMS", "key", 1, 1],
      ["dash", "CloudWatch", "dashboard", 1, 3],
      ["hourly", "EventBridge Scheduler", "invocations", hours, (hours / 1e6) * 1.0],
      ["fn", "Lambda", "requests", hours, (hours / 1e6) * 0.2],
      ["fn", "Lambda", "arm64-duration", hours * 30, hours * 30 * 0.0000133334], // 30 s at 1 GB per run
    ] as const;
    expect(e.lines.map((l) => [l.resource, l.service, l.item, l.quantity, Number(l.usd.toFixed(9))])).toEqual(
      expected.map(([r, s, i, q, u]) => [r, s, i, q, Number(u.toFixed(9))]),
    );
    expect(e.usd).toBeCloseTo(11.85 + 0.0007305 + 0.0001461 + 0.29220145, 6);
    expect(e.unpriced).toEqual([]);
    expect(costSummary(e)[0]).toBe(
      "estimated monthly cost: $12.14 (Route 53 $6.75, CloudWatch $4.10, KMS $1.00, Lambda $0.29, EventBridge Scheduler $0.00)",
    );
    expect(
      costSummary(e)
        .slice(1)
        .every((l) => l.startsWith("  assumes ")),
    ).toBe(true);
  });

  it("stores a stack's dumps by class from the tiers' schedules and retention, at the size config gives", () => {
    const plan = {
      stack: "dumps",
      resources: [
        res("aws:s3/bucket:Bucket", "dumps", { bucket: "d-dumps" }),
        res("aws:scheduler/schedule:Schedule", "x-dumps-shop-daily", {
          scheduleExpression: "cron(0 3 * * ? *)",
          target: { arn: "arn:x" },
        }),
        res("aws:scheduler/schedule:Schedule", "x-dumps-shop-yearly", {
          scheduleExpression: "cron(0 4 1 1 ? *)",
          target: { arn: "arn:x" },
        }),
        res("aws:lambda/function:Function", "verify", {
          name: "x-dump-verify",
          environment: {
            variables: {
              JOB_CONFIG: JSON.stringify({
                buckets: ["d-dumps"],
                databases: [{ database: "shop", retentionDays: { daily: 30, yearly: 2557 } }],
              }),
            },
          },
        }),
      ],
    };
    const storage = (sizes = {}) =>
      estimateCost(plan, sizes)
        .lines.filter((l) => l.service === "S3")
        .map((l) => [l.item, Number(l.quantity.toFixed(6))]);
    const month = 365.25 / 12;
    // daily: 365/12 runs a month kept 30 days; yearly: 1/12 a month kept 2557 days, 90 of them in Standard.
    const daily = ((365 / 12) * 30) / month;
    const yearly = ((1 / 12) * 2557) / month;
    const hot = daily + (yearly * 90) / 2557;
    expect(storage()).toEqual([
      ["standard", Number(hot.toFixed(6))],
      ["glacier-instant-retrieval", Number((yearly - (yearly * 90) / 2557).toFixed(6))],
    ]);
    expect(storage({ dumpGiB: { shop: 20 } })[0]).toEqual(["standard", Number((hot * 20).toFixed(6))]);
  });

  it("counts a cron's runs in its timezone over an average month", () => {
    // 02:00 does not exist on 2030-03-31 in Berlin (spring forward): Scheduler skips it, 364 runs that year.
    expect(runsPerMonth("cron(0 2 * * ? *)", "Europe/Berlin")).toBeCloseTo(364 / 12, 6);
    expect(runsPerMonth("cron(0 3 * * ? *)", "Europe/Berlin")).toBeCloseTo(365 / 12, 6);
    expect(runsPerMonth("cron(* 2-3 ? * SUN *)", "UTC")).toBeCloseTo((52 * 120) / 12, 6); // 2030 has 52 Sundays
  });

  it("prices or lists as free every resource type in every committed plan", () => {
    const dir = join(__dirname, "..", "..", "plan");
    const unpriced = readdirSync(dir).flatMap((f) =>
      estimateCost(JSON.parse(readFileSync(join(dir, f), "utf8"))).unpriced.map((t) => `${f}: ${t}`),
    );
    expect(unpriced).toEqual([]);
    expect(Object.values(FREE_TYPES).every((why) => why.length > 0)).toBe(true);
  });

  it("keeps every price row's region, unit, source URL and date read", () => {
    for (const p of PRICES) {
      expect(p).toMatchObject({
        region: expect.stringMatching(/^[a-z]{2}-[a-z]+-\d$/),
        unit: expect.any(String),
        source: expect.stringMatching(/^https:\/\/aws\.amazon\.com\//),
        read: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(p.usd).toBeGreaterThan(0);
    }
  });

  it("shows in the PR comment what a change costs", () => {
    const after = {
      ...STACK,
      resources: [...STACK.resources, res("aws:cloudwatch/compositeAlarm:CompositeAlarm", "more", {})],
    };
    const md = renderMarkdown([
      {
        ...diffPlans(STACK, after),
        cost: { before: estimateCost(STACK).usd, after: estimateCost(after).usd },
      },
    ]);
    expect(md).toContain("| priced | 1 | 0 | 0 | 0 | $12.14 -> $12.64 (+$0.50) |");
  });
});
