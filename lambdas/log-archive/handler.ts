// Lambda entry of log archival: apply retention to matched groups, export completed days to S3, report days behind.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { S3Client } from "@aws-sdk/client-s3";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { archiveConfigSchema, archiveEventSchema } from "./config";
import { runArchive } from "./exporter";

const logs = new CloudWatchLogsClient({});
const s3 = new S3Client({});

export const handler = defineJob({
  job: "log-archive",
  event: archiveEventSchema,
  config: archiveConfigSchema,
  run: async (_event, ctx) => {
    const result = await runArchive(ctx.config, {
      logs,
      s3,
      log: toLog(ctx.logger),
      now: ctx.now,
      remainingMs: ctx.remainingMs,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    for (const g of result.groups) {
      putDimensioned(ctx.metrics, { name: "LogGroup", value: g.logGroup }, [
        { metric: "DaysBehind", unit: MetricUnit.Count, value: g.daysBehind },
        { metric: "ExportTaskFailed", unit: MetricUnit.Count, value: g.failed.length },
      ]);
    }
    return result;
  },
});
