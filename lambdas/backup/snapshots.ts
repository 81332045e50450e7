// RDS manual snapshots of DB instances and Aurora clusters behind one interface: list (paginated), create, copy, delete.
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBClusterSnapshotAlreadyExistsFault,
  DBSnapshotAlreadyExistsFault,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  type RDSClient,
  type Tag,
} from "@aws-sdk/client-rds";
import type { DatabaseRef } from "./config";

export const MANAGED_BY = { key: "managed-by", value: "maintenance-stack" } as const;

export interface Snapshot {
  readonly id: string;
  readonly arn: string;
  readonly createdAt: Date | undefined;
  readonly status: string;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

const tagMap = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

/** Identifier of the snapshot for one schedule slot: the same slot always gives the same name (RDS identifier rules). */
export function snapshotId(stack: string, database: string, slot: Date): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const stamp = slot.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return `mstack-${clean(stack)}-${clean(database)}-${stamp}`
    .replace(/-{2,}/g, "-")
    .replace(/-$/, "")
    .slice(0, 255);
}

/** Tags that mark a snapshot as this stack's, for this database. */
export function ownershipTags(stack: string, database: string, tier: string): Tag[] {
  return [
    { Key: MANAGED_BY.key, Value: MANAGED_BY.value },
    { Key: "stack", Value: stack },
    { Key: "database", Value: database },
    { Key: "tier", Value: tier },
  ];
}

export function isOurs(s: Snapshot, stack: string, database: string): boolean {
  return (
    s.tags[MANAGED_BY.key] === MANAGED_BY.value && s.tags.stack === stack && s.tags.database === database
  );
}

/** Every manual snapshot of the database in the client's region, across all pages. */
export async function listSnapshots(client: RDSClient, db: DatabaseRef): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  if (db.kind === "instance") {
    for await (const page of paginateDescribeDBSnapshots(
      { client },
      { DBInstanceIdentifier: db.identifier, SnapshotType: "manual" },
    )) {
      for (const s of page.DBSnapshots ?? []) {
        out.push({
          id: s.DBSnapshotIdentifier ?? "",
          arn: s.DBSnapshotArn ?? "",
          createdAt: s.SnapshotCreateTime,
          status: s.Status ?? "unknown",
          encrypted: s.Encrypted ?? false,
          kmsKeyId: s.KmsKeyId,
          tags: tagMap(s.TagList),
        });
      }
    }
  } else {
    for await (const page of paginateDescribeDBClusterSnapshots(
      { client },
      { DBClusterIdentifier: db.identifier, SnapshotType: "manual" },
    )) {
      for (const s of page.DBClusterSnapshots ?? []) {
        out.push({
          id: s.DBClusterSnapshotIdentifier ?? "",
          arn: s.DBClusterSnapshotArn ?? "",
          createdAt: s.SnapshotCreateTime,
          status: s.Status ?? "unknown",
          encrypted: s.StorageEncrypted ?? false,
          kmsKeyId: s.KmsKeyId,
          tags: tagMap(s.TagList),
        });
      }
    }
  }
  return out;
}

/** Creates the slot's snapshot; an existing one with that identifier means a retry already made it. */
export async function createSnapshot(
  client: RDSClient,
  db: DatabaseRef,
  id: string,
  tags: Tag[],
): Promise<"created" | "exists"> {
  try {
    if (db.kind === "instance") {
      await client.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: db.identifier,
          DBSnapshotIdentifier: id,
          Tags: tags,
        }),
      );
    } else {
      await client.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: db.identifier,
          DBClusterSnapshotIdentifier: id,
          Tags: tags,
        }),
      );
    }
    return "created";
  } catch (e) {
    if (e instanceof DBSnapshotAlreadyExistsFault || e instanceof DBClusterSnapshotAlreadyExistsFault)
      return "exists";
    throw e;
  }
}

/**
 * Starts a cross-region copy into the DR client's region, encrypted with the DR key; copies take hours, so no wait.
 * Outside GovCloud a cross-region copy needs only the source ARN and the target key (PreSignedUrl/SourceRegion apply
 * to GovCloud only: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html).
 */
export async function copySnapshot(
  drClient: RDSClient,
  db: DatabaseRef,
  source: Snapshot,
  drKmsKeyArn: string,
  tags: Tag[],
): Promise<"started" | "exists"> {
  try {
    if (db.kind === "instance") {
      await drClient.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source.arn,
          TargetDBSnapshotIdentifier: source.id,
          KmsKeyId: drKmsKeyArn,
          Tags: tags,
        }),
      );
    } else {
      await drClient.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: source.arn,
          TargetDBClusterSnapshotIdentifier: source.id,
          KmsKeyId: drKmsKeyArn,
          Tags: tags,
        }),
      );
    }
    return "started";
  } catch (e) {
    if (e instanceof DBSnapshotAlreadyExistsFault || e instanceof DBClusterSnapshotAlreadyExistsFault)
      return "exists";
    throw e;
  }
}

export async function deleteSnapshot(client: RDSClient, db: DatabaseRef, id: string): Promise<void> {
  if (db.kind === "instance") await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
  else await client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }));
}
