// Entry of the dump verification job (the same image, `verify.handler`): every dump database's newest dump is checked
// (checksum, pg_restore --list or the mysqldump footer) and the age of its newest good dump is reported.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { defineJob } from "../shared/job";
import { verifyConfigSchema, verifyEventSchema } from "./config";
import { type DumpVerdict, verifyDumps } from "./verify";

const s3 = new S3Client({});

/** Metric names the stack's alarms watch (dimension Database). */
export const VERIFY_METRICS = {
  age: "NewestGoodDumpAgeSeconds",
  failed: "DumpVerificationFailed",
} as const;

export const handler = defineJob({
  job: "logical-backup-verify",
  event: verifyEventSchema,
  config: verifyConfigSchema,
  run: async (_event, ctx): Promise<DumpVerdict[]> => {
    const verdicts: DumpVerdict[] = [];
    // One database at a time: each check streams a whole dump; one bad database never stops the others.
    for (const d of ctx.config.databases) {
      let v: DumpVerdict;
      try {
        v = await verifyDumps(
          s3,
          ctx.config.buckets,
          d.database,
          d.engine,
          ctx.now(),
          ctx.config.maxCandidates,
        );
      } catch (e) {
        v = {
          database: d.database,
          key: null,
          ok: false,
          problem: (e as Error).message,
          newestGoodAgeSeconds: null,
        };
      }
      const single = ctx.metrics.singleMetric();
      single.addDimension("Database", d.database);
      single.addMetric(VERIFY_METRICS.failed, MetricUnit.Count, v.ok ? 0 : 1);
      // No good dump: no age datapoint, and the age alarm treats missing data as breaching.
      if (v.newestGoodAgeSeconds !== null) {
        const age = ctx.metrics.singleMetric();
        age.addDimension("Database", d.database);
        age.addMetric(VERIFY_METRICS.age, MetricUnit.Seconds, v.newestGoodAgeSeconds);
      }
      if (v.ok) ctx.logger.info("newest dump verified", { ...v });
      else ctx.logger.error("dump verification failed", { ...v });
      verdicts.push(v);
    }
    return verdicts;
  },
});
