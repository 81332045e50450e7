// Lambda entry of log archival: apply retention to matched groups, export completed days to S3, report days behind.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { S3Client } from "@aws-sdk/client-s3";
import { defineJob } from "../shared/job";
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
      const single = ctx.metrics.singleMetric();
      single.addDimension("LogGroup", g.logGroup);
      single.addMetric("DaysBehind", MetricUnit.Count, g.daysBehind);
      single.addMetric("ExportTaskFailed", MetricUnit.Count, g.failed.length);
    }
    return result;
  },
});
