// Each runbook's log retention and archive lifecycle reach the plan; invalid combinations fail with clear errors.
import { loadConfig } from "../../../infra/config";
import { demoSource } from "../../support/config-source";
import { recordStack } from "../../../scripts/lib/record-stack";

describe("log archive per runbook", () => {
  it("Mental Scribe: 30 days hot, IA at 30, Glacier at 90, deleted after a year; the export job and the bucket policy", async () => {
    const { resources } = await recordStack("mental-scribe-prod");
    const lifecycle = resources.find((r) => r.name === "mental-scribe-logs-archive-lifecycle")!;
    expect(lifecycle.inputs.rules).toEqual([
      {
        id: "archive",
        status: "Enabled",
        filter: { prefix: "" },
        transitions: [
          { days: 30, storageClass: "STANDARD_IA" },
          { days: 90, storageClass: "GLACIER" },
        ],
        expiration: { days: 365 },
        noncurrentVersionExpiration: { noncurrentDays: 7 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
    const fn = resources.find(
      (r) => r.type === "aws:lambda/function:Function" && r.name === "mental-scribe-logs-export-fn",
    )!;
    const config = JSON.parse(
      (fn.inputs.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG,
    );
    expect(config).toEqual({
      bucket: expect.stringMatching(/^mental-scribe-logs-[0-9a-f]{8}$/),
      prefix: "logs",
      logGroups: ["/mental-scribe/app", "/mental-scribe/edge-functions"],
      logGroupPrefixes: [],
      retentionDays: 30,
      maxBackfillDays: 14,
    });
    const policy = JSON.parse(
      String(resources.find((r) => r.name === "mental-scribe-logs-archive-policy")!.inputs.policy),
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "DenyInsecureTransport",
      "DenyPutsNotEncryptedWithKms",
      "DenyPutsWithAnotherKmsKey",
      "DenyCustomerProvidedKeys",
      "DenyKmsPutsWithoutTheKey",
      "LogsExportReadsAcl",
      "LogsExportWritesUnderPrefix",
    ]);
  });

  it("SkillSwap streams its access log through Firehose, gzip and date-partitioned, KMS throughout", async () => {
    const { resources } = await recordStack("skillswap-prod");
    const stream = resources.find(
      (r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    )!;
    expect(stream.inputs).toMatchObject({
      destination: "extended_s3",
      serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK" },
      extendedS3Configuration: {
        prefix: "stream/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/",
        errorOutputPrefix:
          "stream-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/",
        compressionFormat: "GZIP",
      },
    });
    const sub = resources.find(
      (r) => r.type === "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
    )!;
    expect(sub.inputs).toMatchObject({ logGroup: "/skillswap/access", filterPattern: "" });
  });
});

describe("days-behind alarms come before the logs are gone", () => {
  const behind = (resources: { type: string; name: string; inputs: Record<string, unknown> }[]) =>
    resources
      .filter(
        (r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.metricName === "DaysBehind",
      )
      .map((r) => ({
        severity: String(r.inputs.alarmDescription).match(/^\[(\w+)\]/)![1],
        threshold: r.inputs.threshold,
        summary: String(r.inputs.alarmDescription).split(" Runbook: ")[0],
      }));

  it("Boardroom keeps 7 days hot: warning above 2 days behind, critical above 3 (the oldest unarchived day has 1.5 days left)", async () => {
    const { resources } = await recordStack("boardroom-prod");
    expect(behind(resources)).toEqual([
      {
        severity: "CRITICAL",
        threshold: 3,
        summary:
          "[CRITICAL] Log group /boardroom/app is more than 3 days behind in the archive: its oldest unarchived day leaves CloudWatch (hot retention 7 days) in as little as 1.5 days.",
      },
      {
        severity: "WARNING",
        threshold: 2,
        summary: "[WARNING] Log group /boardroom/app is more than 2 days behind in the archive.",
      },
    ]);
    const fn = resources.find(
      (r) => r.type === "aws:lambda/function:Function" && r.name === "boardroom-logs-export-fn",
    )!;
    // Backfill only days CloudWatch still holds whole: at most hotRetentionDays - 2.
    expect(
      JSON.parse((fn.inputs.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG)
        .maxBackfillDays,
    ).toBe(5);
  });

  it.each([
    [7, { warning: 2, critical: 3 }],
    [5, { warning: 0, critical: 1 }],
    [14, { warning: 2, critical: 10 }],
    [30, { warning: 2, critical: 26 }],
  ])("hot retention %i days: thresholds %j", (days, thresholds) => {
    const { daysBehindThresholds } =
      require("../../../infra/logs/log-archive") as typeof import("../../../infra/logs/log-archive");
    expect(daysBehindThresholds(days)).toEqual(thresholds);
    // DaysBehind n: the oldest unarchived day began at most n + 1.5 days ago; the alarm fires at threshold + 1.
    expect(days - (thresholds.critical + 1 + 1.5)).toBeGreaterThanOrEqual(1.5);
    expect(thresholds.warning).toBeLessThan(thresholds.critical);
  });
});

describe("invalid log settings", () => {
  const source = (logs: unknown) => demoSource({ logs: logs });
  const base = { logGroups: [{ name: "/a" }], hotRetentionDays: 30, archive: { expirationDays: 365 } };
  it.each([
    [
      { ...base, hotRetentionDays: 45 },
      /maintenance:logs\.hotRetentionDays: 45 is not a CloudWatch Logs retention value/,
    ],
    [
      { ...base, archive: { transitions: [{ days: 10, storageClass: "STANDARD_IA" }], expirationDays: 365 } },
      /maintenance:logs\.archive: .*STANDARD_IA at 10 days; S3 allows it only at 30 days or later/,
    ],
    [
      { ...base, archive: { transitions: [{ days: 90, storageClass: "GLACIER" }], expirationDays: 100 } },
      /before its 90-day minimum/,
    ],
    [
      { ...base, logGroups: [{ name: "/a", path: "kinesis" }] },
      /maintenance:logs\.logGroups\[0\]\.path: must be one of "export", "stream"/,
    ],
    [{ ...base, logGroups: [] }, /maintenance:logs\.logGroups: list at least one log group or prefix/],
    [
      { ...base, hotRetentionDays: 7, maxBackfillDays: 6 },
      /^stacks\/Pulumi\.demo\.yaml has 1 invalid setting; nothing was deployed:\n {2}- maintenance:logs\.maxBackfillDays: 6 is more than hotRetentionDays - 2 \(5\): a backfill would export days CloudWatch has already \(partly\) deleted/,
    ],
    [
      { ...base, hotRetentionDays: 3 },
      /maintenance:logs\.hotRetentionDays: 3 is too short for exported log groups \(at least 5\)/,
    ],
  ])("rejects %j", (logs, message) => {
    expect(() => loadConfig(source(logs))).toThrow(message);
  });

  it("derives maxBackfillDays from the hot retention when it is not set, and accepts it up to hotRetentionDays - 2", () => {
    expect(loadConfig(source({ ...base, hotRetentionDays: 7 })).logs!.maxBackfillDays).toBe(5);
    expect(loadConfig(source({ ...base, hotRetentionDays: 30 })).logs!.maxBackfillDays).toBe(14);
    expect(
      loadConfig(source({ ...base, hotRetentionDays: 7, maxBackfillDays: 5 })).logs!.maxBackfillDays,
    ).toBe(5);
    // Only streamed groups: nothing is exported, so a short retention is fine.
    expect(
      loadConfig(source({ ...base, logGroups: [{ name: "/a", path: "stream" }], hotRetentionDays: 1 })).logs!
        .hotRetentionDays,
    ).toBe(1);
  });
});
