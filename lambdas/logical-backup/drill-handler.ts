// The restore drill's handler (defineJob: config and event checked, JobSucceeded on a pass, metrics flushed); the
// Fargate entry drill-main.ts calls it.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { runDrill } from "./drill";
import { drillConfigSchema, drillEventSchema } from "./drill-config";

const s3 = new S3Client({});

export const handler = defineJob({
  job: "restore-drill",
  event: drillEventSchema,
  config: drillConfigSchema,
  run: (event, ctx) =>
    runDrill(event, ctx.config, {
      s3,
      log: toLog(ctx.logger),
      now: ctx.now,
      // Only for a target that is not the task's sidecar (which trusts loopback): the contract runs' local server.
      ...(process.env.DRILL_TARGET_PASSWORD !== undefined
        ? { targetPassword: process.env.DRILL_TARGET_PASSWORD }
        : {}),
      metrics: {
        put: (name, value) =>
          putDimensioned(ctx.metrics, { name: "Database", value: ctx.config.database }, [
            {
              metric: name,
              unit:
                name === "RestoreSeconds" || name === "RestoredDataAgeSeconds"
                  ? MetricUnit.Seconds
                  : MetricUnit.Count,
              value,
            },
          ]),
      },
    }),
});
