// A stateful RDS stand-in on aws-sdk-client-mock: snapshots (of DB instances and of Aurora clusters) live in memory,
// describes paginate like RDS (Marker).
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBClusterSnapshotAlreadyExistsFault,
  DBSnapshotAlreadyExistsFault,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
  type Tag,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";

export interface FakeSnapshot {
  id: string;
  /** The DB instance identifier, or the Aurora cluster identifier when `cluster` is set. */
  instance: string;
  cluster?: boolean;
  /** Unset for a snapshot RDS lists without SnapshotCreateTime (one whose creation has not started). */
  createdAt: Date | undefined;
  status: string;
  tags: Tag[];
  kmsKeyId?: string;
  encrypted?: boolean;
  public?: boolean;
  /** "automated" for RDS's own daily snapshots (which copy the instance's tags when CopyTagsToSnapshot is on). */
  type?: "manual" | "automated";
}

/** Installs a fake RDS on one client instance; `snapshots` is its state, `pageSize` the describe page size. */
export interface FakeRdsOptions {
  now: () => Date;
  pageSize?: number;
  /** List snapshots in the order they were added instead of by id (RDS promises no order). */
  unsorted?: boolean;
  kmsKeyId?: string;
  /** The region copies come from (for a DR fake). */
  source?: { snapshots: FakeSnapshot[]; arn: (id: string) => string; clusterArn: (id: string) => string };
}

export function fakeRds(client: RDSClient, region: string, opts: FakeRdsOptions) {
  const mock = mockClient(client);
  const snapshots: FakeSnapshot[] = [];
  const arn = (id: string) => `arn:aws:rds:${region}:123456789012:snapshot:${id}`;
  mock.on(CreateDBSnapshotCommand).callsFake((input) => {
    if (snapshots.some((s) => s.id === input.DBSnapshotIdentifier)) {
      throw new DBSnapshotAlreadyExistsFault({
        message: `DBSnapshot ${input.DBSnapshotIdentifier} already exists`,
        $metadata: {},
      });
    }
    snapshots.push({
      id: input.DBSnapshotIdentifier,
      instance: input.DBInstanceIdentifier,
      createdAt: opts.now(),
      status: "creating",
      tags: input.Tags ?? [],
      kmsKeyId: opts.kmsKeyId,
      encrypted: true,
    });
    return { DBSnapshot: { DBSnapshotIdentifier: input.DBSnapshotIdentifier } };
  });
  mock.on(CopyDBSnapshotCommand).callsFake((input) => {
    if (snapshots.some((s) => s.id === input.TargetDBSnapshotIdentifier)) {
      throw new DBSnapshotAlreadyExistsFault({ message: "exists", $metadata: {} });
    }
    const source = opts.source?.snapshots.find(
      (s) => opts.source?.arn(s.id) === input.SourceDBSnapshotIdentifier,
    );
    if (!source) throw new Error(`source snapshot ${input.SourceDBSnapshotIdentifier} not found`);
    const instance = source.instance;
    snapshots.push({
      id: input.TargetDBSnapshotIdentifier,
      instance,
      createdAt: opts.now(),
      status: "copying",
      tags: input.Tags ?? [],
      kmsKeyId: input.KmsKeyId,
      encrypted: true,
    });
    return {};
  });
  mock.on(DescribeDBSnapshotsCommand).callsFake((input) => {
    const matching = snapshots
      .filter((s) => !s.cluster && (!input.DBInstanceIdentifier || s.instance === input.DBInstanceIdentifier))
      // Without SnapshotType, RDS lists automated snapshots as well as manual ones.
      .filter((s) => !input.SnapshotType || (s.type ?? "manual") === input.SnapshotType)
      .sort((a, b) => (opts.unsorted ? 0 : a.id < b.id ? -1 : 1));
    const start = input.Marker ? Number(input.Marker) : 0;
    const size = opts.pageSize ?? 100;
    const page = matching.slice(start, start + size);
    return {
      DBSnapshots: page.map((s) => ({
        DBSnapshotIdentifier: s.id,
        DBSnapshotArn: arn(s.id),
        DBInstanceIdentifier: s.instance,
        SnapshotCreateTime: s.createdAt,
        Status: s.status,
        Encrypted: s.encrypted ?? true,
        KmsKeyId: s.kmsKeyId,
        TagList: s.tags,
        SnapshotType: s.type ?? "manual",
      })),
      ...(start + size < matching.length ? { Marker: String(start + size) } : {}),
    };
  });
  mock.on(DeleteDBSnapshotCommand).callsFake((input) => {
    const i = snapshots.findIndex((s) => !s.cluster && s.id === input.DBSnapshotIdentifier);
    if (i < 0) throw new Error(`no snapshot ${input.DBSnapshotIdentifier}`);
    snapshots.splice(i, 1);
    return {};
  });
  mock.on(DescribeDBSnapshotAttributesCommand).callsFake((input) => {
    const s = snapshots.find((x) => x.id === input.DBSnapshotIdentifier);
    return {
      DBSnapshotAttributesResult: {
        DBSnapshotIdentifier: input.DBSnapshotIdentifier,
        DBSnapshotAttributes: [{ AttributeName: "restore", AttributeValues: s?.public ? ["all"] : [] }],
      },
    };
  });
  mock.on(DescribeDBClusterSnapshotAttributesCommand).callsFake((input) => {
    const s = snapshots.find((x) => x.cluster && x.id === input.DBClusterSnapshotIdentifier);
    return {
      DBClusterSnapshotAttributesResult: {
        DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier,
        DBClusterSnapshotAttributes: [
          { AttributeName: "restore", AttributeValues: s?.public ? ["all"] : [] },
        ],
      },
    };
  });
  // Aurora cluster snapshots: the same store, the cluster commands and their own fault and ARN shape.
  const clusterArn = (id: string) => `arn:aws:rds:${region}:123456789012:cluster-snapshot:${id}`;
  const clusterSnapshots = () => snapshots.filter((s) => s.cluster);
  mock.on(CreateDBClusterSnapshotCommand).callsFake((input) => {
    if (clusterSnapshots().some((s) => s.id === input.DBClusterSnapshotIdentifier)) {
      throw new DBClusterSnapshotAlreadyExistsFault({ message: "exists", $metadata: {} });
    }
    snapshots.push({
      id: input.DBClusterSnapshotIdentifier,
      instance: input.DBClusterIdentifier,
      cluster: true,
      createdAt: opts.now(),
      status: "creating",
      tags: input.Tags ?? [],
      kmsKeyId: opts.kmsKeyId,
      encrypted: true,
    });
    return {};
  });
  mock.on(CopyDBClusterSnapshotCommand).callsFake((input) => {
    if (clusterSnapshots().some((s) => s.id === input.TargetDBClusterSnapshotIdentifier)) {
      throw new DBClusterSnapshotAlreadyExistsFault({ message: "exists", $metadata: {} });
    }
    const source = opts.source?.snapshots.find(
      (s) => s.cluster && opts.source?.clusterArn(s.id) === input.SourceDBClusterSnapshotIdentifier,
    );
    if (!source) throw new Error(`source snapshot ${input.SourceDBClusterSnapshotIdentifier} not found`);
    snapshots.push({
      id: input.TargetDBClusterSnapshotIdentifier,
      instance: source.instance,
      cluster: true,
      createdAt: opts.now(),
      status: "copying",
      tags: input.Tags ?? [],
      kmsKeyId: input.KmsKeyId,
      encrypted: true,
    });
    return {};
  });
  mock.on(DescribeDBClusterSnapshotsCommand).callsFake((input) => {
    const matching = clusterSnapshots()
      .filter((s) => !input.DBClusterIdentifier || s.instance === input.DBClusterIdentifier)
      .filter((s) => !input.SnapshotType || (s.type ?? "manual") === input.SnapshotType)
      .sort((a, b) => (opts.unsorted ? 0 : a.id < b.id ? -1 : 1));
    const start = input.Marker ? Number(input.Marker) : 0;
    const size = opts.pageSize ?? 100;
    return {
      DBClusterSnapshots: matching.slice(start, start + size).map((s) => ({
        DBClusterSnapshotIdentifier: s.id,
        DBClusterSnapshotArn: clusterArn(s.id),
        DBClusterIdentifier: s.instance,
        SnapshotCreateTime: s.createdAt,
        Status: s.status,
        StorageEncrypted: s.encrypted ?? true,
        KmsKeyId: s.kmsKeyId,
        TagList: s.tags,
        SnapshotType: s.type ?? "manual",
      })),
      ...(start + size < matching.length ? { Marker: String(start + size) } : {}),
    };
  });
  mock.on(DeleteDBClusterSnapshotCommand).callsFake((input) => {
    const i = snapshots.findIndex((s) => s.cluster && s.id === input.DBClusterSnapshotIdentifier);
    if (i < 0) throw new Error(`no cluster snapshot ${input.DBClusterSnapshotIdentifier}`);
    snapshots.splice(i, 1);
    return {};
  });
  return { mock, snapshots, arn, clusterArn };
}

/** Tags this stack puts on its snapshots. */
export const ourTags = (stack: string, database: string, tier = "daily"): Tag[] => [
  { Key: "managed-by", Value: "maintenance-stack" },
  { Key: "stack", Value: stack },
  { Key: "database", Value: database },
  { Key: "tier", Value: tier },
];
