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

  it("rejects a floor below one", () => {
    expect(() => expiryCandidates([], { retentionDays: {}, keepLastFloor: 0 }, now)).toThrow(
      /keepLastFloor 0/,
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
