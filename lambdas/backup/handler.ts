// Lambda entry of the RDS backup job: validate, then snapshot, copy and prune every configured database.
import { RDSClient } from "@aws-sdk/client-rds";
import { defineJob } from "../shared/job";
import { backupConfigSchema, backupEventSchema } from "./config";
import { runBackup } from "./job";

const clients = new Map<string, RDSClient>();
/** One client per region, reused across warm invocations. */
const rds = (region: string) => {
  let c = clients.get(region);
  if (!c) clients.set(region, (c = new RDSClient({ region })));
  return c;
};

export const handler = defineJob({
  job: "backup",
  event: backupEventSchema,
  config: backupConfigSchema,
  run: (event, ctx) =>
    runBackup(event, ctx.config, {
      primary: rds(ctx.config.region),
      ...(ctx.config.dr ? { dr: rds(ctx.config.dr.region) } : {}),
      log: ctx.logger,
      now: ctx.now,
    }),
});
