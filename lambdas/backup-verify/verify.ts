// Verifies each database's backups: newest snapshot available, encrypted with the expected key, not public, younger
// than the RPO, and a recent DR copy; emits per-database metrics. One bad database never hides the others.
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  type RDSClient,
} from "@aws-sdk/client-rds";
import type { BackupConfig, DatabaseRef } from "../backup/config";
import type { Log } from "../backup/job";
import { isOurs, listSnapshots, type Snapshot } from "../backup/snapshots";

export interface DatabaseVerdict {
  readonly database: string;
  readonly ok: boolean;
  readonly problems: string[];
  readonly newestSnapshotAgeSeconds: number | null;
  readonly snapshotsKept: number;
  readonly drCopyAgeSeconds: number | null;
}

export interface MetricSink {
  /** One datapoint with the Database dimension. */
  put(database: string, name: string, value: number, unit: "Seconds" | "Count"): void;
}

export interface VerifyDeps {
  readonly primary: RDSClient;
  readonly dr?: RDSClient;
  readonly log: Log;
  readonly metrics: MetricSink;
  readonly now: () => Date;
}

const newest = (xs: readonly Snapshot[]) =>
  xs
    .filter((s) => s.status === "available" && s.createdAt)
    .sort((a, b) => b.createdAt!.getTime() - a.createdAt!.getTime())[0];

/** KMS key ids come back as ARNs; compare the key part so an alias-free ARN and a key ARN match. */
const sameKey = (a: string | undefined, b: string) =>
  a !== undefined && (a === b || a.split("/").pop() === b.split("/").pop());

async function isPublic(client: RDSClient, db: DatabaseRef, id: string): Promise<boolean> {
  const attrs =
    db.kind === "instance"
      ? (await client.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id })))
          .DBSnapshotAttributesResult?.DBSnapshotAttributes
      : (
          await client.send(
            new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: id }),
          )
        ).DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes;
  return (attrs ?? []).some(
    (a) => a.AttributeName === "restore" && (a.AttributeValues ?? []).includes("all"),
  );
}

async function verifyDatabase(
  db: DatabaseRef,
  config: BackupConfig,
  deps: VerifyDeps,
): Promise<DatabaseVerdict> {
  const problems: string[] = [];
  const now = deps.now().getTime();
  const ours = (await listSnapshots(deps.primary, db)).filter((s) => isOurs(s, config.stack, db.name));
  const latest = newest(ours);
  let age: number | null = null;
  if (!latest) {
    problems.push("no available snapshot");
  } else {
    age = Math.round((now - latest.createdAt!.getTime()) / 1000);
    if (age > config.rpoHours * 3600)
      problems.push(
        `newest snapshot ${latest.id} is ${Math.round(age / 3600)}h old (RPO ${config.rpoHours}h)`,
      );
    if (!latest.encrypted) problems.push(`newest snapshot ${latest.id} is not encrypted`);
    else if (!sameKey(latest.kmsKeyId, config.kmsKeyArn))
      problems.push(`newest snapshot ${latest.id} is encrypted with ${latest.kmsKeyId}, not the backups key`);
    if (await isPublic(deps.primary, db, latest.id))
      problems.push(`newest snapshot ${latest.id} is shared publicly`);
  }
  let drAge: number | null = null;
  if (config.dr && deps.dr) {
    const copies = (await listSnapshots(deps.dr, db)).filter((s) => isOurs(s, config.stack, db.name));
    const copy = newest(copies);
    if (!copy) problems.push(`no available DR copy in ${config.dr.region}`);
    else {
      drAge = Math.round((now - copy.createdAt!.getTime()) / 1000);
      if (drAge > config.drFreshnessHours * 3600)
        problems.push(
          `newest DR copy ${copy.id} is ${Math.round(drAge / 3600)}h old (bound ${config.drFreshnessHours}h)`,
        );
      if (!sameKey(copy.kmsKeyId, config.dr.kmsKeyArn))
        problems.push(`DR copy ${copy.id} is not encrypted with the DR key`);
    }
  }
  return {
    database: db.name,
    ok: problems.length === 0,
    problems,
    newestSnapshotAgeSeconds: age,
    snapshotsKept: ours.length,
    drCopyAgeSeconds: drAge,
  };
}

/** Verifies every database and emits NewestSnapshotAgeSeconds, SnapshotsKept, DrCopyAgeSeconds, VerificationFailed. */
export async function runVerify(
  config: BackupConfig,
  deps: VerifyDeps,
): Promise<{ databases: DatabaseVerdict[] }> {
  const databases: DatabaseVerdict[] = [];
  for (const db of config.databases) {
    let verdict: DatabaseVerdict;
    try {
      verdict = await verifyDatabase(db, config, deps);
    } catch (e) {
      verdict = {
        database: db.name,
        ok: false,
        problems: [`verification could not run: ${(e as Error).message}`],
        newestSnapshotAgeSeconds: null,
        snapshotsKept: 0,
        drCopyAgeSeconds: null,
      };
    }
    // A missing age is not emitted: the age alarm treats missing data as breaching.
    if (verdict.newestSnapshotAgeSeconds !== null)
      deps.metrics.put(db.name, "NewestSnapshotAgeSeconds", verdict.newestSnapshotAgeSeconds, "Seconds");
    if (verdict.drCopyAgeSeconds !== null)
      deps.metrics.put(db.name, "DrCopyAgeSeconds", verdict.drCopyAgeSeconds, "Seconds");
    deps.metrics.put(db.name, "SnapshotsKept", verdict.snapshotsKept, "Count");
    deps.metrics.put(db.name, "VerificationFailed", verdict.ok ? 0 : 1, "Count");
    if (verdict.ok) deps.log.info("backups verified", { ...verdict });
    else deps.log.error("backup verification failed", { ...verdict });
    databases.push(verdict);
  }
  return { databases };
}
