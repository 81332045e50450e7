// The plan diff names exactly what changed, flags what needs a second reviewer, and its Markdown always fits a comment.
import { diffPlans } from "../../scripts/plan/diff";
import { COMMENT_MARKER, renderMarkdown, renderText } from "../../scripts/plan/markdown";
import { reviewFlags } from "../../scripts/plan/review-rules";
import { parsePlanArgs } from "../../scripts/lib/plan-command";

const res = (type: string, name: string, inputs: Record<string, unknown>) => ({
  type,
  name,
  parent: null,
  region: "eu-west-2",
  inputs,
});

describe("diffPlans", () => {
  it("classifies create, update (with the changed paths), replace, delete and unchanged", () => {
    const before = {
      stack: "s",
      resources: [
        res("aws:scheduler/schedule:Schedule", "daily", {
          name: "d",
          scheduleExpression: "cron(0 2 * * ? *)",
          target: { retryPolicy: { maximumRetryAttempts: 3 } },
        }),
        res("aws:s3/bucket:Bucket", "b", { bucket: "app-b-1" }),
        res("aws:sqs/queue:Queue", "gone", { name: "q" }),
        res("aws:kms/key:Key", "k", { enableKeyRotation: true }),
      ],
    };
    const after = {
      stack: "s",
      resources: [
        res("aws:scheduler/schedule:Schedule", "daily", {
          name: "d",
          scheduleExpression: "cron(30 1 * * ? *)",
          target: { retryPolicy: { maximumRetryAttempts: 5 } },
        }),
        res("aws:s3/bucket:Bucket", "b", { bucket: "app-b-2" }),
        res("aws:kms/key:Key", "k", { enableKeyRotation: true }),
        res("aws:sns/topic:Topic", "new", { name: "t" }),
      ],
    };
    const diff = diffPlans(before, after);
    expect(diff.changes.map((c) => [c.kind, c.name, c.properties, c.replaceBecause])).toEqual([
      ["same", "k", [], []],
      ["replace", "b", ["bucket"], ["bucket"]],
      ["update", "daily", ["scheduleExpression", "target.retryPolicy.maximumRetryAttempts"], []],
      ["create", "new", [], []],
      ["delete", "gone", [], []],
    ]);
    expect(diff.changes[1]!.dangers).toEqual([
      "replaces a stateful aws:s3/bucket:Bucket: its data does not move to the new one",
    ]);
    expect(renderText([diff])).toContain(
      "~ aws:scheduler/schedule:Schedule daily [scheduleExpression, target.retryPolicy.maximumRetryAttempts]",
    );
  });

  it("flags shortened retention and forceDestroy for a second reviewer", () => {
    const before = {
      stack: "s",
      resources: [
        res("aws:cloudwatch/logGroup:LogGroup", "lg", { name: "/x", retentionInDays: 365 }),
        res("aws:s3/bucket:Bucket", "b", { bucket: "x", forceDestroy: false }),
      ],
    };
    const after = {
      stack: "s",
      resources: [
        res("aws:cloudwatch/logGroup:LogGroup", "lg", { name: "/x", retentionInDays: 30 }),
        res("aws:s3/bucket:Bucket", "b", { bucket: "x", forceDestroy: true }),
      ],
    };
    const dangers = diffPlans(before, after).changes.flatMap((c) => c.dangers);
    expect(dangers).toEqual(["retentionInDays shortened from 365 to 30", "forceDestroy turned on"]);
  });
});

describe("reviewFlags: what lets data go sooner, wherever it lives", () => {
  const jc = "environment.variables.JOB_CONFIG";
  it.each([
    [`${jc}.keepLastFloor`, 3, 1, "lowered from 3 to 1"],
    [`${jc}.expiry.maxMarksPerRun`, 20, 50, "raised from 20 to 50"],
    [`${jc}.freshnessHours`, 48, 96, "raised from 48 to 96"],
    [`${jc}.retention.keepWithinDaily`, "1m", "7d", "shortened from 1m to 7d"],
    [`${jc}.retention.keepLast`, 7, undefined, "lowered from 7 to unset"],
    ["rules[dumps-daily].expiration.days", 30, 7, "shortened from 30 to 7"],
    [`${jc}.databases[app].tasks[1].task.olderThanDays`, 90, 30, "shortened from 90 to 30"],
    [`${jc}.databases[app].tasks[1].task.maxRowsPerRun`, 1000, 50000, "raised from 1000 to 50000"],
  ])("flags %s %j => %j", (path, before, after, text) => {
    expect(reviewFlags([{ path, before, after }])).toEqual([`${path} ${text}`]);
  });
  it.each([
    [`${jc}.keepLastFloor`, 3, 5],
    [`${jc}.expiry.maxMarksPerRun`, 20, 10],
    [`${jc}.retention.keepWithinDaily`, "7d", "1m"],
    [`${jc}.retentionDays`, 14, 30],
  ])("does not flag %s %j => %j (keeps more)", (path, before, after) => {
    expect(reviewFlags([{ path, before, after }])).toEqual([]);
  });
  it("flags an archive or purge now allowed to empty its table", () => {
    const path = `${jc}.databases[app].tasks[2].task.allowEmptying`;
    expect(reviewFlags([{ path, before: false, after: true }])).toEqual([
      `${path}: allowed to empty the table (false => true)`,
    ]);
    expect(reviewFlags([{ path, before: true, after: false }])).toEqual([]);
  });
  it("flags dry run turned off", () => {
    expect(reviewFlags([{ path: `${jc}.expiry.dryRun`, before: true, after: false }])).toEqual([
      `${jc}.expiry.dryRun: dry run turned off (true => false)`,
    ]);
  });
});

describe("renderMarkdown", () => {
  it("flags replication that is removed, stopped or made to replicate deletes for a second reviewer", () => {
    const rule = (id: string, status: string, deletes = "Disabled") => ({
      id,
      status,
      deleteMarkerReplication: { status: deletes },
    });
    const config = (bucket: string, rules: unknown[]) =>
      res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", `${bucket}-replication`, {
        bucket,
        rules,
      });
    const before = {
      stack: "s",
      resources: [
        config("dumps", [rule("dumps-daily", "Enabled"), rule("dumps-yearly", "Enabled")]),
        config("vault", [rule("vault", "Enabled")]),
      ],
    };
    const after = {
      stack: "s",
      resources: [
        config("dumps", [rule("dumps-daily", "Enabled", "Enabled"), rule("dumps-yearly", "Disabled")]),
      ],
    };
    expect(diffPlans(before, after).changes.flatMap((c) => c.dangers)).toEqual([
      "replicates delete markers under rule dumps-daily of dumps: a deleted source dump would hide its DR copy",
      "stops replication rule dumps-yearly of dumps: its new dumps no longer reach the DR region",
      "removes S3 replication of vault: its new dumps no longer reach the DR region",
    ]);
    // Adding replication, or a rule, needs no second reviewer.
    expect(diffPlans(after, before).changes.flatMap((c) => c.dangers)).toEqual([]);
  });

  it("keeps a diff of more than 65,536 raw characters under the limit with the whole summary", () => {
    const stacks = Array.from({ length: 6 }, (_, s) => `stack-${s}`);
    const diffs = stacks.map((stack) =>
      diffPlans(
        {
          stack,
          resources: Array.from({ length: 300 }, (_, i) =>
            res("aws:iam/rolePolicy:RolePolicy", `p${i}`, { policy: "x".repeat(400) }),
          ),
        },
        {
          stack,
          resources: Array.from({ length: 300 }, (_, i) =>
            res("aws:iam/rolePolicy:RolePolicy", `p${i}`, { policy: "y".repeat(400) }),
          ),
        },
      ),
    );
    const raw = JSON.stringify(diffs).length;
    expect(raw).toBeGreaterThan(65_536);
    const md = renderMarkdown(diffs, { limit: 60_000 });
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md.startsWith(COMMENT_MARKER)).toBe(true);
    for (const s of stacks) expect(md).toContain(`| ${s} | 0 | 300 | 0 | 0 |`);
  });
});

describe("--diff for a reviewer", () => {
  it("compares with the plans committed at HEAD unless --base names another ref", () => {
    expect(parsePlanArgs(["--diff"])).toMatchObject({ diff: true, base: "HEAD" });
    expect(parsePlanArgs(["--diff", "--base", "origin/main", "dev"])).toMatchObject({
      base: "origin/main",
      stacks: ["dev"],
    });
    expect(parsePlanArgs([])).toMatchObject({ diff: false, base: undefined });
  });

  it("shows a new stack's schedules, thresholds and retention, and one line for the stacks that did not change", () => {
    const created = diffPlans(undefined, {
      stack: "shop-prod",
      resources: [
        res("aws:scheduler/schedule:Schedule", "daily", {
          name: "shop-daily",
          scheduleExpression: "cron(0 3 * * ? *)",
          scheduleExpressionTimezone: "Europe/Berlin",
          target: { arn: "arn:x", roleArn: "arn:r" },
        }),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "latency", {
          name: "shop-latency",
          threshold: 2,
          comparisonOperator: "GreaterThanThreshold",
          alarmDescription: "long text",
        }),
        res("aws:lambda/function:Function", "verify", {
          name: "shop-verify",
          environment: {
            variables: {
              JOB_CONFIG: JSON.stringify({ databases: [{ database: "shop", retentionDays: { daily: 30 } }] }),
            },
          },
        }),
      ],
    });
    const same = (stack: string) =>
      diffPlans(
        { stack, resources: [res("aws:sns/topic:Topic", "t", { name: "t" })] },
        {
          stack,
          resources: [res("aws:sns/topic:Topic", "t", { name: "t" })],
        },
      );
    const text = renderText([created, same("a-prod"), same("b-prod")]);
    expect(text).toContain("  shop-prod: 3 to create, 0 to update, 0 to replace, 0 to delete");
    expect(text).toContain("  No changes: a-prod, b-prod.");
    expect(text).not.toContain("a-prod: 0 to create");
    expect(text).toContain(
      "      scheduleExpression = cron(0 3 * * ? *)\n      scheduleExpressionTimezone = Europe/Berlin",
    );
    expect(text).toContain("      comparisonOperator = GreaterThanThreshold\n      threshold = 2");
    expect(text).toContain("      environment.variables.JOB_CONFIG.databases[shop].retentionDays.daily = 30");
    expect(text).not.toContain("alarmDescription");
    const md = renderMarkdown([created, same("a-prod"), same("b-prod")]);
    expect(md).toContain("No changes: a-prod, b-prod.");
    expect(md).not.toContain("### a-prod");
    expect(md).not.toContain("| a-prod |");
  });
});
