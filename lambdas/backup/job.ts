// The backup run: per database, snapshot the slot, start the DR copy, prune both regions safely; one bad database
// never stops the others, and every pruning decision is logged with its reason.
import type { Log } from "../shared/log";
import { refuseFutureSlot } from "../shared/slot";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { BackupConfig, BackupEvent, DatabaseRef } from "./config";
import { planRetention } from "./retention";
import {
  copySnapshot,
  createSnapshot,
  deleteSnapshot,
  isOurs,
  listSnapshots,
  ownershipTags,
  type Snapshot,
  snapshotId,
} from "./snapshots";

export type { Log } from "../shared/log";

export interface PruneOutcome {
  readonly region: string;
  readonly removed: string[];
  readonly wouldRemove: string[];
  readonly kept: number;
  readonly refused?: string;
}

export interface DatabaseOutcome {
  readonly database: string;
  readonly snapshot?: { id: string; result: "created" | "exists" };
  readonly copy?: { id: string; result: "started" | "exists" | "skipped"; reason?: string };
  readonly prune: PruneOutcome[];
  readonly error?: string;
}

export interface BackupDeps {
  readonly primary: RDSClient;
  readonly dr?: RDSClient;
  readonly log: Log;
  readonly now: () => Date;
}

const HOUR = 3_600_000;

/**
 * Decides and (unless dry-run) deletes old snapshots in one region. Deletes only this stack's snapshots of this
 * database that are `available`; never the newest `keepLastFloor`; nothing at all when the newest snapshot is older
 * than the freshness bound or when there is no snapshot; at most `maxDeletes`.
 */
export async function prune(
  client: RDSClient,
  region: string,
  db: DatabaseRef,
  config: BackupConfig,
  options: { dryRun: boolean; freshnessHours: number; maxDeletes: number },
  deps: Pick<BackupDeps, "log" | "now">,
): Promise<PruneOutcome> {
  const all = await listSnapshots(client, db);
  const ours = all.filter((s) => isOurs(s, config.stack, db.name));
  for (const s of all.filter((x) => !isOurs(x, config.stack, db.name))) {
    deps.log.info("keep: not created by this stack (tag check)", {
      region,
      database: db.name,
      snapshot: s.id,
    });
  }
  const available = ours.filter((s) => s.status === "available" && s.createdAt !== undefined);
  for (const s of ours.filter((x) => !available.includes(x))) {
    deps.log.info("keep: not available", { region, database: db.name, snapshot: s.id, status: s.status });
  }
  const base = { region, removed: [] as string[], wouldRemove: [] as string[], kept: ours.length };
  if (available.length === 0) {
    deps.log.warn("prune refused: no available snapshot of ours", { region, database: db.name });
    return { ...base, refused: "no available snapshot" };
  }
  const newest = Math.max(...available.map((s) => s.createdAt!.getTime()));
  const ageHours = (deps.now().getTime() - newest) / HOUR;
  if (ageHours > options.freshnessHours) {
    deps.log.error("prune refused: newest snapshot is older than the freshness bound", {
      region,
      database: db.name,
      newestAgeHours: Math.round(ageHours),
      freshnessHours: options.freshnessHours,
    });
    return {
      ...base,
      refused: `newest snapshot is ${Math.round(ageHours)}h old (bound ${options.freshnessHours}h)`,
    };
  }
  const policy = {
    ...config.retention,
    keepLast: Math.max(config.retention.keepLast ?? 0, config.keepLastFloor),
  };
  const plan = planRetention(
    available.map((s) => ({ id: s.id, createdAt: s.createdAt! })),
    policy,
  );
  for (const k of plan.keep)
    deps.log.info("keep", { region, database: db.name, snapshot: k.id, reasons: k.reasons });
  // Defence in depth: whatever the planner says, the newest keepLastFloor snapshots stay.
  const floor = new Set(
    [...available]
      .sort((a, b) => b.createdAt!.getTime() - a.createdAt!.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, config.keepLastFloor)
      .map((s) => s.id),
  );
  const candidates = plan.remove.map((r) => r.id).filter((id) => !floor.has(id));
  // The oldest `maxDeletes` candidates, oldest first (candidates are newest first; maxDeletes 0 deletes nothing).
  const batch = candidates.slice(Math.max(0, candidates.length - options.maxDeletes)).reverse();
  for (const id of candidates.filter((id) => !batch.includes(id))) {
    deps.log.info("keep for now: over maxDeletesPerRun", {
      region,
      database: db.name,
      snapshot: id,
      maxDeletes: options.maxDeletes,
    });
  }
  const removed: string[] = [];
  const wouldRemove: string[] = [];
  for (const id of batch) {
    if (options.dryRun) {
      deps.log.info("dry run: would remove (outside every retention rule)", {
        region,
        database: db.name,
        snapshot: id,
      });
      wouldRemove.push(id);
      continue;
    }
    deps.log.info("remove: outside every retention rule", { region, database: db.name, snapshot: id });
    await deleteSnapshot(client, db, id);
    removed.push(id);
  }
  return { region, removed, wouldRemove, kept: ours.length - removed.length };
}

function newestAvailable(snapshots: readonly Snapshot[]): Snapshot | undefined {
  return snapshots
    .filter((s) => s.status === "available" && s.createdAt)
    .sort((a, b) => b.createdAt!.getTime() - a.createdAt!.getTime() || (a.id < b.id ? -1 : 1))[0];
}

async function backupDatabase(
  db: DatabaseRef,
  event: BackupEvent,
  config: BackupConfig,
  deps: BackupDeps,
): Promise<DatabaseOutcome> {
  const dryRun = config.dryRun || event.dryRun === true;
  const id = snapshotId(config.stack, db.name, new Date(event.scheduledTime));
  const tags = ownershipTags(config.stack, db.name, event.tier);
  const result = await createSnapshot(deps.primary, db, id, tags);
  deps.log.info(result === "created" ? "snapshot started" : "snapshot for this slot already exists", {
    database: db.name,
    snapshot: id,
  });

  let copy: DatabaseOutcome["copy"];
  if (config.dr && deps.dr) {
    const source = newestAvailable(
      (await listSnapshots(deps.primary, db)).filter((s) => isOurs(s, config.stack, db.name)),
    );
    if (!source) {
      copy = { id: "", result: "skipped", reason: "no available snapshot to copy yet" };
    } else {
      const r = await copySnapshot(
        deps.dr,
        db,
        source,
        config.dr.kmsKeyArn,
        ownershipTags(config.stack, db.name, event.tier),
      );
      copy = { id: source.id, result: r };
    }
    deps.log.info("dr copy", { database: db.name, ...copy });
  }

  const prunes: PruneOutcome[] = [
    await prune(
      deps.primary,
      config.region,
      db,
      config,
      { dryRun, freshnessHours: config.freshnessHours, maxDeletes: config.maxDeletesPerRun },
      deps,
    ),
  ];
  if (config.dr && deps.dr) {
    prunes.push(
      await prune(
        deps.dr,
        config.dr.region,
        db,
        config,
        { dryRun, freshnessHours: config.drFreshnessHours, maxDeletes: config.maxDeletesPerRun },
        deps,
      ),
    );
  }
  return { database: db.name, snapshot: { id, result }, ...(copy ? { copy } : {}), prune: prunes };
}

export class BackupFailedError extends Error {
  override name = "BackupFailedError";
}

/** Runs every database; throws at the end (so the run counts as failed and retries) when any database failed. */
export async function runBackup(
  event: BackupEvent,
  config: BackupConfig,
  deps: BackupDeps,
): Promise<{ databases: DatabaseOutcome[] }> {
  refuseFutureSlot(
    event.scheduledTime,
    deps.now(),
    "the snapshot would take that slot's name, so the scheduled run of that slot would find it and take none",
  );
  if ((config.dr === undefined) !== (deps.dr === undefined)) {
    throw new BackupFailedError(
      "DR region configured without a DR client (or the reverse): refusing to run half a backup",
    );
  }
  const databases: DatabaseOutcome[] = [];
  for (const db of config.databases) {
    try {
      databases.push(await backupDatabase(db, event, config, deps));
    } catch (e) {
      deps.log.error("database backup failed", { database: db.name, error: (e as Error).message });
      databases.push({ database: db.name, prune: [], error: (e as Error).message });
    }
  }
  const failed = databases.filter((d) => d.error);
  if (failed.length) {
    throw new BackupFailedError(
      `backup failed for ${failed.map((d) => `${d.database} (${d.error})`).join(", ")}`,
    );
  }
  return { databases };
}
