// The backups capability (`maintenance:backups`): RDS snapshots and logical dumps of the stack's databases, a summary
// line per database (or NO AUTOMATED BACKUP), and their jobs, ages and dump sizes on the dashboard.
import type * as pulumi from "@pulumi/pulumi";
import { capability, type DumpStore, jobComponentArgs, type SharedPieces } from "../capability";
import type { BackupsConfig } from "../config/backups";
import { DatabaseBackups } from "./database-backups";
import { dumpDatabases, LogicalBackups } from "./logical-backups";

export const backups = capability({
  section: "backups",
  declare(config, shared) {
    // Snapshots and dumps of the stack's databases share the job defaults, the config and the backups key.
    const backupArgs = {
      ...jobComponentArgs(shared),
      region: shared.region,
      timezone: shared.timezone,
      config,
      kmsKeyArn: shared.keys.arn("backups"),
    };
    const snapshots = new DatabaseBackups(`${shared.namePrefix}-backups`, {
      ...backupArgs,
      ...(config.copyToDr && shared.drRegion && shared.keys.drBackupsKeyArn
        ? { dr: { region: shared.drRegion, kmsKeyArn: shared.keys.drBackupsKeyArn } }
        : {}),
    });
    const warnings = [...snapshots.warnings, ...snapshots.jobWarnings()];
    const dumps = dumpDatabases(config);
    const dumpJobs: string[] = [];
    let dumpStore: DumpStore | undefined;
    if (dumps.length > 0) {
      const replication = dumpReplicationOf(config, shared);
      const logical = new LogicalBackups(`${shared.namePrefix}-dumps`, {
        ...backupArgs,
        protect: shared.protect,
        ...(replication ? { replication } : {}),
      });
      warnings.push(...logical.warnings);
      dumpJobs.push(...logical.lambdaJobs);
      dumpStore = { bucketNames: logical.bucketNames, bucketArns: logical.bucketArns };
    }
    const hasRds = config.databases.some((d) => d.kind === "rds-instance" || d.kind === "aurora-cluster");
    return {
      warnings,
      notes: backupNotes(config, snapshots, shared),
      dashboard: {
        jobs: [
          ...(hasRds ? ["backup", "backup-verify"] : []).map((job) => ({ job })),
          ...dumpJobs.map((job) => ({ job, image: true })),
        ],
        databases: hasRds
          ? config.databases
              .filter((d) => d.kind !== "self-hosted" && d.kind !== "supabase")
              .map((d) => d.name)
          : [],
        dumpDatabases: dumps.map((d) => d.name),
      },
      ...(dumpStore ? { dumpStore } : {}),
    };
  },
});

/**
 * Whether the dumps replicate to the DR region: as `backups.dumpReplication.enabled` says, by default in a prod stack
 * (its buckets are protected) that names a DR region. A stack without a DR region never replicates.
 */
export function dumpReplicationOf(
  config: BackupsConfig,
  shared: Pick<SharedPieces, "protect" | "drRegion" | "keys">,
): { drRegion: string; drKmsKeyArn: pulumi.Output<string>; maxLatencyMinutes?: number } | undefined {
  const r = config.dumpReplication;
  const on = r?.enabled ?? shared.protect;
  if (!on || !shared.drRegion || !shared.keys.drBackupsKeyArn) return undefined;
  return {
    drRegion: shared.drRegion,
    drKmsKeyArn: shared.keys.drBackupsKeyArn,
    ...(r?.maxLatencyMinutes !== undefined ? { maxLatencyMinutes: r.maxLatencyMinutes } : {}),
  };
}

/** Per database: its dump tiers, its snapshot schedule and steady state, or that it has no automated backup. */
function backupNotes(config: BackupsConfig, snapshots: DatabaseBackups, shared: SharedPieces): string[] {
  const replicated = dumpReplicationOf(config, shared) !== undefined;
  const notes: string[] = [];
  const r = config.retention ?? {};
  const policy = Object.entries(r)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const dumps = dumpDatabases(config);
  for (const b of snapshots.summary) {
    const dump = dumps.find((d) => d.name === b.database);
    if (dump) {
      const tiers = Object.entries(dump.dump.tiers)
        .map(
          ([tier, t]) =>
            `${tier} ${t!.expression} ${dump.dump.timezone ?? shared.timezone} kept ${t!.retention}d${t!.objectLock ? ` (Object Lock ${t!.objectLock})` : ""}`,
        )
        .join("; ");
      notes.push(
        `database ${b.database} (${b.kind}): logical dump on ${dump.dump.runsOn}: ${tiers}; verified hourly, RPO ${dump.dump.rpoHours ?? config.rpoHours}h${replicated ? `; replicated to ${shared.drRegion}${config.dumpReplication?.maxLatencyMinutes !== undefined ? ` within ${config.dumpReplication.maxLatencyMinutes} min (Replication Time Control)` : ""}` : ""}`,
      );
    }
    if (b.steadyStateSnapshots !== null) {
      notes.push(
        `database ${b.database} (${b.kind}): ${b.schedules.join("; ")}; retention ${policy} floor ${config.keepLastFloor}; steady state ~${b.steadyStateSnapshots} snapshots${config.copyToDr ? ` (and as many DR copies in ${shared.drRegion})` : ""}`,
      );
    } else if (!dump) {
      notes.push(`database ${b.database} (${b.kind}): NO AUTOMATED BACKUP`);
    }
  }
  return notes;
}
