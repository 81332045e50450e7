// The backup job against a stateful RDS fake: idempotent slots, paginated describes, DR copies, and each pruning rule.
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import type { BackupConfig } from "../../../lambdas/backup/config";
import { prune, runBackup } from "../../../lambdas/backup/job";
import { planRetention } from "../../../lambdas/backup/retention";
import { snapshotId } from "../../../lambdas/backup/snapshots";
import { type FakeSnapshot, fakeRds, ourTags } from "../../support/fake-rds";

// The real planner, wrapped so one test can hand the pruner a wrong plan (the floor must hold whatever it says).
jest.mock("../../../lambdas/backup/retention", () => {
  const actual = jest.requireActual("../../../lambdas/backup/retention");
  return { ...actual, planRetention: jest.fn(actual.planRetention) };
});

const NOW = new Date("2027-03-10T03:00:00Z");
const DAY = 86_400_000;

const config = (over: Partial<BackupConfig> = {}): BackupConfig => ({
  stack: "skillswap-prod",
  region: "ap-south-1",
  kmsKeyArn: "arn:aws:kms:ap-south-1:123456789012:key/primary",
  databases: [{ name: "skillswap", identifier: "skillswap-db", kind: "instance" }],
  retention: {
    keepWithinDaily: "30d",
    keepWithinWeekly: "90d",
    keepWithinMonthly: "1y",
    keepWithinYearly: "7y",
  },
  keepLastFloor: 3,
  freshnessHours: 36,
  drFreshnessHours: 72,
  maxDeletesPerRun: 1000,
  dryRun: false,
  rpoHours: 26,
  ...over,
});

function log() {
  const lines: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (message: string, extra: Record<string, unknown> = {}) => {
      lines.push({ level, message, extra });
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") } as const;
}

function setup(opts: { pageSize?: number; dr?: boolean; unsorted?: boolean } = {}) {
  const primaryClient = new RDSClient({ region: "ap-south-1" });
  const primary = fakeRds(primaryClient, "ap-south-1", {
    now: () => NOW,
    pageSize: opts.pageSize,
    unsorted: opts.unsorted,
    kmsKeyId: "arn:aws:kms:ap-south-1:123456789012:key/primary",
  });
  const drClient = new RDSClient({ region: "ap-south-2" });
  const dr = fakeRds(drClient, "ap-south-2", { now: () => NOW, source: primary });
  const l = log();
  return {
    primaryClient,
    primary,
    drClient,
    dr,
    log: l,
    deps: { primary: primaryClient, log: l, now: () => NOW },
  };
}

/** Daily snapshots of ours for `days` days before NOW, available. */
function history(days: number, extra: Partial<FakeSnapshot> = {}): (FakeSnapshot & { createdAt: Date })[] {
  return Array.from({ length: days }, (_, i) => ({
    id: `old-${String(i).padStart(4, "0")}`,
    instance: "skillswap-db",
    createdAt: new Date(NOW.getTime() - (i + 1) * DAY),
    status: "available",
    tags: ourTags("skillswap-prod", "skillswap"),
    ...extra,
  }));
}

afterEach(() => {
  jest.restoreAllMocks();
  jest.mocked(planRetention).mockClear();
});

describe("backup job", () => {
  it("refuses a scheduledTime more than 5 minutes ahead, naming the field, before any RDS call", async () => {
    const t = setup();
    // A typed future slot would name a snapshot after it: the real run of that slot would find it and take none.
    await expect(
      runBackup({ tier: "manual", scheduledTime: "2027-03-10T03:05:01Z" }, config(), t.deps),
    ).rejects.toThrow(
      /^event is invalid:\n {2}scheduledTime: 2027-03-10T03:05:01Z is 5m ahead of the clock \(2027-03-10T03:00:00.000Z\); a slot more than 5 minutes in the future is refused: the snapshot would take that slot's name, so the scheduled run of that slot would find it and take none/,
    );
    expect(t.primary.mock.calls()).toHaveLength(0);
    // Up to five minutes ahead is clock skew, not a typo: the run goes ahead.
    const ok = await runBackup({ tier: "manual", scheduledTime: "2027-03-10T03:05:00Z" }, config(), t.deps);
    expect(ok.databases[0]!.snapshot).toEqual({
      id: "mstack-skillswap-prod-skillswap-20270310-0305",
      result: "created",
    });
  });

  it("derives one snapshot from the slot: a retried or duplicated invocation makes no second one", async () => {
    const t = setup();
    const event = { tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" };
    const first = await runBackup(event, config(), t.deps);
    const second = await runBackup(event, config(), t.deps);
    expect(first.databases[0]!.snapshot).toEqual({
      id: "mstack-skillswap-prod-skillswap-20270309-2030",
      result: "created",
    });
    expect(second.databases[0]!.snapshot).toEqual({
      id: "mstack-skillswap-prod-skillswap-20270309-2030",
      result: "exists",
    });
    expect(t.primary.snapshots.map((s) => s.id)).toEqual(["mstack-skillswap-prod-skillswap-20270309-2030"]);
    expect(t.primary.mock).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      DBInstanceIdentifier: "skillswap-db",
      DBSnapshotIdentifier: "mstack-skillswap-prod-skillswap-20270309-2030",
      Tags: ourTags("skillswap-prod", "skillswap", "daily"),
    });
  });

  it("names snapshots within RDS identifier rules", () => {
    const id = snapshotId("My_Stack", "db--1", new Date("2027-01-02T03:04:59Z"));
    expect(id).toBe("mstack-my-stack-db-1-20270102-0304");
    expect(id).toMatch(/^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/);
  });

  it("reads every page of a paginated describe over hundreds of snapshots", async () => {
    const t = setup({ pageSize: 100 });
    t.primary.snapshots.push(...history(350));
    const outcome = await prune(
      t.primaryClient,
      "ap-south-1",
      config().databases[0]!,
      config(),
      { dryRun: true, freshnessHours: 36, maxDeletes: 1000 },
      t.deps,
    );
    // The paginator reuses one input object, so count the pages rather than reading their Markers back.
    expect(t.primary.mock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(4);
    expect(outcome.kept).toBe(350);
    // 350 daily snapshots: 30 daily + weekly over 90d + monthly over 1y + yearly; the rest (incl. the oldest) go.
    expect(outcome.wouldRemove).toContain("old-0349");
    expect(outcome.wouldRemove).not.toContain("old-0000");
  });

  it("starts a cross-region copy of the newest available snapshot with the DR key, once", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    const cfg = config({
      dr: { region: "ap-south-2", kmsKeyArn: "arn:aws:kms:ap-south-2:123456789012:key/dr" },
    });
    const deps = { ...t.deps, dr: t.drClient };
    const r1 = await runBackup({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }, cfg, deps);
    expect(r1.databases[0]!.copy).toEqual({ id: "old-0000", result: "started" });
    expect(t.dr.mock).toHaveReceivedCommandWith(CopyDBSnapshotCommand, {
      SourceDBSnapshotIdentifier: "arn:aws:rds:ap-south-1:123456789012:snapshot:old-0000",
      TargetDBSnapshotIdentifier: "old-0000",
      KmsKeyId: "arn:aws:kms:ap-south-2:123456789012:key/dr",
      Tags: ourTags("skillswap-prod", "skillswap", "daily"),
    });
    const r2 = await runBackup({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }, cfg, deps);
    expect(r2.databases[0]!.copy).toEqual({ id: "old-0000", result: "exists" });
    expect(t.dr.snapshots.map((s) => s.id)).toEqual(["old-0000"]);
  });

  it("refuses to run with a DR region but no DR client", async () => {
    const t = setup();
    const cfg = config({
      dr: { region: "ap-south-2", kmsKeyArn: "arn:aws:kms:ap-south-2:123456789012:key/dr" },
    });
    await expect(
      runBackup({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }, cfg, t.deps),
    ).rejects.toThrow(/refusing/);
    expect(t.primary.mock.calls()).toHaveLength(0);
  });

  it("returns one region's outcome and no copy when no DR region is configured", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    const result = await runBackup(
      { tier: "daily", scheduledTime: "2027-03-10T02:00:00Z" },
      config({ retention: { keepLast: 2 }, keepLastFloor: 1 }),
      t.deps,
    );
    expect(result).toEqual({
      databases: [
        {
          database: "skillswap",
          snapshot: { id: "mstack-skillswap-prod-skillswap-20270310-0200", result: "created" },
          prune: [{ region: "ap-south-1", removed: ["old-0002"], wouldRemove: [], kept: 3 }],
        },
      ],
    });
  });

  it("names every failed database in one BackupFailedError", async () => {
    const t = setup();
    const cfg = config({
      databases: [
        { name: "one", identifier: "one-db", kind: "instance" },
        { name: "two", identifier: "two-db", kind: "instance" },
      ],
    });
    t.primary.mock.on(CreateDBSnapshotCommand).rejects(new Error("InvalidDBInstanceState"));
    await expect(
      runBackup({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }, cfg, t.deps),
    ).rejects.toThrow(
      expect.objectContaining({
        name: "BackupFailedError",
        message: "backup failed for one (InvalidDBInstanceState), two (InvalidDBInstanceState)",
      }),
    );
  });

  it("keeps going when one database fails, then reports the failure", async () => {
    const t = setup();
    const cfg = config({
      databases: [
        { name: "broken", identifier: "broken-db", kind: "instance" },
        { name: "skillswap", identifier: "skillswap-db", kind: "instance" },
      ],
    });
    t.primary.mock
      .on(CreateDBSnapshotCommand, { DBInstanceIdentifier: "broken-db" })
      .rejects(new Error("InvalidDBInstanceState"));
    await expect(
      runBackup({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }, cfg, t.deps),
    ).rejects.toThrow(/backup failed for broken \(InvalidDBInstanceState\)/);
    expect(t.primary.snapshots.map((s) => s.instance)).toEqual(["skillswap-db"]);
  });
});

describe("pruning safety rules (each would fail if its rule were removed)", () => {
  const db = config().databases[0]!;
  const run = (
    t: ReturnType<typeof setup>,
    cfg: BackupConfig,
    o: Partial<{ dryRun: boolean; freshnessHours: number; maxDeletes: number }> = {},
  ) =>
    prune(
      t.primaryClient,
      "ap-south-1",
      db,
      cfg,
      { dryRun: false, freshnessHours: 36, maxDeletes: 1000, ...o },
      t.deps,
    );
  const deleted = (t: ReturnType<typeof setup>) =>
    t.primary.mock.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier);

  it("deletes only snapshots this stack tagged as its own", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(5));
    t.primary.snapshots.push(
      {
        id: "manual-by-a-human",
        instance: "skillswap-db",
        createdAt: new Date(NOW.getTime() - 400 * DAY),
        status: "available",
        tags: [],
      },
      {
        id: "other-stack",
        instance: "skillswap-db",
        createdAt: new Date(NOW.getTime() - 400 * DAY),
        status: "available",
        tags: ourTags("dev", "skillswap"),
      },
      {
        id: "other-database",
        instance: "skillswap-db",
        createdAt: new Date(NOW.getTime() - 400 * DAY),
        status: "available",
        tags: ourTags("skillswap-prod", "reports"),
      },
      {
        // Stack and database tags copied by hand, without the managed-by mark: not ours either.
        id: "not-managed",
        instance: "skillswap-db",
        createdAt: new Date(NOW.getTime() - 400 * DAY),
        status: "available",
        tags: ourTags("skillswap-prod", "skillswap").filter((tag) => tag.Key !== "managed-by"),
      },
    );
    await run(t, config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }));
    expect(deleted(t)).not.toContain("manual-by-a-human");
    expect(deleted(t)).not.toContain("other-stack");
    expect(deleted(t).sort()).toEqual(["old-0001", "old-0002", "old-0003", "old-0004"]);
  });

  it("never deletes a snapshot that is not available", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    t.primary.snapshots.push({
      ...history(1)[0]!,
      id: "still-copying",
      createdAt: new Date(NOW.getTime() - 100 * DAY),
      status: "copying",
    });
    await run(t, config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }));
    expect(deleted(t)).not.toContain("still-copying");
    expect(deleted(t).sort()).toEqual(["old-0001", "old-0002"]);
  });

  it("keeps a snapshot RDS lists as available without a creation time, and prunes the others as usual", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    t.primary.snapshots.push({ ...history(1)[0]!, id: "no-create-time", createdAt: undefined });
    await run(t, config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }));
    expect(deleted(t).sort()).toEqual(["old-0001", "old-0002"]);
    expect(t.log.lines).toContainEqual(
      expect.objectContaining({
        message: "keep: not available",
        extra: expect.objectContaining({ snapshot: "no-create-time" }),
      }),
    );
  });

  it("never deletes the newest keepLastFloor snapshots, whatever the policy", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(10));
    await run(t, config({ retention: { keepWithinDaily: "1h" }, keepLastFloor: 4 }));
    expect(t.primary.snapshots.map((s) => s.id).sort()).toEqual([
      "old-0000",
      "old-0001",
      "old-0002",
      "old-0003",
    ]);
  });

  it("deletes nothing when the newest snapshot is older than the freshness bound", async () => {
    const t = setup();
    t.primary.snapshots.push(
      ...history(60).map((s) => ({ ...s, createdAt: new Date(s.createdAt.getTime() - 5 * DAY) })),
    );
    const outcome = await run(t, config({ retention: { keepWithinDaily: "7d" }, keepLastFloor: 1 }));
    expect(outcome.refused).toMatch(/newest snapshot is 144h old \(bound 36h\)/);
    expect(deleted(t)).toEqual([]);
    expect(t.log.lines.some((l) => l.level === "error" && /freshness bound/.test(l.message))).toBe(true);
  });

  it("prunes with the newest snapshot exactly at the freshness bound, and refuses just past it (rounded hours)", async () => {
    const at = (hours: number) => {
      const t = setup();
      t.primary.snapshots.push(
        ...history(5).map((s, i) => ({
          ...s,
          createdAt: new Date(NOW.getTime() - hours * 3_600_000 - i * DAY),
        })),
      );
      return t;
    };
    const edge = at(36);
    const ok = await run(edge, config({ retention: { keepLast: 2 }, keepLastFloor: 1 }));
    expect(ok).toEqual({
      region: "ap-south-1",
      removed: ["old-0004", "old-0003", "old-0002"],
      wouldRemove: [],
      kept: 2,
    });
    const past = at(36.4);
    const refused = await run(past, config({ retention: { keepLast: 2 }, keepLastFloor: 1 }));
    expect(refused.refused).toBe("newest snapshot is 36h old (bound 36h)");
    expect(deleted(past)).toEqual([]);
  });

  it("deletes nothing when there is no available snapshot at all", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3).map((s) => ({ ...s, status: "creating" })));
    expect((await run(t, config())).refused).toBe("no available snapshot");
    expect(deleted(t)).toEqual([]);
  });

  it("deletes at most maxDeletesPerRun per run, oldest first", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(40));
    const outcome = await run(t, config({ retention: { keepWithinDaily: "10d" }, keepLastFloor: 1 }), {
      maxDeletes: 5,
    });
    expect(outcome.removed).toEqual(["old-0039", "old-0038", "old-0037", "old-0036", "old-0035"]);
    expect(deleted(t)).toHaveLength(5);
  });

  it("deletes nothing in dry-run mode and says what it would delete", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(20));
    const outcome = await run(t, config({ retention: { keepWithinDaily: "5d" }, keepLastFloor: 1 }), {
      dryRun: true,
    });
    expect(deleted(t)).toEqual([]);
    expect(outcome.wouldRemove).toHaveLength(15);
    expect(t.primary.snapshots).toHaveLength(20);
  });

  it("logs every decision with its reason", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    await run(t, config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }));
    expect(
      t.log.lines.filter((l) => l.message === "keep").map((l) => [l.extra.snapshot, l.extra.reasons]),
    ).toEqual([["old-0000", ["last snapshot", "daily within 1d"]]]);
    expect(t.log.lines.filter((l) => /^remove/.test(l.message)).map((l) => l.extra.snapshot)).toEqual([
      "old-0002",
      "old-0001",
    ]);
  });

  it("deletes nothing when maxDeletesPerRun is 0", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(10));
    await run(t, config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }), { maxDeletes: 0 });
    expect(deleted(t)).toEqual([]);
  });
});

describe("a whole run: both regions, dry-run, the bounds from the config", () => {
  const dr = { region: "ap-south-2", kmsKeyArn: "arn:aws:kms:ap-south-2:123456789012:key/dr" };
  const event = { tier: "daily", scheduledTime: "2027-03-10T02:00:00Z" };
  const slot = "mstack-skillswap-prod-skillswap-20270310-0200";
  const withDr = (t: ReturnType<typeof setup>) => ({ ...t.deps, dr: t.drClient });
  const deletes = (m: ReturnType<typeof setup>["primary"]) =>
    m.mock.commandCalls(DeleteDBSnapshotCommand).length;
  // Five daily snapshots in each region; a 2d window keeps the newest two, so three go in each.
  const seeded = () => {
    const t = setup();
    t.primary.snapshots.push(...history(5));
    t.dr.snapshots.push(...history(5));
    return t;
  };
  const plannedOut = ["old-0004", "old-0003", "old-0002"];
  const cfg = (over: Partial<BackupConfig> = {}) =>
    config({ retention: { keepWithinDaily: "2d" }, keepLastFloor: 1, dr, ...over });

  it.each([
    ["the config says dry-run", { dryRun: true }, {}],
    ["the event says dry-run", {}, { dryRun: true }],
    [
      "the config says dry-run and the event says not (it can only turn it on)",
      { dryRun: true },
      { dryRun: false },
    ],
  ])("deletes nothing in either region when %s, and reports what would go", async (_label, over, ev) => {
    const t = seeded();
    const result = await runBackup({ ...event, ...ev }, cfg(over), withDr(t));
    expect(result).toEqual({
      databases: [
        {
          database: "skillswap",
          snapshot: { id: slot, result: "created" },
          copy: { id: "old-0000", result: "exists" },
          prune: [
            { region: "ap-south-1", removed: [], wouldRemove: plannedOut, kept: 6 },
            { region: "ap-south-2", removed: [], wouldRemove: plannedOut, kept: 5 },
          ],
        },
      ],
    });
    expect(deletes(t.primary) + deletes(t.dr)).toBe(0);
  });

  it("deletes in both regions when neither says dry-run", async () => {
    const t = seeded();
    const result = await runBackup({ ...event, dryRun: false }, cfg(), withDr(t));
    expect(result.databases[0]!.prune).toEqual([
      { region: "ap-south-1", removed: plannedOut, wouldRemove: [], kept: 3 },
      { region: "ap-south-2", removed: plannedOut, wouldRemove: [], kept: 2 },
    ]);
    expect(t.dr.snapshots.map((s) => s.id).sort()).toEqual(["old-0000", "old-0001"]);
  });

  it("holds each region to its own freshness bound and every region to the per-run cap", async () => {
    const t = setup();
    // The newest is 40h old: past the primary's 36h bound, within the DR region's 72h (copies arrive later).
    const stale = history(5).map((s) => ({
      ...s,
      createdAt: new Date(s.createdAt.getTime() - 16 * 3_600_000),
    }));
    t.primary.snapshots.push(...stale);
    t.dr.snapshots.push(...stale.map((s) => ({ ...s })));
    const result = await runBackup(event, cfg({ maxDeletesPerRun: 2 }), withDr(t));
    expect(result.databases[0]!.prune).toEqual([
      {
        region: "ap-south-1",
        removed: [],
        wouldRemove: [],
        kept: 6,
        refused: "newest snapshot is 40h old (bound 36h)",
      },
      { region: "ap-south-2", removed: ["old-0004", "old-0003"], wouldRemove: [], kept: 3 },
    ]);
    expect(deletes(t.primary)).toBe(0);
  });

  it("copies the newest available snapshot of ours, whatever order RDS lists them in", async () => {
    const t = setup();
    const base = history(1)[0]!;
    t.primary.snapshots.push(
      { ...base, id: "a-older", createdAt: new Date(NOW.getTime() - 2 * DAY) },
      { ...base, id: "b-newest", createdAt: new Date(NOW.getTime() - DAY) },
      { ...base, id: "c-middle", createdAt: new Date(NOW.getTime() - 1.5 * DAY) },
      {
        ...base,
        id: "d-newer-but-copying",
        createdAt: new Date(NOW.getTime() - 3_600_000),
        status: "copying",
      },
      { ...base, id: "e-newer-but-not-ours", createdAt: new Date(NOW.getTime() - 3_600_000), tags: [] },
    );
    const result = await runBackup(event, cfg(), withDr(t));
    expect(result.databases[0]!.copy).toEqual({ id: "b-newest", result: "started" });
  });

  it("skips the DR copy, saying why, while no snapshot of ours is available yet", async () => {
    const t = setup();
    const result = await runBackup(event, cfg(), withDr(t));
    expect(result.databases[0]!.copy).toEqual({
      id: "",
      result: "skipped",
      reason: "no available snapshot to copy yet",
    });
    expect(t.dr.mock.commandCalls(CopyDBSnapshotCommand)).toEqual([]);
    expect(t.log.lines).toContainEqual({
      level: "info",
      message: "dr copy",
      extra: {
        database: "skillswap",
        id: "",
        result: "skipped",
        reason: "no available snapshot to copy yet",
      },
    });
  });

  it("fails the database when the DR copy fails for any reason but 'already exists'", async () => {
    const t = seeded();
    t.dr.mock
      .on(CopyDBSnapshotCommand)
      .rejects(new Error("KMSKeyNotAccessibleFault: the DR key is disabled"));
    await expect(runBackup(event, cfg(), withDr(t))).rejects.toThrow(
      "backup failed for skillswap (KMSKeyNotAccessibleFault: the DR key is disabled)",
    );
    expect(t.log.lines).toContainEqual({
      level: "error",
      message: "database backup failed",
      extra: { database: "skillswap", error: "KMSKeyNotAccessibleFault: the DR key is disabled" },
    });
    expect(deletes(t.primary) + deletes(t.dr)).toBe(0);
  });

  it("refuses to run with a DR client but no DR region", async () => {
    const t = setup();
    await expect(runBackup(event, config(), withDr(t))).rejects.toThrow(
      "DR region configured without a DR client (or the reverse): refusing to run half a backup",
    );
    expect(t.primary.mock.calls()).toHaveLength(0);
  });
});

describe("Aurora clusters", () => {
  const dr = { region: "ap-south-2", kmsKeyArn: "arn:aws:kms:ap-south-2:123456789012:key/dr" };
  const cfg = config({
    databases: [{ name: "skillswap", identifier: "skillswap-cluster", kind: "cluster" }],
    retention: { keepWithinDaily: "2d" },
    keepLastFloor: 1,
    dr,
  });
  const event = { tier: "daily", scheduledTime: "2027-03-10T02:00:00Z" };
  const slot = "mstack-skillswap-prod-skillswap-20270310-0200";

  it("snapshots, copies and prunes through the cluster API, once per slot", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(4, { cluster: true, instance: "skillswap-cluster" }));
    const deps = { ...t.deps, dr: t.drClient };
    const first = await runBackup(event, cfg, deps);
    expect(first.databases).toEqual([
      {
        database: "skillswap",
        snapshot: { id: slot, result: "created" },
        copy: { id: "old-0000", result: "started" },
        prune: [
          { region: "ap-south-1", removed: ["old-0003", "old-0002"], wouldRemove: [], kept: 3 },
          { region: "ap-south-2", removed: [], wouldRemove: [], kept: 1, refused: "no available snapshot" },
        ],
      },
    ]);
    expect(t.primary.mock).toHaveReceivedCommandWith(CreateDBClusterSnapshotCommand, {
      DBClusterIdentifier: "skillswap-cluster",
      DBClusterSnapshotIdentifier: slot,
      Tags: ourTags("skillswap-prod", "skillswap", "daily"),
    });
    expect(t.dr.mock).toHaveReceivedCommandWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: "arn:aws:rds:ap-south-1:123456789012:cluster-snapshot:old-0000",
      TargetDBClusterSnapshotIdentifier: "old-0000",
      KmsKeyId: dr.kmsKeyArn,
      Tags: ourTags("skillswap-prod", "skillswap", "daily"),
    });
    expect(
      t.primary.mock
        .commandCalls(DeleteDBClusterSnapshotCommand)
        .map((c) => c.args[0].input.DBClusterSnapshotIdentifier),
    ).toEqual(["old-0003", "old-0002"]);
    // Nothing went through the instance API.
    expect(t.primary.mock.commandCalls(CreateDBSnapshotCommand)).toEqual([]);
    expect(t.primary.mock.commandCalls(DeleteDBSnapshotCommand)).toEqual([]);

    const second = await runBackup(event, cfg, deps);
    expect(second.databases[0]!.snapshot).toEqual({ id: slot, result: "exists" });
    expect(second.databases[0]!.copy).toEqual({ id: "old-0000", result: "exists" });
  });

  it("fails the cluster's run when its snapshot cannot be taken", async () => {
    const t = setup();
    t.primary.mock.on(CreateDBClusterSnapshotCommand).rejects(new Error("InvalidDBClusterStateFault"));
    await expect(runBackup(event, cfg, { ...t.deps, dr: t.drClient })).rejects.toThrow(
      "backup failed for skillswap (InvalidDBClusterStateFault)",
    );
  });
});

describe("the floor, whatever the planner says", () => {
  it("keeps the newest keepLastFloor even when the plan would remove every snapshot", async () => {
    const t = setup();
    // Ids that sort oldest first, so the floor must order by time, not by how RDS lists them.
    t.primary.snapshots.push(...history(6).map((s, i) => ({ ...s, id: `s-${5 - i}` })));
    // A planner bug that drops keepLast: everything planned out.
    jest
      .mocked(planRetention)
      .mockImplementationOnce((list) => ({ keep: [], remove: list.map((s) => ({ id: s.id })) }));
    const outcome = await prune(
      t.primaryClient,
      "ap-south-1",
      config().databases[0]!,
      config({ keepLastFloor: 2 }),
      { dryRun: false, freshnessHours: 36, maxDeletes: 1000 },
      t.deps,
    );
    expect(outcome.removed.sort()).toEqual(["s-0", "s-1", "s-2", "s-3"]);
    expect(t.primary.snapshots.map((s) => s.id).sort()).toEqual(["s-4", "s-5"]);
  });

  // Every run decides the same whatever order RDS lists the snapshots in.
  it.each([
    ["tie-b", "tie-a", "tie-c"],
    ["tie-a", "tie-b", "tie-c"],
    ["tie-c", "tie-b", "tie-a"],
  ])(
    "breaks a tie between snapshots of the same millisecond by id, in the floor and for the DR copy alike (listed %s, %s, %s)",
    async (...ids) => {
      const t = setup({ unsorted: true });
      const same = new Date(NOW.getTime() - DAY);
      const base = history(1)[0]!;
      t.primary.snapshots.push(...ids.map((id) => ({ ...base, id, createdAt: same })), {
        ...base,
        id: "older",
        createdAt: new Date(NOW.getTime() - 2 * DAY),
      });
      jest
        .mocked(planRetention)
        .mockImplementationOnce((list) => ({ keep: [], remove: list.map((s) => ({ id: s.id })) }));
      const outcome = await prune(
        t.primaryClient,
        "ap-south-1",
        config().databases[0]!,
        config({ keepLastFloor: 2 }),
        { dryRun: true, freshnessHours: 36, maxDeletes: 1000 },
        t.deps,
      );
      expect(outcome.wouldRemove.sort()).toEqual(["older", "tie-c"]);
      const dr = { region: "ap-south-2", kmsKeyArn: "arn:aws:kms:ap-south-2:123456789012:key/dr" };
      const run = await runBackup({ tier: "daily", scheduledTime: "2027-03-10T02:00:00Z" }, config({ dr }), {
        ...t.deps,
        dr: t.drClient,
      });
      expect(run.databases[0]!.copy).toEqual({ id: "tie-a", result: "started" });
    },
  );

  it("hands the planner the policy with keepLast raised to the floor", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(3));
    await prune(
      t.primaryClient,
      "ap-south-1",
      config().databases[0]!,
      config({ retention: { keepLast: 1, keepWithinDaily: "1d" }, keepLastFloor: 2 }),
      { dryRun: true, freshnessHours: 36, maxDeletes: 1000 },
      t.deps,
    );
    expect(jest.mocked(planRetention).mock.calls[0]![1]).toEqual({ keepLast: 2, keepWithinDaily: "1d" });
  });
});

describe("the decision log", () => {
  const db = config().databases[0]!;
  const at = (region: string, snapshot: string) => ({ region, database: "skillswap", snapshot });

  it("says for every snapshot why it stays or goes", async () => {
    const t = setup();
    t.primary.snapshots.push(
      ...history(5),
      {
        ...history(1)[0]!,
        id: "by-hand",
        tags: [],
      },
      {
        ...history(1)[0]!,
        id: "still-creating",
        status: "creating",
      },
    );
    await prune(
      t.primaryClient,
      "ap-south-1",
      db,
      config({ retention: { keepWithinDaily: "1d" }, keepLastFloor: 1 }),
      { dryRun: false, freshnessHours: 36, maxDeletes: 2 },
      t.deps,
    );
    expect(t.log.lines).toEqual([
      {
        level: "info",
        message: "keep: not created by this stack (tag check)",
        extra: at("ap-south-1", "by-hand"),
      },
      {
        level: "info",
        message: "keep: not available",
        extra: { ...at("ap-south-1", "still-creating"), status: "creating" },
      },
      {
        level: "info",
        message: "keep",
        extra: { ...at("ap-south-1", "old-0000"), reasons: ["last snapshot", "daily within 1d"] },
      },
      // Newest first: the next runs take them, oldest first.
      ...["old-0001", "old-0002"].map((id) => ({
        level: "info",
        message: "keep for now: over maxDeletesPerRun",
        extra: { ...at("ap-south-1", id), maxDeletes: 2 },
      })),
      ...["old-0004", "old-0003"].map((id) => ({
        level: "info",
        message: "remove: outside every retention rule",
        extra: at("ap-south-1", id),
      })),
    ]);
  });

  it("says what a dry run would remove, and why a run refused", async () => {
    const t = setup();
    t.primary.snapshots.push(...history(2));
    const run = (o: { freshnessHours: number }) =>
      prune(
        t.primaryClient,
        "ap-south-1",
        db,
        config({ retention: { keepLast: 1 }, keepLastFloor: 1 }),
        {
          dryRun: true,
          maxDeletes: 10,
          ...o,
        },
        t.deps,
      );
    await run({ freshnessHours: 36 });
    await run({ freshnessHours: 12 });
    expect(t.log.lines.filter((l) => l.message !== "keep")).toEqual([
      {
        level: "info",
        message: "dry run: would remove (outside every retention rule)",
        extra: at("ap-south-1", "old-0001"),
      },
      {
        level: "error",
        message: "prune refused: newest snapshot is older than the freshness bound",
        extra: { region: "ap-south-1", database: "skillswap", newestAgeHours: 24, freshnessHours: 12 },
      },
    ]);
    t.primary.snapshots.splice(0);
    expect((await run({ freshnessHours: 36 })).refused).toBe("no available snapshot");
    expect(t.log.lines.at(-1)).toEqual({
      level: "warn",
      message: "prune refused: no available snapshot of ours",
      extra: { region: "ap-south-1", database: "skillswap" },
    });
  });

  it("says whether the slot's snapshot was started or already there", async () => {
    const t = setup();
    const event = { tier: "daily", scheduledTime: "2027-03-10T02:00:00Z" };
    await runBackup(event, config(), t.deps);
    await runBackup(event, config(), t.deps);
    const snapshot = "mstack-skillswap-prod-skillswap-20270310-0200";
    expect(t.log.lines.filter((l) => /^snapshot/.test(l.message))).toEqual([
      { level: "info", message: "snapshot started", extra: { database: "skillswap", snapshot } },
      {
        level: "info",
        message: "snapshot for this slot already exists",
        extra: { database: "skillswap", snapshot },
      },
    ]);
  });

  // RDS copies an instance's tags to its automated snapshots (CopyTagsToSnapshot), so they can carry our marks.
  it.each([false, true])(
    "lists only manual snapshots: an automated one with our tags is never pruned (cluster: %s)",
    async (cluster) => {
      const t = setup();
      const instance = cluster ? "skillswap-cluster" : "skillswap-db";
      t.primary.snapshots.push(
        ...history(3, { cluster, instance }),
        ...history(3, { cluster, instance, type: "automated" }).map((s) => ({ ...s, id: `rds:${s.id}` })),
      );
      jest
        .mocked(planRetention)
        .mockImplementationOnce((list) => ({ keep: [], remove: list.map((s) => ({ id: s.id })) }));
      const db = { name: "skillswap", identifier: instance, kind: cluster ? "cluster" : "instance" } as const;
      const outcome = await prune(
        t.primaryClient,
        "ap-south-1",
        db,
        config({ keepLastFloor: 1 }),
        { dryRun: false, freshnessHours: 36, maxDeletes: 1000 },
        t.deps,
      );
      expect(outcome.removed.sort()).toEqual(["old-0001", "old-0002"]);
      expect(t.primary.snapshots.filter((s) => s.type === "automated")).toHaveLength(3);
    },
  );
});
