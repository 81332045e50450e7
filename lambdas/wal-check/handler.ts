// Lambda entry of the hourly WAL check: how old the newest archived WAL segment and the newest base backup are, as
// metrics per stanza. An empty archive or no backup yet emits nothing, so the age alarms (missing = breaching) fire.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { perRegion } from "../shared/clients";
import { defineJob, putDimensioned } from "../shared/job";
import { walStatus } from "./check";
import { walCheckConfigSchema, walCheckEventSchema } from "./config";

const s3For = perRegion((region) => new S3Client({ region }));

export const handler = defineJob({
  job: "wal-check",
  event: walCheckEventSchema,
  config: walCheckConfigSchema,
  run: async (_event, ctx) => {
    const c = ctx.config;
    const status = await walStatus(s3For(c.region), c, ctx.now());
    putDimensioned(ctx.metrics, { name: "Stanza", value: c.stanza }, [
      ...(status.walAgeSeconds !== null
        ? [{ metric: "WalArchiveAgeSeconds", unit: MetricUnit.Seconds, value: status.walAgeSeconds }]
        : []),
      ...(status.baseBackupAgeSeconds !== null
        ? [{ metric: "BaseBackupAgeSeconds", unit: MetricUnit.Seconds, value: status.baseBackupAgeSeconds }]
        : []),
    ]);
    (status.walAgeSeconds === null || status.baseBackupAgeSeconds === null
      ? ctx.logger.warn
      : ctx.logger.info
    ).call(ctx.logger, "wal archive", { ...status });
    return status;
  },
});
