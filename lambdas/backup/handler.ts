// Lambda entry of the RDS backup job: validate, then snapshot, copy and prune every configured database.
import { RDSClient } from "@aws-sdk/client-rds";
import { perRegion } from "../shared/clients";
import { defineJob } from "../shared/job";
import { toLog } from "../shared/log";
import { backupConfigSchema, backupEventSchema } from "./config";
import { runBackup } from "./job";

const rds = perRegion((region) => new RDSClient({ region }));

export const handler = defineJob({
  job: "backup",
  event: backupEventSchema,
  config: backupConfigSchema,
  run: (event, ctx) =>
    runBackup(event, ctx.config, {
      primary: rds(ctx.config.region),
      ...(ctx.config.dr ? { dr: rds(ctx.config.dr.region) } : {}),
      log: toLog(ctx.logger),
      now: ctx.now,
    }),
});
