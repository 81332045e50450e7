// The plan diff names exactly what changed, flags what needs a second reviewer, and its Markdown always fits a comment.
import { diffPlans } from "../../scripts/plan/diff";
import { COMMENT_MARKER, renderMarkdown, renderText } from "../../scripts/plan/markdown";
import { reviewFlags } from "../../scripts/plan/review-rules";

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
