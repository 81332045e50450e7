// Lambda entry of the certificate check: check every endpoint and address, emit DaysToExpiry and CheckFailed per endpoint.
import { promises as dns } from "node:dns";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { defineJob, putDimensioned } from "../shared/job";
import { checkEndpoints, endpointMetrics } from "./check";
import { certConfigSchema, certEventSchema } from "./config";

/** Every A and AAAA address, as the OS resolver (and so the application's clients) sees them. */
export async function resolveAll(host: string): Promise<string[]> {
  return (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

export const handler = defineJob({
  job: "cert-check",
  event: certEventSchema,
  config: certConfigSchema,
  run: async (event, ctx) => {
    const endpoints = event.endpoints ?? ctx.config.endpoints;
    const results = await checkEndpoints(endpoints, { ...ctx.config, resolve: resolveAll, now: ctx.now });
    for (const m of endpointMetrics(results)) {
      putDimensioned(ctx.metrics, { name: "Endpoint", value: m.endpoint }, [
        ...(m.daysToExpiry !== null
          ? [{ metric: "DaysToExpiry", unit: MetricUnit.Count, value: m.daysToExpiry }]
          : []),
        { metric: "CheckFailed", unit: MetricUnit.Count, value: m.checkFailed },
      ]);
    }
    for (const r of results)
      (r.status === "ok" ? ctx.logger.info : ctx.logger.warn).call(ctx.logger, "certificate", { ...r });
    return { results };
  },
});
