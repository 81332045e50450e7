// docs/onboarding.md is followed: its stack file, copied out of the page, validates and plans with what the guide says.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RecordedStack, recordStack } from "../../scripts/lib/record-stack";

const GUIDE = join(__dirname, "..", "..", "docs", "onboarding.md");

/** The YAML block after the guide's template marker, and the stack name the marker gives. */
function template(): { stack: string; yaml: string } {
  const text = readFileSync(GUIDE, "utf8");
  const m = /<!-- onboarding-template: stacks\/Pulumi\.([a-z0-9-]+)\.yaml -->\n```yaml\n([\s\S]*?)\n```/.exec(
    text,
  );
  if (!m) throw new Error("docs/onboarding.md has no onboarding-template block");
  return { stack: m[1]!, yaml: `${m[2]!}\n` };
}

let rec: RecordedStack;
beforeAll(async () => {
  const { stack, yaml } = template();
  const dir = mkdtempSync(join(tmpdir(), "onboarding-"));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), yaml);
  rec = await recordStack(stack, dir);
});

const named = (type: string, name: string) => {
  const r = rec.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`the guide's stack has no ${type} ${name}`);
  return r.inputs;
};

describe("the onboarding guide's stack file", () => {
  it("plans the single-instance app: request alarms from nginx's log, no load balancer", () => {
    expect(
      named("aws:cloudwatch/logMetricFilter:LogMetricFilter", "shop-service-request-log-request-time"),
    ).toMatchObject({ logGroupName: "/shop/nginx/access", pattern: "{ $.request_time >= 0 }" });
    expect(
      named("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-service-latency-critical-alarm"),
    ).toMatchObject({
      namespace: "Maintenance/shop-prod",
      metricName: "RequestTime",
      extendedStatistic: "p95",
      threshold: 10,
    });
    expect(rec.resources.some((r) => JSON.stringify(r.inputs).includes("AWS/ApplicationELB"))).toBe(false);
  });

  it("marks the Saturday 23:00-01:00 Berlin window open on both days", () => {
    const windows = rec.resources
      .filter((r) => r.type === "aws:scheduler/schedule:Schedule" && /-window-weekly-\d$/.test(r.name))
      .map((r) => [r.inputs.scheduleExpression, r.inputs.scheduleExpressionTimezone]);
    expect(windows).toEqual([
      ["cron(* 23 ? * SAT *)", "Europe/Berlin"],
      ["cron(* 0 ? * SUN *)", "Europe/Berlin"],
    ]);
  });

  it("dumps the self-hosted PostgreSQL daily at 03:00 Berlin time, in the guide's subnets", () => {
    expect(named("aws:scheduler/schedule:Schedule", "shop-dumps-shop-daily")).toMatchObject({
      scheduleExpression: "cron(0 3 * * ? *)",
      scheduleExpressionTimezone: "Europe/Berlin",
    });
    expect(named("aws:lambda/function:Function", "shop-dumps-shop-fn").vpcConfig).toMatchObject({
      subnetIds: ["subnet-0123456789abcdef0"],
      securityGroupIds: ["sg-0123456789abcdef0"],
    });
  });

  it("reads the pager URL from its secure: ciphertext and asks for no other secret", () => {
    expect(rec.missingSecrets).toEqual([]);
    expect(named("aws:sns/topicSubscription:TopicSubscription", "shop-paging-critical-pager")).toMatchObject({
      protocol: "https",
      endpoint: "[secret]",
    });
  });
});
