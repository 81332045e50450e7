// Each runbook's log retention and archive lifecycle reach the plan; invalid combinations fail with clear errors.
import { loadConfig } from "../../infra/config";
import { demoSource } from "../support/config-source";
import { recordStack } from "../../scripts/lib/record-stack";

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
  ])("rejects %j", (logs, message) => {
    expect(() => loadConfig(source(logs))).toThrow(message);
  });
});
