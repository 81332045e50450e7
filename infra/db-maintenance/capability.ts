// The database maintenance capability (`maintenance:databaseMaintenance`): per database its tasks' jobs, schedules
// and alarms, a summary line per task with its next local run, and the jobs on the dashboard. Heavy tasks take their
// windows from monitoring.maintenanceWindows; rewriting tasks read the dumps' buckets the backups capability reported.
import { capability, jobComponentArgs } from "../capability";
import { nextRuns } from "../core/schedule";
import type { MaintenanceWindow } from "../../lambdas/db-maintenance/config";
import { DatabaseMaintenance, type MaintainedDatabase } from "./database-maintenance";

export const databaseMaintenance = capability({
  section: "databaseMaintenance",
  declare(config, shared, { cfg, earlier }) {
    const store = earlier.find((r) => r.dumpStore)?.dumpStore;
    const windows = cfg.monitoring?.maintenanceWindows ?? [];
    const databases: MaintainedDatabase[] = config.databases.map((d) => {
      const dump = cfg.backups?.databases.find((b) => b.name === d.backupOf)?.dump;
      // loadConfig checked backupOf names a dump database, so the backups capability declared its buckets.
      if (d.backupOf && (!dump || !store))
        throw new Error(`databaseMaintenance ${d.name}: no dumps for backupOf ${d.backupOf}`);
      const resolved: Record<string, MaintenanceWindow> = {};
      for (const t of d.tasks) {
        const w = t.window && windows.find((x) => x.name === t.window);
        if (w) resolved[w.name] = { ...w, timezone: w.timezone ?? shared.timezone };
      }
      return {
        config: d,
        timezone: d.timezone ?? shared.timezone,
        windows: resolved,
        ...(d.backupOf && dump && store
          ? {
              backup: {
                database: d.backupOf,
                rpoHours: dump.rpoHours ?? cfg.backups!.rpoHours,
                tiers: Object.keys(dump.tiers),
                bucketNames: store.bucketNames,
                bucketArns: store.bucketArns,
              },
            }
          : {}),
      };
    });
    const component = new DatabaseMaintenance(`${shared.namePrefix}-dbmaint`, {
      ...jobComponentArgs(shared),
      protect: shared.protect,
      databases,
    });
    return {
      warnings: component.warnings,
      notes: databases.flatMap((d) => [...runnerNote(d), ...maintenanceNotes(d, new Date())]),
      dashboard: { jobs: component.jobs.map((job) => ({ job })) },
    };
  },
});

/** A Fargate database's line: where its tasks run and the limits that stop them. */
function runnerNote(d: MaintainedDatabase): string[] {
  const c = d.config;
  if (c.runsOn !== "fargate") return [];
  return [
    `maintenance ${c.name}: runs on Fargate (${c.fargate.cpu} CPU, ${c.fargate.memoryMb} MB), stops itself after ${c.fargate.timeoutMinutes} min; statement_timeout ${c.session.statementTimeoutSeconds}s; one run at a time by the database's run lock`,
  ];
}

/** One line per task: what it does, when (its next run in the database's local time), its window and guard. */
function maintenanceNotes(d: MaintainedDatabase, now: Date): string[] {
  return d.config.tasks.map((t) => {
    const [next] = nextRuns(t.schedule, d.timezone, now, 1);
    const local = next
      ? next.toLocaleString("sv-SE", { timeZone: d.timezone, dateStyle: "short", timeStyle: "short" })
      : "never";
    const extras = [
      t.window ? `window ${t.window}` : "",
      d.backup && ["archive", "purge", "rebuild"].includes(t.task.kind)
        ? `only while ${d.backup.database}'s verified dump is within ${d.backup.rpoHours}h`
        : "",
    ].filter(Boolean);
    return `maintenance ${d.config.name}: ${t.task.name} (${t.task.kind}) ${t.schedule} ${d.timezone}, next ${local}${extras.length ? `; ${extras.join("; ")}` : ""}`;
  });
}
