// The verification run: the metric names and dimensions the alarms watch, one database per scheduled run, and no
// database started without the time to finish it.
import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { MIN_MS_TO_START, runVerify, VERIFY_METRICS } from "../../../lambdas/logical-backup/verify-handler";

const config = {
  buckets: ["dumps"],
  databases: [
    { database: "pg", engine: "postgres" as const },
    { database: "my", engine: "mysql" as const },
  ],
  maxCandidates: 3,
};
const now = new Date("2027-03-09T02:20:00Z");
// In each case the general ListObjectsV2 answer is defined first: aws-sdk-client-mock lets a more specific one
// defined after it win.

function setup(remaining = 900_000) {
  const s3 = new S3Client({ region: "eu-west-2" });
  const mock = mockClient(s3);
  const put: Array<[string, string, number]> = [];
  const warnings: string[] = [];
  const deps = {
    s3,
    log: { info: () => {}, warn: (m: string) => void warnings.push(m), error: () => {} },
    put: (metric: string, database: string, value: number) => void put.push([metric, database, value]),
    remainingMs: () => remaining,
    now: () => now,
  };
  return { mock, put, warnings, deps };
}

describe("verification run", () => {
  it("reports a verified dump's age and no failure, without downloading it again", async () => {
    const { mock, put, deps } = setup();
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: [{ Key: "daily/pg/20270308T020000Z.dump.gz" }],
    });
    mock.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: "tier", Value: "daily" },
        { Key: "verified", Value: "ok" },
      ],
    });
    const verdicts = await runVerify({ database: "pg" }, config, deps);
    expect(verdicts).toEqual([
      {
        database: "pg",
        key: "daily/pg/20270308T020000Z.dump.gz",
        ok: true,
        newestGoodAgeSeconds: 24 * 3600 + 20 * 60,
      },
    ]);
    expect(put).toEqual([
      [VERIFY_METRICS.failed, "pg", 0],
      [VERIFY_METRICS.age, "pg", 24 * 3600 + 20 * 60],
    ]);
    expect(VERIFY_METRICS).toEqual({ age: "NewestGoodDumpAgeSeconds", failed: "DumpVerificationFailed" });
    expect(mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it("reports a failure and no age when a database has no dump at all", async () => {
    const { mock, put, deps } = setup();
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    expect(await runVerify({ database: "my" }, config, deps)).toEqual([
      { database: "my", key: null, ok: false, problem: "no dump found", newestGoodAgeSeconds: null },
    ]);
    expect(put).toEqual([[VERIFY_METRICS.failed, "my", 1]]);
  });

  it("keeps going when one database's listing fails", async () => {
    const { mock, put, deps } = setup();
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock
      .on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" })
      .rejects(new Error("AccessDenied"));
    const verdicts = await runVerify({}, config, deps);
    expect(verdicts.map((v) => [v.database, v.ok, v.problem])).toEqual([
      ["pg", false, "AccessDenied"],
      ["my", false, "no dump found"],
    ]);
    expect(put).toEqual([
      [VERIFY_METRICS.failed, "pg", 1],
      [VERIFY_METRICS.failed, "my", 1],
    ]);
  });

  it("starts no database without the time to finish it, and reports nothing for it", async () => {
    const { mock, put, warnings, deps } = setup(MIN_MS_TO_START - 1);
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    expect(await runVerify({}, config, deps)).toEqual([]);
    expect(put).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it("refuses a database it does not know", async () => {
    const { deps } = setup();
    await expect(runVerify({ database: "nope" }, config, deps)).rejects.toThrow(
      'event.database "nope" is not one of pg, my',
    );
  });
});
