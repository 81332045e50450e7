// The backup job against a stateful RDS fake: idempotent slots, paginated describes, DR copies, and each pruning rule.
import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import type { BackupConfig } from "../../../lambdas/backup/config";
import { prune, runBackup } from "../../../lambdas/backup/job";
import { snapshotId } from "../../../lambdas/backup/snapshots";
import { type FakeSnapshot, fakeRds, ourTags } from "../../support/fake-rds";

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

function setup(opts: { pageSize?: number; dr?: boolean } = {}) {
  const primaryClient = new RDSClient({ region: "ap-south-1" });
  const primary = fakeRds(primaryClient, "ap-south-1", {
    now: () => NOW,
    pageSize: opts.pageSize,
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
function history(days: number, extra: Partial<FakeSnapshot> = {}): FakeSnapshot[] {
  return Array.from({ length: days }, (_, i) => ({
    id: `old-${String(i).padStart(4, "0")}`,
    instance: "skillswap-db",
    createdAt: new Date(NOW.getTime() - (i + 1) * DAY),
    status: "available",
    tags: ourTags("skillswap-prod", "skillswap"),
    ...extra,
  }));
}

afterEach(() => jest.restoreAllMocks());

describe("backup job", () => {
  it("refuses a scheduledTime more than 5 minutes ahead, naming the field, before any RDS call", async () => {
    const t = setup();
    // A typed future slot would name a snapshot after it: the real run of that slot would find it and take none.
    await expect(
      runBackup({ tier: "manual", scheduledTime: "2027-03-10T03:05:01Z" }, config(), t.deps),
    ).rejects.toThrow(
      /^event is invalid:\n {2}scheduledTime: 2027-03-10T03:05:01Z is 5m ahead of the clock \(2027-03-10T03:00:00.000Z\); a slot more than 5 minutes in the future is refused/,
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
