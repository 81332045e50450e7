// Entry of the logical dump job, for the Lambda container image; on Fargate, main.ts runs the same handler.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { dumpConfigSchema, dumpEventSchema } from "./config";
import { runDump } from "./run";

const s3 = new S3Client({});
const secrets = new SecretsManagerClient({});

export const handler = defineJob({
  job: "logical-backup",
  event: dumpEventSchema,
  config: dumpConfigSchema,
  run: (event, ctx) =>
    runDump(event, ctx.config, {
      s3,
      secrets,
      log: toLog(ctx.logger),
      now: ctx.now,
      metrics: {
        put: (name, value) =>
          putDimensioned(ctx.metrics, { name: "Database", value: ctx.config.database }, [
            {
              metric: name,
              unit:
                name === "DumpSeconds"
                  ? MetricUnit.Seconds
                  : name === "DumpBytes"
                    ? MetricUnit.Bytes
                    : MetricUnit.Count,
              value,
            },
          ]),
      },
    }),
});
