// The logs capability (`maintenance:logs`): retention, the archive and its export job, a summary line of the
// lifecycle and groups, and the exported groups' days behind on the dashboard.
import { capability, jobComponentArgs } from "../capability";
import { LogArchive } from "./log-archive";

export const logs = capability({
  section: "logs",
  declare(config, shared) {
    const archive = new LogArchive(`${shared.namePrefix}-logs`, {
      ...jobComponentArgs(shared),
      region: shared.region,
      config,
      protect: shared.protect,
    });
    const a = config.archive;
    return {
      warnings: archive.warnings,
      notes: [
        `logs: hot ${config.hotRetentionDays}d in CloudWatch; archive ${[...a.transitions.map((t) => `${t.storageClass} at ${t.days}d`), `expire at ${a.expirationDays}d`].join(", ")}; ` +
          `${config.logGroups
            .map((g) => `${g.name} (${g.path})`)
            .concat(config.logGroupPrefixes.map((p) => `${p}* (export)`))
            .join(", ")}`,
      ],
      dashboard: {
        jobs: [{ job: "log-archive" }],
        logGroups: config.logGroups.filter((g) => g.path === "export").map((g) => g.name),
      },
    };
  },
});
