// Expiry marking: the floor per tier, the retention edge, and the refusal rules, as tables and as properties.
import fc from "fast-check";
import { expiryCandidates } from "../../../lambdas/logical-backup/expiry";
import type { StoredDump } from "../../../lambdas/logical-backup/verify";

const DAY = 86_400_000;
const now = new Date("2027-03-09T12:00:00Z");
const dump = (tier: string, daysAgo: number): StoredDump => ({
  bucket: "b",
  key: `${tier}/db/${daysAgo}`,
  tier,
  at: now.getTime() - daysAgo * DAY,
});

describe("expiry candidates", () => {
  it("takes only dumps strictly older than the tier's retention", () => {
    const dumps = [0, 1, 2, 3, 29, 30, 31, 45].map((d) => dump("daily", d));
    expect(
      expiryCandidates(dumps, { retentionDays: { daily: 30 }, keepLastFloor: 3 }, now).map((d) => d.key),
    ).toEqual(["daily/db/45", "daily/db/31"]);
  });

  it("never takes the newest floor of a tier, however old (dumps that stopped months ago stay)", () => {
    const dumps = [100, 101, 102, 103, 104].map((d) => dump("daily", d));
    expect(
      expiryCandidates(dumps, { retentionDays: { daily: 30 }, keepLastFloor: 3 }, now).map((d) => d.key),
    ).toEqual(["daily/db/104", "daily/db/103"]);
  });

  it("applies each tier's own retention and floor, and leaves tiers without a retention alone", () => {
    const dumps = [
      ...[1, 40, 50, 60, 70].map((d) => dump("daily", d)),
      ...[10, 100, 200].map((d) => dump("monthly", d)),
    ];
    expect(
      expiryCandidates(dumps, { retentionDays: { daily: 30 }, keepLastFloor: 2 }, now).map((d) => d.key),
    ).toEqual(["daily/db/70", "daily/db/60", "daily/db/50"]);
    expect(
      expiryCandidates(dumps, { retentionDays: { daily: 30, monthly: 90 }, keepLastFloor: 2 }, now).map(
        (d) => d.key,
      ),
    ).toEqual(["monthly/db/200", "daily/db/70", "daily/db/60", "daily/db/50"]);
  });

  it("gives a dump whose slot lies in the future no place among the newest kept by the floor", () => {
    // A slot typed 10 days ahead must not push a real dump out of the floor (and is never a candidate itself).
    const dumps = [-10, 40, 50, 60].map((d) => dump("daily", d));
    expect(
      expiryCandidates(dumps, { retentionDays: { daily: 30 }, keepLastFloor: 2 }, now).map((d) => d.key),
    ).toEqual(["daily/db/60"]);
  });

  it("still counts a dump whose slot was typed ahead as from the future once that time has come, yet lets it expire", () => {
    // Written 10 days before its slot; the slot came 2 days ago, so the clock alone no longer tells.
    const typedAhead: StoredDump = {
      ...dump("daily", 2),
      key: "daily/db/typed",
      written: now.getTime() - 12 * DAY,
    };
    const real = [40, 50, 60].map((d) => dump("daily", d));
    expect(
      expiryCandidates([typedAhead, ...real], { retentionDays: { daily: 30 }, keepLastFloor: 2 }, now).map(
        (d) => d.key,
      ),
    ).toEqual(["daily/db/60"]);
    const oldTypedAhead: StoredDump = {
      ...dump("daily", 45),
      key: "daily/db/old-typed",
      written: now.getTime() - 50 * DAY,
    };
    expect(
      expiryCandidates([oldTypedAhead, ...real], { retentionDays: { daily: 30 }, keepLastFloor: 2 }, now).map(
        (d) => d.key,
      ),
    ).toEqual(["daily/db/60", "daily/db/old-typed"]);
  });

  it("marks nothing in a tier whose retention is zero, negative, fractional below a day or not a number", () => {
    // A slip in the retention table must never read as "everything beyond the floor may go".
    const dumps = [1, 2, 40, 400].map((d) => dump("daily", d));
    for (const days of [0, -30, 0.5, Number.NaN]) {
      expect(expiryCandidates(dumps, { retentionDays: { daily: days }, keepLastFloor: 1 }, now)).toEqual([]);
    }
  });

  it("takes a one-day tier's dump one millisecond past the day, not at it", () => {
    const atEdge = dump("daily", 1);
    const past = { ...dump("daily", 1), key: "daily/db/past", at: atEdge.at - 1 };
    const newest = dump("daily", 0);
    expect(
      expiryCandidates([newest, atEdge, past], { retentionDays: { daily: 1 }, keepLastFloor: 1 }, now).map(
        (d) => d.key,
      ),
    ).toEqual(["daily/db/past"]);
  });

  it("rejects a floor below one", () => {
    expect(() => expiryCandidates([], { retentionDays: {}, keepLastFloor: 0 }, now)).toThrow(
      "keepLastFloor 0 must be a whole number >= 1",
    );
    expect(() => expiryCandidates([], { retentionDays: {}, keepLastFloor: 1.5 }, now)).toThrow(
      "keepLastFloor 1.5 must be a whole number >= 1",
    );
  });

  it("property: keeps the floor newest and everything within retention, takes exactly the rest", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ tier: fc.constantFrom("daily", "weekly"), daysAgo: fc.integer({ min: 0, max: 400 }) }),
          {
            maxLength: 80,
          },
        ),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 120 }),
        (specs, floor, days) => {
          const dumps = specs.map((s, i) => ({ ...dump(s.tier, s.daysAgo), key: `k${i}` }));
          const taken = new Set(
            expiryCandidates(
              dumps,
              { retentionDays: { daily: days, weekly: days * 3 }, keepLastFloor: floor },
              now,
            ).map((d) => d.key),
          );
          for (const tier of ["daily", "weekly"]) {
            const retention = tier === "daily" ? days : days * 3;
            const ofTier = dumps.filter((d) => d.tier === tier).sort((a, b) => b.at - a.at);
            // Oracle: rank within the tier (ties keep input order, as the sort is stable) and age.
            ofTier.forEach((d, rank) => {
              const expected = rank >= floor && now.getTime() - d.at > retention * DAY;
              if (taken.has(d.key) !== expected)
                throw new Error(`${d.key} rank ${rank} taken=${taken.has(d.key)}`);
            });
            expect(ofTier.slice(0, floor).some((d) => taken.has(d.key))).toBe(false);
          }
        },
      ),
    );
  });
});

describe("marking for expiry", () => {
  const { mockClient } = require("aws-sdk-client-mock") as typeof import("aws-sdk-client-mock");
  const s3m = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const { markExpired } =
    require("../../../lambdas/logical-backup/expiry") as typeof import("../../../lambdas/logical-backup/expiry");
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const policy = {
    retentionDays: { daily: 30 },
    keepLastFloor: 1,
    freshnessSeconds: 48 * 3600,
    maxMarksPerRun: 2,
    dryRun: false,
  };
  const old = [40, 41, 42, 43, 44].map((d) => ({ ...dump("daily", d), key: `daily/db/${d}` }));
  const dumps = [dump("daily", 0), ...old];

  function client(tags: Record<string, { Key: string; Value: string }[]> = {}) {
    const c = new s3m.S3Client({ region: "eu-west-2" });
    const mock = mockClient(c);
    mock.on(s3m.GetObjectTaggingCommand).callsFake((input: { Key: string }) => ({
      TagSet: tags[input.Key] ?? [{ Key: "tier", Value: "daily" }],
    }));
    mock.on(s3m.PutObjectTaggingCommand).resolves({});
    return { c, mock };
  }

  it("refuses while the newest dump failed verification, even with a fresh older good one", async () => {
    const { c, mock } = client();
    const result = await markExpired(c, dumps, { ok: false, newestGoodAgeSeconds: 3600 }, policy, now, log);
    expect(result.refused).toMatch(/the newest dump did not verify/);
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand)).toEqual([]);
  });

  it("refuses when the newest good dump's age is negative: its slot lies in the future", async () => {
    const { c, mock } = client();
    const result = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: -86_400 }, policy, now, log);
    expect(result.refused).toBe(
      "the newest good dump's slot lies 1d ahead of the clock: its age says nothing about the dumps that really ran",
    );
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand)).toEqual([]);
  });

  function recorder() {
    const lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
    const at =
      (level: string) =>
      (message: string, extra: Record<string, unknown> = {}) => {
        lines.push({ level, message, extra });
      };
    return { lines, log: { info: at("info"), warn: at("warn"), error: at("error") } };
  }

  it("refuses when no dump of this database verifies", async () => {
    const { c, mock } = client();
    const r = recorder();
    const result = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: null }, policy, now, r.log);
    expect(result).toEqual({ marked: [], unmarked: [], refused: "no dump of this database verifies" });
    expect(mock.calls()).toEqual([]);
    expect(r.lines).toEqual([
      {
        level: "warn",
        message: "marking no dump for expiry",
        extra: { refused: "no dump of this database verifies" },
      },
    ]);
  });

  it("marks at exactly the freshness bound and refuses one second past it", async () => {
    const atBound = client();
    const ok = await markExpired(
      atBound.c,
      dumps,
      { ok: true, newestGoodAgeSeconds: 48 * 3600 },
      policy,
      now,
      log,
    );
    expect(ok).toEqual({ marked: ["daily/db/44", "daily/db/43"], unmarked: [] });
    const past = client();
    const refused = await markExpired(
      past.c,
      dumps,
      { ok: true, newestGoodAgeSeconds: 48 * 3600 + 1 },
      policy,
      now,
      log,
    );
    expect(refused).toEqual({
      marked: [],
      unmarked: [],
      refused: "the newest good dump is 48h old, over 48h",
    });
    expect(past.mock.calls()).toEqual([]);
  });

  it("takes a newest good dump up to five minutes ahead of the clock as clock skew, not as a typed future slot", async () => {
    const { c } = client();
    const result = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: -300 }, policy, now, log);
    expect(result).toEqual({ marked: ["daily/db/44", "daily/db/43"], unmarked: [] });
    const ahead = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: -301 }, policy, now, log);
    expect(ahead.refused).toMatch(/^the newest good dump's slot lies 5m ahead of the clock/);
  });

  it("marks keeping the dump's other tags, and reads keep=false and expire=false as not set", async () => {
    const { c, mock } = client({
      "daily/db/44": [
        { Key: "tier", Value: "daily" },
        { Key: "keep", Value: "false" },
      ],
      "daily/db/43": [
        { Key: "expire", Value: "false" },
        { Key: "tier", Value: "daily" },
      ],
    });
    const r = recorder();
    const result = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: 3600 }, policy, now, r.log);
    expect(result).toEqual({ marked: ["daily/db/44", "daily/db/43"], unmarked: [] });
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand).map((x) => x.args[0].input)).toEqual([
      {
        Bucket: "b",
        Key: "daily/db/44",
        Tagging: {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "keep", Value: "false" },
            { Key: "expire", Value: "true" },
          ],
        },
      },
      {
        Bucket: "b",
        Key: "daily/db/43",
        Tagging: {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "expire", Value: "true" },
          ],
        },
      },
    ]);
    expect(r.lines).toEqual([
      { level: "info", message: "marked for expiry", extra: { keys: ["daily/db/44", "daily/db/43"] } },
    ]);
  });

  it("writes no tag in dry-run, not even to unpin, and logs what it would mark", async () => {
    const { c, mock } = client({
      "daily/db/44": [
        { Key: "expire", Value: "true" },
        { Key: "keep", Value: "true" },
      ],
    });
    const r = recorder();
    const result = await markExpired(
      c,
      dumps,
      { ok: true, newestGoodAgeSeconds: 3600 },
      { ...policy, dryRun: true, maxMarksPerRun: 10 },
      now,
      r.log,
    );
    expect(result).toEqual({ marked: [], unmarked: [] });
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand)).toEqual([]);
    expect(r.lines).toEqual([
      { level: "info", message: "kept by its keep=true tag", extra: { bucket: "b", key: "daily/db/44" } },
      ...["43", "42", "41", "40"].map((d) => ({
        level: "info",
        message: "dry run: would mark for expiry",
        extra: { bucket: "b", key: `daily/db/${d}` },
      })),
    ]);
  });

  it("counts only tags it writes against the cap, so pinned or already-marked dumps never stall expiry", async () => {
    const { c, mock } = client({
      "daily/db/44": [{ Key: "keep", Value: "true" }],
      "daily/db/43": [{ Key: "expire", Value: "true" }],
    });
    const result = await markExpired(c, dumps, { ok: true, newestGoodAgeSeconds: 3600 }, policy, now, log);
    expect(result).toEqual({ marked: ["daily/db/42", "daily/db/41"], unmarked: [] });
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand).map((x) => x.args[0].input.Key)).toEqual([
      "daily/db/42",
      "daily/db/41",
    ]);
  });

  it("takes the expire tag off a dump pinned with keep=true after it was marked", async () => {
    const { c, mock } = client({
      "daily/db/44": [
        { Key: "tier", Value: "daily" },
        { Key: "expire", Value: "true" },
        { Key: "keep", Value: "true" },
      ],
    });
    const r = recorder();
    const result = await markExpired(
      c,
      dumps,
      { ok: true, newestGoodAgeSeconds: 3600 },
      { ...policy, maxMarksPerRun: 0 },
      now,
      r.log,
    );
    expect(result).toEqual({ marked: [], unmarked: ["daily/db/44"] });
    expect(r.lines.filter((l) => l.level === "warn")).toEqual([
      {
        level: "warn",
        message: "pinned by keep=true after marking: expire tag removed",
        extra: { keys: ["daily/db/44"] },
      },
    ]);
    expect(mock.commandCalls(s3m.PutObjectTaggingCommand)[0]!.args[0].input).toEqual({
      Bucket: "b",
      Key: "daily/db/44",
      Tagging: {
        TagSet: [
          { Key: "tier", Value: "daily" },
          { Key: "keep", Value: "true" },
        ],
      },
    });
  });
});

describe("a dump's manifest", () => {
  const { mockClient } = require("aws-sdk-client-mock") as typeof import("aws-sdk-client-mock");
  const s3m = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const { markExpired } =
    require("../../../lambdas/logical-backup/expiry") as typeof import("../../../lambdas/logical-backup/expiry");
  it("is marked with its dump, so the dump's lifecycle rule takes it too; a dump without one is marked all the same", async () => {
    const now = new Date("2026-06-01T03:00:00Z");
    const at = (days: number) => now.getTime() - days * 86_400_000;
    const stored = (days: number) => {
      const key = `daily/db/${new Date(at(days)).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.dump.gz`;
      return { bucket: "b", key, tier: "daily", at: at(days) };
    };
    const dumps = [stored(0), stored(40), stored(41), stored(42), stored(43)];
    const c = new s3m.S3Client({ region: "eu-west-2" });
    const mock = mockClient(c);
    mock.on(s3m.GetObjectTaggingCommand).resolves({ TagSet: [{ Key: "tier", Value: "daily" }] });
    mock.on(s3m.PutObjectTaggingCommand).resolves({});
    // The oldest dump was taken before manifests existed: tagging its manifest fails, and nothing else does.
    mock
      .on(s3m.PutObjectTaggingCommand, { Key: "daily/db/manifests/20260419T030000Z.json" })
      .rejects(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" }));
    const result = await markExpired(
      c,
      dumps,
      { ok: true, newestGoodAgeSeconds: 3600 },
      {
        retentionDays: { daily: 30 },
        keepLastFloor: 3,
        freshnessSeconds: 48 * 3600,
        maxMarksPerRun: 5,
        dryRun: false,
      },
      now,
      { info: () => {}, warn: () => {}, error: () => {} },
    );
    expect(result.marked).toEqual(["daily/db/20260419T030000Z.dump.gz", "daily/db/20260420T030000Z.dump.gz"]);
    expect(
      mock
        .commandCalls(s3m.PutObjectTaggingCommand)
        .map((x) => [x.args[0].input.Key, x.args[0].input.Tagging]),
    ).toEqual([
      [
        "daily/db/20260419T030000Z.dump.gz",
        {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "expire", Value: "true" },
          ],
        },
      ],
      [
        "daily/db/manifests/20260419T030000Z.json",
        {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "expire", Value: "true" },
          ],
        },
      ],
      [
        "daily/db/20260420T030000Z.dump.gz",
        {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "expire", Value: "true" },
          ],
        },
      ],
      [
        "daily/db/manifests/20260420T030000Z.json",
        {
          TagSet: [
            { Key: "tier", Value: "daily" },
            { Key: "expire", Value: "true" },
          ],
        },
      ],
    ]);
  });
});
