// Lambda entry of the daily rotation check: DaysSinceLastRotation and PendingStuck per secret (dimension Secret).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defineJob, putDimensioned } from "../shared/job";
import { checkConfigSchema, checkEventSchema, checkSecret } from "./check";

const secrets = new SecretsManagerClient({});

export const handler = defineJob({
  job: "rotation-check",
  event: checkEventSchema,
  config: checkConfigSchema,
  run: async (_event, ctx) => {
    const reports = [];
    for (const s of ctx.config.secrets) {
      const r = await checkSecret(secrets, s, ctx.config.stuckAfterHours, ctx.now());
      reports.push(r);
      if (r.status === "error") {
        ctx.logger.error("rotation check failed for a secret", { ...r });
        continue;
      }
      putDimensioned(ctx.metrics, { name: "Secret", value: s.name }, [
        { metric: "DaysSinceLastRotation", unit: MetricUnit.Count, value: r.daysSinceLastRotation },
        { metric: "PendingStuck", unit: MetricUnit.Count, value: r.stuckPending.length },
      ]);
      (r.status === "ok" ? ctx.logger.info : ctx.logger.warn).call(ctx.logger, "rotation", { ...r });
    }
    return { reports };
  },
});
