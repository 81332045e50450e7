// Entry of the database maintenance job (zip Lambda): each schedule names one task of this job's database; the run
// reports duration, rows, check values, bloat figures and failures per task (dimension Task, or Table or Index).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { MAINTENANCE_METRICS, maintenanceConfigSchema, maintenanceEventSchema } from "./config";
import { runTask } from "./run";

const s3 = new S3Client({});
const secrets = new SecretsManagerClient({});

const UNITS: Record<string, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  [MAINTENANCE_METRICS.seconds]: MetricUnit.Seconds,
  [MAINTENANCE_METRICS.tableBytes]: MetricUnit.Bytes,
  [MAINTENANCE_METRICS.check]: MetricUnit.NoUnit,
  [MAINTENANCE_METRICS.bloat]: MetricUnit.NoUnit,
  [MAINTENANCE_METRICS.indexBloat]: MetricUnit.Percent,
};

export const handler = defineJob({
  job: "db-maintenance",
  event: maintenanceEventSchema,
  config: maintenanceConfigSchema,
  run: (event, ctx) =>
    runTask(event, ctx.config, {
      s3,
      secrets,
      log: toLog(ctx.logger),
      now: ctx.now,
      remainingMs: ctx.remainingMs,
      put: (dimension, metric, value) =>
        putDimensioned(ctx.metrics, dimension, [{ metric, unit: UNITS[metric] ?? MetricUnit.Count, value }]),
    }),
});
