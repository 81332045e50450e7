// restic `forget` semantics: durations back from the newest snapshot, UTC day/ISO week/month/year buckets, AddDate.
import fc from "fast-check";
import {
  isoWeek,
  parseDuration,
  planRetention,
  RetentionPolicyError,
  type SnapshotRef,
  subtractDuration,
} from "../../../lambdas/backup/retention";

const snap = (id: string, iso: string): SnapshotRef => ({ id, createdAt: new Date(iso) });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe("parseDuration (restic ParseDuration)", () => {
  it.each([
    ["30d", { years: 0, months: 0, days: 30, hours: 0 }],
    ["1m", { years: 0, months: 1, days: 0, hours: 0 }],
    ["1y", { years: 1, months: 0, days: 0, hours: 0 }],
    ["2y5m7d3h", { years: 2, months: 5, days: 7, hours: 3 }],
    ["3h", { years: 0, months: 0, days: 0, hours: 3 }],
    ["1d2d", { years: 0, months: 0, days: 2, hours: 0 }], // a repeated unit overwrites, as in restic
  ])("%s", (text, expected) => expect(parseDuration(text)).toEqual(expected));

  it.each([
    ["", /empty/],
    ["30", /no unit after number 30/],
    ["30w", /invalid unit "w" after number 30/],
    ["30D", /invalid unit "D"/],
    ["d", /is not <number><unit>/],
    ["-1d", /is not <number><unit>/],
    ["1.5d", /invalid unit|is not/],
  ])("rejects %j", (text, message) => {
    expect(() => parseDuration(text)).toThrow(RetentionPolicyError);
    expect(() => parseDuration(text)).toThrow(message);
    // The name reaches the log and the Lambda error type, which is what an on-call engineer searches for.
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ name: "RetentionPolicyError" }));
  });
});

describe("subtractDuration (Go AddDate with negative values)", () => {
  it.each([
    ["2023-03-31T10:00:00Z", "1m", "2023-03-03T10:00:00.000Z"], // "February 31" normalises to March 3
    ["2024-03-31T10:00:00Z", "1m", "2024-03-02T10:00:00.000Z"], // leap year: March 2
    ["2024-02-29T00:00:00Z", "1y", "2023-03-01T00:00:00.000Z"], // "2023-02-29" normalises to March 1
    ["2024-01-01T02:00:00Z", "3h", "2023-12-31T23:00:00.000Z"],
    ["2025-05-31T00:00:00Z", "2y5m7d3h", "2022-12-23T21:00:00.000Z"],
  ])("%s - %s = %s", (latest, d, expected) => {
    expect(subtractDuration(new Date(latest), parseDuration(d)).toISOString()).toBe(expected);
  });
});

describe("isoWeek (Go ISOWeek)", () => {
  it.each([
    ["2021-01-03T12:00:00Z", 2020, 53], // Sunday: still ISO week 53 of 2020
    ["2021-01-04T00:00:00Z", 2021, 1],
    ["2024-12-30T00:00:00Z", 2025, 1], // Monday of ISO 2025-W01
    ["2026-12-31T00:00:00Z", 2026, 53],
  ])("%s -> %d-W%d", (iso, year, week) => expect(isoWeek(new Date(iso))).toEqual({ year, week }));
});

describe("planRetention (restic ApplyPolicy)", () => {
  it("keeps everything when the policy is empty, as restic does", () => {
    const list = [snap("a", "2024-01-01T00:00:00Z"), snap("b", "2024-01-02T00:00:00Z")];
    expect(planRetention(list, {})).toEqual({
      keep: [
        { id: "b", reasons: ["policy is empty"] },
        { id: "a", reasons: ["policy is empty"] },
      ],
      remove: [],
    });
  });

  it("keeps the newest N with keepLast", () => {
    const list = [1, 2, 3, 4, 5].map((d) => snap(`s${d}`, `2024-01-0${d}T00:00:00Z`));
    const plan = planRetention(list, { keepLast: 2 });
    expect(plan.keep).toEqual([
      { id: "s5", reasons: ["last snapshot"] },
      { id: "s4", reasons: ["last snapshot"] },
    ]);
    expect(ids(plan.remove)).toEqual(["s3", "s2", "s1"]);
  });

  it("keeps the newest snapshot of each UTC day within the window, measured from the newest snapshot", () => {
    const list = [
      snap("d3-late", "2024-01-03T23:00:00Z"),
      snap("d3-early", "2024-01-03T01:00:00Z"),
      snap("d2-late", "2024-01-02T22:00:00Z"),
      snap("d2-early", "2024-01-02T02:00:00Z"),
      snap("d1", "2024-01-01T12:00:00Z"),
    ];
    // 2d back from 2024-01-03T23:00 is 2024-01-01T23:00: d1 (12:00) is outside, even though "now" is irrelevant.
    const plan = planRetention(list, { keepWithinDaily: "2d" });
    expect(plan.keep).toEqual([
      { id: "d3-late", reasons: ["daily within 2d"] },
      { id: "d2-late", reasons: ["daily within 2d"] },
    ]);
    expect(ids(plan.remove)).toEqual(["d3-early", "d2-early", "d1"]);
  });

  it("uses a strict 'after' at the window edge", () => {
    const list = [snap("new", "2024-01-10T00:00:00Z"), snap("edge", "2024-01-09T00:00:00Z")];
    expect(ids(planRetention(list, { keepWithinDaily: "1d" }).remove)).toEqual(["edge"]);
    expect(ids(planRetention(list, { keepWithinDaily: "1d1h" }).keep)).toEqual(["new", "edge"]);
  });

  it("buckets weeks by ISO week, across the year boundary", () => {
    const list = [
      snap("w1-2021-mon", "2021-01-04T00:00:00Z"),
      snap("w53-2020-sun", "2021-01-03T00:00:00Z"),
      snap("w53-2020-fri", "2021-01-01T00:00:00Z"),
      snap("w53-2020-mon", "2020-12-28T00:00:00Z"),
      snap("w52-2020", "2020-12-27T00:00:00Z"),
    ];
    const plan = planRetention(list, { keepWithinWeekly: "1m" });
    expect(ids(plan.keep)).toEqual(["w1-2021-mon", "w53-2020-sun", "w52-2020"]);
  });

  it("combines rules and reports every reason, like restic", () => {
    const list = [
      snap("a", "2024-03-31T02:00:00Z"),
      snap("b", "2024-03-30T02:00:00Z"),
      snap("c", "2024-02-29T02:00:00Z"),
    ];
    const plan = planRetention(list, { keepLast: 1, keepWithinDaily: "30d", keepWithinMonthly: "1y" });
    expect(plan.keep).toEqual([
      { id: "a", reasons: ["last snapshot", "daily within 30d", "monthly within 1y"] },
      { id: "b", reasons: ["daily within 30d"] },
      { id: "c", reasons: ["monthly within 1y"] },
    ]);
    // 30d back from March 31 is March 1: February 29 is outside the daily window but is February's newest.
  });

  it("applies month overflow as AddDate does: 1m before March 31 is March 3 (2023), so March 2 is out", () => {
    const list = [
      snap("latest", "2023-03-31T00:00:00Z"),
      snap("mar3", "2023-03-03T00:00:01Z"),
      snap("mar2", "2023-03-02T12:00:00Z"),
    ];
    const plan = planRetention(list, { keepWithinDaily: "1m" });
    expect(ids(plan.keep)).toEqual(["latest", "mar3"]);
    expect(ids(plan.remove)).toEqual(["mar2"]);
  });

  it("keeps the SkillSwap steady state: 30 daily + 13 weekly + 12 monthly + 7 yearly", () => {
    // Daily snapshots at 20:30 UTC (02:00 IST) for 8 years.
    const start = Date.UTC(2018, 0, 1, 20, 30);
    const list: SnapshotRef[] = [];
    for (let d = 0; d < 8 * 365; d++) list.push({ id: `d${d}`, createdAt: new Date(start + d * 86_400_000) });
    const plan = planRetention(list, {
      keepWithinDaily: "30d",
      keepWithinWeekly: "90d",
      keepWithinMonthly: "1y",
      keepWithinYearly: "7y",
    });
    expect(plan.keep.length).toBeGreaterThanOrEqual(55);
    expect(plan.keep.length).toBeLessThanOrEqual(30 + 13 + 12 + 8);
    expect(plan.keep.length + plan.remove.length).toBe(list.length);
  });

  it("reads a zero-length window as no rule, as restic does: alone it keeps everything, never removes everything", () => {
    const list = [snap("b", "2024-01-02T00:00:00Z"), snap("a", "2024-01-01T00:00:00Z")];
    for (const zero of ["0d", "0h", "0y0m0d0h"]) {
      expect(planRetention(list, { keepWithinDaily: zero })).toEqual({
        keep: [
          { id: "b", reasons: ["policy is empty"] },
          { id: "a", reasons: ["policy is empty"] },
        ],
        remove: [],
      });
    }
    // Beside a real rule, the zero window adds no reason and keeps nothing of its own.
    expect(planRetention(list, { keepLast: 1, keepWithinWeekly: "0d", keepWithinYearly: "0m" })).toEqual({
      keep: [{ id: "b", reasons: ["last snapshot"] }],
      remove: [{ id: "a" }],
    });
  });

  it("keeps everything with keepLast -1 (restic's 'unlimited') and rejects any other negative", () => {
    const list = [1, 2, 3].map((d) => snap(`s${d}`, `2024-01-0${d}T00:00:00Z`));
    expect(planRetention(list, { keepLast: -1 })).toEqual({
      keep: ["s3", "s2", "s1"].map((id) => ({ id, reasons: ["last snapshot"] })),
      remove: [],
    });
    expect(() => planRetention(list, { keepLast: -5 })).toThrow(
      new RetentionPolicyError("keepLast -5 must be a whole number (-1 keeps all)"),
    );
  });

  it("orders snapshots taken at the same instant by id, whatever order they arrive in", () => {
    const t = "2024-01-01T00:00:00Z";
    const orders = [
      ["a", "b", "c"],
      ["c", "b", "a"],
      ["b", "c", "a"],
    ];
    for (const order of orders) {
      const plan = planRetention(
        order.map((id) => snap(id, t)),
        { keepLast: 2 },
      );
      expect(plan).toEqual({
        keep: [
          { id: "a", reasons: ["last snapshot"] },
          { id: "b", reasons: ["last snapshot"] },
        ],
        remove: [{ id: "c" }],
      });
      // Within one day the first in that order is the day's keeper.
      expect(
        ids(
          planRetention(
            order.map((id) => snap(id, t)),
            { keepWithinDaily: "1d" },
          ).keep,
        ),
      ).toEqual(["a"]);
    }
  });

  it("names each window in its reasons: weekly and yearly", () => {
    const list = [snap("new", "2024-06-01T00:00:00Z"), snap("old", "2023-06-01T00:00:00Z")];
    expect(planRetention(list, { keepWithinWeekly: "2y", keepWithinYearly: "2y" }).keep).toEqual([
      { id: "new", reasons: ["weekly within 2y", "yearly within 2y"] },
      { id: "old", reasons: ["weekly within 2y", "yearly within 2y"] },
    ]);
  });

  it("names months and hours in its reasons as restic prints them, and an hours-only window is a real window", () => {
    const list = [snap("new", "2024-06-01T12:00:00Z"), snap("old", "2024-06-01T01:00:00Z")];
    expect(planRetention(list, { keepWithinMonthly: "1m", keepWithinDaily: "1d12h" }).keep).toEqual([
      { id: "new", reasons: ["daily within 1d12h", "monthly within 1m"] },
    ]);
    // 12 hours back from 12:00 is 00:00: the 01:00 snapshot is inside, but the day's newest already holds the day.
    expect(planRetention(list, { keepWithinDaily: "12h" })).toEqual({
      keep: [{ id: "new", reasons: ["daily within 12h"] }],
      remove: [{ id: "old" }],
    });
  });

  it("plans nothing for no snapshots, whatever the policy", () => {
    expect(planRetention([], { keepLast: 3, keepWithinDaily: "7d" })).toEqual({ keep: [], remove: [] });
  });

  it("rejects a malformed policy naming the key", () => {
    expect(() => planRetention([], { keepWithinDaily: "30 days" })).toThrow(
      /keepWithinDaily: duration "30 days"/,
    );
    expect(() => planRetention([], { keepLast: 1.5 })).toThrow(/keepLast 1.5 must be a whole number/);
  });
});

describe("planRetention properties", () => {
  const snapshots = fc
    .uniqueArray(
      fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 3 * 365 * 24 })),
      {
        minLength: 1,
        maxLength: 60,
        selector: ([id]) => id,
      },
    )
    .map((xs) => xs.map(([id, h]) => ({ id, createdAt: new Date(Date.UTC(2022, 0, 1) + h * 3_600_000) })));
  const duration = fc.constantFrom(undefined, "1d", "7d", "30d", "1m", "3m", "1y", "2y5m7d3h");
  const policy = fc.record({
    keepLast: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    keepWithinDaily: duration,
    keepWithinWeekly: duration,
    keepWithinMonthly: duration,
    keepWithinYearly: duration,
  });

  it("partitions the input into keep and remove", () => {
    fc.assert(
      fc.property(snapshots, policy, (list, p) => {
        const plan = planRetention(list, p);
        expect([...ids(plan.keep), ...ids(plan.remove)].sort()).toEqual(ids(list).sort());
      }),
    );
  });

  it("always keeps the newest snapshot when any rule is set", () => {
    fc.assert(
      fc.property(snapshots, policy, (list, p) => {
        const plan = planRetention(list, p);
        const newest = [...list].sort(
          (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1),
        )[0]!;
        expect(ids(plan.keep)).toContain(newest.id);
      }),
    );
  });

  it("never removes anything inside the newest keepLast", () => {
    fc.assert(
      fc.property(snapshots, policy, (list, p) => {
        const plan = planRetention(list, p);
        const newestFirst = [...list].sort(
          (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1),
        );
        for (const s of newestFirst.slice(0, p.keepLast ?? 0)) expect(ids(plan.remove)).not.toContain(s.id);
      }),
    );
  });

  it("decides the same whatever the input order", () => {
    fc.assert(
      fc.property(snapshots, policy, fc.integer(), (list, p, seed) => {
        const shuffled = [...list].sort(
          (a, b) => ((a.id.charCodeAt(0) * seed) % 7) - ((b.id.charCodeAt(0) * seed) % 7),
        );
        expect(planRetention(shuffled, p)).toEqual(planRetention(list, p));
      }),
    );
  });
});
