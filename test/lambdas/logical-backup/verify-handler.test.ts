// The verification run: the metric names and dimensions the alarms watch, one database per scheduled run, and no
// database started without the time to finish it.
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectTaggingCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { MIN_MS_TO_START, runVerify, VERIFY_METRICS } from "../../../lambdas/logical-backup/verify-handler";

const config = {
  buckets: ["dumps"],
  databases: [
    { database: "pg", engine: "postgres" as const, retentionDays: { daily: 30 } },
    { database: "my", engine: "mysql" as const, retentionDays: {} },
  ],
  maxCandidates: 3,
  expiry: { keepLastFloor: 3, freshnessSeconds: 48 * 3600, maxMarksPerRun: 20, dryRun: false },
};
const now = new Date("2027-03-09T02:20:00Z");
const lastMarked = (put: Array<[string, string, number]>) =>
  put.filter(([m]) => m === VERIFY_METRICS.marked).at(-1);
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
      [VERIFY_METRICS.marked, "pg", 0],
      [VERIFY_METRICS.expiryFailed, "pg", 0],
    ]);
    expect(VERIFY_METRICS).toEqual({
      age: "NewestGoodDumpAgeSeconds",
      failed: "DumpVerificationFailed",
      marked: "DumpsMarkedForExpiry",
      expiryFailed: "DumpExpiryFailed",
      drAge: "NewestDrDumpAgeSeconds",
    });
    expect(mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it("reports a failure and no age when a database has no dump at all", async () => {
    const { mock, put, deps } = setup();
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    expect(await runVerify({ database: "my" }, config, deps)).toEqual([
      { database: "my", key: null, ok: false, problem: "no dump found", newestGoodAgeSeconds: null },
    ]);
    expect(put).toEqual([
      [VERIFY_METRICS.failed, "my", 1],
      [VERIFY_METRICS.marked, "my", 0],
      [VERIFY_METRICS.expiryFailed, "my", 0],
    ]);
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
    // pg's marking could not list either: logged and counted as an expiry failure; my has nothing to mark.
    expect(put).toEqual([
      [VERIFY_METRICS.failed, "pg", 1],
      [VERIFY_METRICS.expiryFailed, "pg", 1],
      [VERIFY_METRICS.failed, "my", 1],
      [VERIFY_METRICS.marked, "my", 0],
      [VERIFY_METRICS.expiryFailed, "my", 0],
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

  it("fails a dump whose slot lies in the future: it is not the newest good one, and nothing is marked", async () => {
    const { mock, put, deps } = setup();
    // A manual run typed 2027-03-20 (11 days ahead); the real dumps stopped on 03-05 (over the 48 h freshness).
    const future = "daily/pg/20270320T020000Z.dump.gz";
    const old = Array.from({ length: 10 }, (_, i) => `daily/pg/202612${String(10 + i)}T020000Z.dump.gz`);
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: [future, "daily/pg/20270305T020000Z.dump.gz", ...old].map((Key) => ({ Key })),
    });
    mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    mock.on(PutObjectTaggingCommand).resolves({});
    const age = 4 * 86_400 + 20 * 60; // 2027-03-05 02:00 to 2027-03-09 02:20
    expect(await runVerify({ database: "pg" }, config, deps)).toEqual([
      {
        database: "pg",
        key: future,
        ok: false,
        problem: `${future}: its slot 2027-03-20T02:00:00.000Z lies 10d 23h 40m ahead of the clock (2027-03-09T02:20:00.000Z): no dump is from the future (its time was typed by hand), so it is not counted (not even once that time has come); delete it`,
        newestGoodAgeSeconds: age,
      },
    ]);
    expect(put).toEqual([
      [VERIFY_METRICS.failed, "pg", 1],
      [VERIFY_METRICS.age, "pg", age],
      [VERIFY_METRICS.marked, "pg", 0],
      [VERIFY_METRICS.expiryFailed, "pg", 0],
    ]);
    expect(mock.commandCalls(PutObjectTaggingCommand)).toEqual([]);
    // Its verdict is not read: a future slot fails whatever its bytes.
    expect(mock.commandCalls(GetObjectTaggingCommand).filter((c) => c.args[0].input.Key === future)).toEqual(
      [],
    );
  });

  it("never counts a dump typed ahead as the newest good one, even once its slot has passed", async () => {
    const { mock, put, deps } = setup();
    // Slot 03-09 02:00 (18 minutes ago) but stored on 03-06: typed 3 days ahead, before the refusal existed.
    const typed = "daily/pg/20270309T020000Z.dump.gz";
    const real = "daily/pg/20270305T020000Z.dump.gz";
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: [
        { Key: typed, LastModified: new Date("2027-03-06T10:00:00Z") },
        { Key: real, LastModified: new Date("2027-03-05T02:04:00Z") },
      ],
    });
    mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    const [verdict] = await runVerify({ database: "pg" }, config, deps);
    // The newest good dump is the real one of 03-05: 4 days old, so the age alarm (and the freshness guard) see it.
    expect(verdict).toMatchObject({
      database: "pg",
      key: real,
      ok: true,
      newestGoodAgeSeconds: 4 * 86_400 + 20 * 60,
    });
    expect(put.find(([m]) => m === VERIFY_METRICS.age)).toEqual([
      VERIFY_METRICS.age,
      "pg",
      4 * 86_400 + 20 * 60,
    ]);
  });

  it("marks daily dumps past 30 days, beyond the newest three, for expiry, keeping their tags", async () => {
    const { mock, put, deps } = setup();
    // 40 daily dumps, one a day, the newest at 02:00 today.
    const keys = Array.from({ length: 40 }, (_, i) => {
      const at = new Date(Date.UTC(2027, 2, 9 - i, 2));
      return `daily/pg/${at.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.dump.gz`;
    });
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: keys.map((Key) => ({ Key })),
    });
    mock.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: "tier", Value: "daily" },
        { Key: "verified", Value: "ok" },
      ],
    });
    mock.on(PutObjectTaggingCommand).resolves({});
    await runVerify({ database: "pg" }, config, deps);
    const tagged = mock.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input);
    // Each dump's manifest gets the same tags right after it (the same lifecycle rule takes both).
    const marked = tagged.filter((m) => m.Key!.endsWith(".dump.gz"));
    expect(tagged.filter((m) => m.Key!.includes("/manifests/")).map((m) => m.Key)).toEqual(
      marked.map((m) => m.Key!.replace(/^(daily\/pg\/)(.*)\.dump\.gz$/, "$1manifests/$2.json")),
    );
    // Older than 30 days at 2027-03-09 02:20: the dumps of 2027-02-07 02:00 (30 days 20 minutes) and before.
    expect(marked.map((m) => m.Key)).toEqual(keys.slice(30).reverse());
    expect(marked[0]!.Tagging).toEqual({
      TagSet: [
        { Key: "tier", Value: "daily" },
        { Key: "verified", Value: "ok" },
        { Key: "expire", Value: "true" },
      ],
    });
    expect(lastMarked(put)).toEqual([VERIFY_METRICS.marked, "pg", 10]);
  });

  it("marks nothing when the newest good dump is stale, or in dry run", async () => {
    for (const [label, cfg, newest] of [
      ["stale", config, "20270305T020000Z"],
      ["dry run", { ...config, expiry: { ...config.expiry, dryRun: true } }, "20270309T020000Z"],
    ] as const) {
      const { mock, put, deps } = setup();
      const old = Array.from({ length: 10 }, (_, i) => `daily/pg/202612${String(10 + i)}T020000Z.dump.gz`);
      mock.on(ListObjectsV2Command).resolves({ Contents: [] });
      mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
        Contents: [`daily/pg/${newest}.dump.gz`, ...old].map((Key) => ({ Key })),
      });
      mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
      mock.on(PutObjectTaggingCommand).resolves({});
      await runVerify({ database: "pg" }, cfg, deps);
      expect([label, mock.commandCalls(PutObjectTaggingCommand)]).toEqual([label, []]);
      expect(lastMarked(put)).toEqual([VERIFY_METRICS.marked, "pg", 0]);
    }
  });

  it("never marks a dump an operator tagged keep=true", async () => {
    const { mock, put, deps } = setup();
    const keys = Array.from({ length: 8 }, (_, i) => `daily/pg/202701${String(10 + i)}T020000Z.dump.gz`);
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: ["daily/pg/20270309T020000Z.dump.gz", ...keys].map((Key) => ({ Key })),
    });
    mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    mock.on(GetObjectTaggingCommand, { Key: keys[0] }).resolves({
      TagSet: [
        { Key: "verified", Value: "ok" },
        { Key: "keep", Value: "true" },
      ],
    });
    mock.on(PutObjectTaggingCommand).resolves({});
    await runVerify({ database: "pg" }, config, deps);
    const marked = mock
      .commandCalls(PutObjectTaggingCommand)
      .map((c) => c.args[0].input.Key)
      .filter((k) => k!.endsWith(".dump.gz"));
    // Nine dumps, floor three (03-09, 01-17, 01-16): the six older ones are past 30 days; the pinned 01-10 stays.
    expect(marked).toEqual(keys.slice(1, 6));
    expect(marked).not.toContain(keys[0]);
    expect(lastMarked(put)).toEqual([VERIFY_METRICS.marked, "pg", 5]);
  });

  it("judges freshness by the database's own limit (a monthly-only database is fresh for a month)", async () => {
    const { mock, put, deps } = setup();
    const monthly = {
      ...config,
      databases: [{ ...config.databases[0]!, retentionDays: { monthly: 90 }, freshnessSeconds: 800 * 3600 }],
    };
    const keys = ["20270301", "20270201", "20270101", "20261201", "20261101", "20261001"].map(
      (d) => `monthly/pg/${d}T020000Z.dump.gz`,
    );
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "monthly/pg/" }).resolves({
      Contents: keys.map((Key) => ({ Key })),
    });
    mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    mock.on(PutObjectTaggingCommand).resolves({});
    await runVerify({ database: "pg" }, monthly, deps);
    // The newest is 8 days old: over the stack's 48 h, within the database's 800 h. Beyond the floor of three
    // (March, February, January), December (98 days), November and October are past 90 days.
    expect(
      mock
        .commandCalls(PutObjectTaggingCommand)
        .map((c) => c.args[0].input.Key)
        .filter((k) => k!.endsWith(".dump.gz")),
    ).toEqual([keys[5], keys[4], keys[3]]);
    expect(lastMarked(put)).toEqual([VERIFY_METRICS.marked, "pg", 3]);
  });

  it("after the switch to zstd, the gzip dumps left from before count in the floor and expire; strays are ignored", async () => {
    const { mock, put, deps } = setup();
    // Two new dumps, then eight of the earlier format (older than 30 days but the first), and objects that are no dump.
    const zst = ["20270309T020000Z", "20270308T020000Z"].map((t) => `daily/pg/${t}.dump.zst`);
    const gz = Array.from({ length: 8 }, (_, i) => `daily/pg/202701${String(17 - i)}T020000Z.dump.gz`);
    const strays = [
      "daily/pg/20261201T020000Z.dump",
      "daily/pg/20261201T020000Z.dump.zst.tmp",
      "daily/pg/notes.txt",
    ];
    mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: [...strays, ...gz, ...zst].map((Key) => ({ Key })),
    });
    mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    mock.on(PutObjectTaggingCommand).resolves({});
    const [verdict] = await runVerify({ database: "pg" }, config, deps);
    expect(verdict).toEqual({ database: "pg", key: zst[0], ok: true, newestGoodAgeSeconds: 20 * 60 });
    // Floor three: both zstd dumps and the newest gzip one (01-17); the seven older gzip dumps are past 30 days.
    const tagged = mock.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input.Key!);
    const marked = tagged.filter((k) => !k.includes("/manifests/"));
    expect(marked).toEqual(gz.slice(1).reverse());
    // Each marked dump's manifest is tagged right after it (it expires with its dump).
    expect(tagged.filter((k) => k.includes("/manifests/"))).toEqual(
      marked.map((k) => k.replace("daily/pg/", "daily/pg/manifests/").replace(/\.dump\.gz$/, ".json")),
    );
    expect(lastMarked(put)).toEqual([VERIFY_METRICS.marked, "pg", 7]);
  });
});

describe("the DR copy's age", () => {
  const drConfig = { ...config, dr: { region: "eu-west-1", buckets: ["dumps-dr", "vault-dr"] } };
  function withDr() {
    const base = setup();
    const drS3 = new S3Client({ region: "eu-west-1" });
    const dr = mockClient(drS3);
    const logged: string[] = [];
    const log = {
      info: (m: string) => void logged.push(m),
      warn: (m: string) => void logged.push(m),
      error: (m: string) => void logged.push(m),
    };
    base.mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    base.mock.on(ListObjectsV2Command, { Bucket: "dumps", Prefix: "daily/pg/" }).resolves({
      Contents: [{ Key: "daily/pg/20270309T020000Z.dump.gz" }],
    });
    base.mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "verified", Value: "ok" }] });
    dr.on(ListObjectsV2Command).resolves({ Contents: [] });
    return { ...base, dr, logged, deps: { ...base.deps, drS3, log } };
  }
  const drAges = (put: Array<[string, string, number]>) => put.filter(([m]) => m === VERIFY_METRICS.drAge);

  it("reports the age of the newest replica that carries the replicated verified=ok tag, read in the DR region only", async () => {
    const { dr, mock, put, deps } = withDr();
    // The newest replica's tag has not arrived yet; the one before it (a day older, in the DR vault) has it.
    dr.on(ListObjectsV2Command, { Bucket: "dumps-dr", Prefix: "daily/pg/" }).resolves({
      Contents: [{ Key: "daily/pg/20270309T020000Z.dump.gz" }],
    });
    dr.on(ListObjectsV2Command, { Bucket: "vault-dr", Prefix: "daily/pg/" }).resolves({
      Contents: [{ Key: "daily/pg/20270308T020000Z.dump.gz" }],
    });
    dr.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "tier", Value: "daily" }] });
    dr.on(GetObjectTaggingCommand, { Bucket: "vault-dr" }).resolves({
      TagSet: [{ Key: "verified", Value: "ok" }],
    });
    await runVerify({ database: "pg" }, drConfig, deps);
    expect(drAges(put)).toEqual([[VERIFY_METRICS.drAge, "pg", 24 * 3600 + 20 * 60]]);
    // Listings and tags only: no replica is downloaded, and the source client never reads a DR bucket.
    expect(dr.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(
      mock.calls().filter((c) => String((c.args[0].input as { Bucket?: string }).Bucket).endsWith("-dr")),
    ).toHaveLength(0);
  });

  it("reports no DR age (the alarm counts that as breaching) when no replica is verified, and says so", async () => {
    const { dr, put, logged, deps } = withDr();
    dr.on(ListObjectsV2Command, { Bucket: "dumps-dr", Prefix: "daily/pg/" }).resolves({
      Contents: [{ Key: "daily/pg/20270309T020000Z.dump.gz" }],
    });
    dr.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    await runVerify({ database: "pg" }, drConfig, deps);
    expect(drAges(put)).toEqual([]);
    expect(logged).toContain("no verified DR copy among the newest replicas");
  });

  it("logs a DR read error and still verifies and marks (the DR age alarm, not the verification, reports it)", async () => {
    const { dr, put, logged, deps } = withDr();
    dr.on(ListObjectsV2Command).rejects(new Error("AccessDenied"));
    await runVerify({ database: "pg" }, drConfig, deps);
    expect(put.map(([m]) => m)).toEqual([
      VERIFY_METRICS.failed,
      VERIFY_METRICS.age,
      VERIFY_METRICS.marked,
      VERIFY_METRICS.expiryFailed,
    ]);
    expect(logged).toContain("reading the DR copies failed");
  });
});
