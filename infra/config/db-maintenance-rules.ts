// Rules of `maintenance:databaseMaintenance` that read other sections: the backup that guards rewriting tasks
// (backups.databases[] with a dump) and the maintenance window a heavy task runs in (monitoring.maintenanceWindows),
// whose schedule must fire inside that window.
import { nextRuns } from "../core/schedule";
import { inWindow } from "../../lambdas/db-maintenance/window";
import type { BackupsConfig } from "./backups";
import { fargateHeartbeatTooLong, type JobsConfig } from "./base";
import { type DatabaseMaintenanceConfig, runLimitSeconds } from "./db-maintenance";
import type { MonitoringConfig } from "./monitoring";

interface Sections {
  readonly app: { readonly timezone: string };
  readonly jobs?: JobsConfig | undefined;
  readonly backups?: BackupsConfig | undefined;
  readonly monitoring?: MonitoringConfig | undefined;
  readonly databaseMaintenance?: DatabaseMaintenanceConfig | undefined;
}

/** Runs of a heavy task's schedule checked against its window: a year of weekly runs from a fixed date. */
const CHECKED_RUNS = 53;

export function maintenanceTaskProblems(cfg: Sections): string[] {
  const problems: string[] = [];
  const windows = cfg.monitoring?.maintenanceWindows ?? [];
  for (const [i, d] of (cfg.databaseMaintenance?.databases ?? []).entries()) {
    const key = `databaseMaintenance.databases[${i}]`;
    if (d.backupOf !== undefined) {
      const b = cfg.backups?.databases.find((x) => x.name === d.backupOf);
      if (!b?.dump)
        problems.push(
          `${key}.backupOf: "${d.backupOf}" is not a backups.databases[] entry with a dump block (${
            (cfg.backups?.databases ?? [])
              .filter((x) => x.dump)
              .map((x) => x.name)
              .join(", ") || "none has one"
          }); only verified dumps can guard a task that rewrites data`,
        );
      else if (b.engine !== d.engine)
        problems.push(`${key}.backupOf: "${d.backupOf}" is ${b.engine}, this database is ${d.engine}`);
    }
    const tz = d.timezone ?? cfg.app.timezone;
    if (
      d.runsOn === "fargate" &&
      cfg.jobs &&
      fargateHeartbeatTooLong(
        d.tasks.map((t) => ({ name: t.task.name, expression: t.schedule, timezone: tz })),
        cfg.jobs,
        runLimitSeconds(d),
      )
    )
      problems.push(
        `${key}.tasks: on Fargate a task must run at least about every 6 days (the job's heartbeat alarm looks back at most 7 days, and an hourly age report would be an hourly task); add a frequent light task (such as a daily check), or use runsOn: lambda`,
      );
    for (const [j, t] of d.tasks.entries()) {
      if (t.window === undefined) continue;
      const w = windows.find((x) => x.name === t.window);
      if (!w) {
        problems.push(
          `${key}.tasks[${j}].window: "${t.window}" is not one of monitoring.maintenanceWindows (${windows.map((x) => x.name).join(", ") || "none declared"})`,
        );
        continue;
      }
      const window = { ...w, timezone: w.timezone ?? cfg.app.timezone };
      const outside = nextRuns(t.schedule, tz, new Date(Date.UTC(2030, 0, 1)), CHECKED_RUNS).find(
        (at) => !inWindow(at, window),
      );
      if (outside)
        problems.push(
          `${key}.tasks[${j}].schedule: ${t.schedule} (${tz}) fires at ${outside.toISOString()}, outside window ${w.name} (${w.day} ${w.start}-${w.end} ${window.timezone}), where the task would refuse; schedule it inside the window`,
        );
    }
  }
  return problems;
}
