// The backups capability (`maintenance:backups`): RDS snapshots and logical dumps of the stack's databases, a summary
// line per database (or NO AUTOMATED BACKUP), and their jobs, ages and dump sizes on the dashboard.
import type * as pulumi from "@pulumi/pulumi";
import { capability, type DumpStore, jobComponentArgs, type SharedPieces } from "../capability";
import type { BackupsConfig, DrillDesign } from "../config/backups";
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
    const zipJobs: string[] = [];
    const drillLines: string[] = [];
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
      zipJobs.push(...logical.zipJobs);
      const design = drillNotes(config, logical.drillDesigns, shared.timezone);
      drillLines.push(...design.notes);
      warnings.push(...design.warnings);
    }
    const hasRds = config.databases.some((d) => d.kind === "rds-instance" || d.kind === "aurora-cluster");
    return {
      warnings,
      notes: [...backupNotes(config, snapshots, shared), ...drillLines],
      dashboard: {
        jobs: [
          ...[...(hasRds ? ["backup", "backup-verify"] : []), ...zipJobs].map((job) => ({ job })),
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

const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)}h`;

/**
 * Per drilled database: what its backup design can reach beside the runbook's targets (the worst RPO, the expected
 * RTO), and a warning wherever the dumps cannot meet a target, naming what covers the RPO instead.
 */
export function drillNotes(
  config: BackupsConfig,
  designs: Readonly<Record<string, DrillDesign>>,
  appTimezone: string,
): { notes: string[]; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  for (const d of config.databases) {
    const drill = d.dump?.drill;
    const design = designs[d.name];
    if (!drill || !design) continue;
    const rpo = design.rpoMet
      ? `worst RPO ${hours(design.worstRpoSeconds)} meets the runbook's ${drill.rpoHours}h`
      : `worst RPO ${hours(design.worstRpoSeconds)} does NOT meet the runbook's ${drill.rpoHours}h (covered by: ${drill.pointInTimeRecovery}; the drill's data-age alarm is at the dumps' ${design.dataAgeAlarmHours}h)`;
    const rto = `expected RTO ~${hours(design.expectedRtoSeconds)} for ${drill.dumpGiB} GiB (runbook ${drill.rtoHours}h)`;
    notes.push(
      `database ${d.name}: restore drill ${drill.expression} ${d.dump!.timezone ?? appTimezone} of the newest verified ${drill.tier} dump into ${d.engine} ${drill.majorVersion} (${design.ephemeralStorageGiB} GiB disk); ${rpo}; ${rto}`,
    );
    if (!design.rpoMet)
      warnings.push(
        `database ${d.name}: its dumps cannot give RPO < ${drill.rpoHours}h (at worst ${hours(design.worstRpoSeconds)}); the stack relies on ${drill.pointInTimeRecovery} for that, and the drill does not claim it`,
      );
    if (!design.rtoMet)
      warnings.push(
        `database ${d.name}: a restore of a ${drill.dumpGiB} GiB dump is estimated at ${hours(design.expectedRtoSeconds)}, over the runbook's RTO of ${drill.rtoHours}h; the drill will measure it`,
      );
  }
  return { notes, warnings };
}
