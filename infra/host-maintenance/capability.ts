// The host maintenance capability (`maintenance:hosts`): SSM Maintenance Windows running each host's chores and the
// WAL base backups, the hosts' roles, the failure rule, and WAL archiving's hourly check; a summary line per host and
// window, and the postgresql.conf settings WAL archiving needs.
import { capability, jobComponentArgs } from "../capability";
import { resolveWindow, type SsmWindowSpec } from "../config/host-windows";
import { HostMaintenance } from "./host-maintenance";

export const hosts = capability({
  section: "hosts",
  declare(config, shared) {
    const names = new Set([
      ...config.hosts.flatMap((h) => h.tasks.map((t) => t.window)),
      ...(config.wal ? [config.wal.baseBackup.window] : []),
    ]);
    const windows = new Map<string, SsmWindowSpec>();
    for (const n of [...names].sort()) {
      const w = resolveWindow(n, config.windows, shared.maintenanceWindows, shared.timezone);
      // The config's cross-section check reports these with the stack file and key before anything is declared.
      if (typeof w === "string") throw new Error(`maintenance:hosts: ${w}`);
      windows.set(n, w);
    }
    const hostMaintenance = new HostMaintenance(`${shared.namePrefix}-hosts`, {
      ...jobComponentArgs(shared),
      region: shared.region,
      protect: shared.protect,
      config,
      windows,
      backupsKmsKeyArn: shared.keys.arn("backups"),
    });
    return {
      warnings: [],
      notes: hostMaintenance.notes,
      dashboard: { jobs: config.wal ? [{ job: "wal-check" }] : [] },
    };
  },
});
