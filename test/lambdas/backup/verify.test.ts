// backup-verify: newest snapshot available, encrypted with the backups key, not public, within RPO; DR copy recent.
import { RDSClient } from "@aws-sdk/client-rds";
import type { BackupConfig } from "../../../lambdas/backup/config";
import { runVerify } from "../../../lambdas/backup-verify/verify";
import { fakeRds, ourTags } from "../../support/fake-rds";

const NOW = new Date("2027-03-10T04:00:00Z");
const HOUR = 3_600_000;
const KEY = "arn:aws:kms:eu-west-2:123456789012:key/primary";
const DR_KEY = "arn:aws:kms:eu-west-1:123456789012:key/dr";

const config: BackupConfig = {
  stack: "dev",
  region: "eu-west-2",
  kmsKeyArn: KEY,
  dr: { region: "eu-west-1", kmsKeyArn: DR_KEY },
  databases: [{ name: "app", identifier: "app-db", kind: "instance" }],
  retention: { keepWithinDaily: "30d" },
  keepLastFloor: 3,
  freshnessHours: 36,
  drFreshnessHours: 48,
  maxDeletesPerRun: 10,
  dryRun: false,
  rpoHours: 26,
};

function setup(
  primaryAgeHours: number,
  opts: {
    kms?: string;
    public?: boolean;
    drAgeHours?: number;
    drKms?: string;
    encrypted?: boolean;
    cluster?: boolean;
  } = {},
) {
  const primaryClient = new RDSClient({ region: "eu-west-2" });
  const drClient = new RDSClient({ region: "eu-west-1" });
  const primary = fakeRds(primaryClient, "eu-west-2", { now: () => NOW });
  const dr = fakeRds(drClient, "eu-west-1", { now: () => NOW });
  primary.snapshots.push({
    id: "snap-1",
    instance: "app-db",
    createdAt: new Date(NOW.getTime() - primaryAgeHours * HOUR),
    status: "available",
    tags: ourTags("dev", "app"),
    kmsKeyId: opts.kms ?? KEY,
    public: opts.public ?? false,
    encrypted: opts.encrypted ?? true,
    cluster: opts.cluster ?? false,
  });
  if (opts.drAgeHours !== undefined) {
    dr.snapshots.push({
      id: "snap-1",
      instance: "app-db",
      createdAt: new Date(NOW.getTime() - opts.drAgeHours * HOUR),
      status: "available",
      tags: ourTags("dev", "app"),
      kmsKeyId: opts.drKms ?? DR_KEY,
      cluster: opts.cluster ?? false,
    });
  }
  const metrics: Array<[string, string, number]> = [];
  const log = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const deps = {
    primary: primaryClient,
    dr: drClient,
    log,
    now: () => NOW,
    metrics: { put: (d: string, n: string, v: number) => void metrics.push([d, n, v]) },
  };
  return { deps, metrics };
}

describe("backup-verify", () => {
  it("passes a fresh, correctly encrypted, private snapshot with a recent DR copy, and emits its metrics", async () => {
    const t = setup(2, { drAgeHours: 1 });
    const r = await runVerify(config, t.deps);
    expect(r.databases[0]).toMatchObject({ ok: true, problems: [] });
    expect(t.metrics).toEqual([
      ["app", "NewestSnapshotAgeSeconds", 7200],
      ["app", "DrCopyAgeSeconds", 3600],
      ["app", "SnapshotsKept", 1],
      ["app", "VerificationFailed", 0],
    ]);
  });

  it.each([
    ["older than the RPO", setup(30, { drAgeHours: 1 }), /is 30h old \(RPO 26h\)/],
    [
      "encrypted with another key",
      setup(2, { kms: "arn:aws:kms:eu-west-2:123456789012:key/other", drAgeHours: 1 }),
      /not the backups key/,
    ],
    [
      "not encrypted at all",
      setup(2, { encrypted: false, drAgeHours: 1 }),
      /newest snapshot snap-1 is not encrypted/,
    ],
    ["shared publicly", setup(2, { public: true, drAgeHours: 1 }), /shared publicly/],
    ["missing its DR copy", setup(2), /no available DR copy in eu-west-1/],
    ["with a stale DR copy", setup(2, { drAgeHours: 60 }), /DR copy snap-1 is 60h old/],
    [
      "with a DR copy under the wrong key",
      setup(2, { drAgeHours: 1, drKms: KEY }),
      /not encrypted with the DR key/,
    ],
  ])("fails a snapshot %s", async (_label, t, problem) => {
    const r = await runVerify(config, t.deps);
    expect(r.databases[0]!.ok).toBe(false);
    expect(r.databases[0]!.problems.join("\n")).toMatch(problem);
    expect(t.metrics).toContainEqual(["app", "VerificationFailed", 1]);
  });
});

// An Aurora cluster's snapshots are read through the cluster API (StorageEncrypted, the cluster attributes), and held
// to the same rules.
describe("backup-verify of an Aurora cluster", () => {
  const cluster: BackupConfig = {
    ...config,
    databases: [{ name: "app", identifier: "app-db", kind: "cluster" }],
  };
  it("passes a fresh, encrypted, private cluster snapshot with its DR copy", async () => {
    const t = setup(2, { drAgeHours: 1, cluster: true });
    const r = await runVerify(cluster, t.deps);
    expect(r.databases[0]).toMatchObject({ ok: true, problems: [] });
  });
  it.each([
    ["not encrypted", { encrypted: false }, ["newest snapshot snap-1 is not encrypted"]],
    ["shared publicly", { public: true }, ["newest snapshot snap-1 is shared publicly"]],
  ])("fails a cluster snapshot %s", async (_label, opts, problems) => {
    const t = setup(2, { drAgeHours: 1, cluster: true, ...opts });
    const r = await runVerify(cluster, t.deps);
    expect(r.databases[0]).toMatchObject({ ok: false, problems });
  });
  it("finds no snapshot when the cluster has only instance snapshots of the same name", async () => {
    const t = setup(2, { drAgeHours: 1 });
    const r = await runVerify(cluster, t.deps);
    expect(r.databases[0]!.problems).toEqual(["no available snapshot", "no available DR copy in eu-west-1"]);
  });
});
