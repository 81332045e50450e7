// Lambda entry of backup verification: check every database's newest snapshot and DR copy, emit per-database metrics.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { RDSClient } from "@aws-sdk/client-rds";
import { backupConfigSchema, verifyEventSchema } from "../backup/config";
import { perRegion } from "../shared/clients";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { runVerify } from "./verify";

const rds = perRegion((region) => new RDSClient({ region }));

export const handler = defineJob({
  job: "backup-verify",
  event: verifyEventSchema,
  config: backupConfigSchema,
  run: (_event, ctx) =>
    runVerify(ctx.config, {
      primary: rds(ctx.config.region),
      ...(ctx.config.dr ? { dr: rds(ctx.config.dr.region) } : {}),
      log: toLog(ctx.logger),
      now: ctx.now,
      metrics: {
        // Each datapoint carries exactly {service, Database}, the dimensions the stack's alarms use.
        put: (database, name, value, unit) =>
          putDimensioned(ctx.metrics, { name: "Database", value: database }, [
            { metric: name, unit: unit === "Seconds" ? MetricUnit.Seconds : MetricUnit.Count, value },
          ]),
      },
    }),
});
