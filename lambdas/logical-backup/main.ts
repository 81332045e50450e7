// Entry of the dump job on Fargate (`node main.js` in the same image): the event arrives in JOB_EVENT (a container
// override set by the EventBridge Scheduler ECS target), the config in JOB_CONFIG; the exit code is the result.
import { type FargateEntry, runOnFargate, startOnFargate } from "../shared/fargate";
import { handler } from "./handler";

export { fargateEvent } from "../shared/fargate";

/**
 * A BackupFailed=1 datapoint in CloudWatch embedded metric format, for failures the handler never reported (a
 * deadline, bad config, a crash before the dump): on Fargate no Lambda Errors metric exists to page instead.
 */
export function failureMetricLine(env: NodeJS.ProcessEnv, now: Date, metric = "BackupFailed"): string {
  let database = "unknown";
  try {
    const config = JSON.parse(env.JOB_CONFIG ?? "{}") as { database?: unknown };
    if (typeof config.database === "string") database = config.database;
  } catch {
    // an unparsable JOB_CONFIG is itself the failure being reported
  }
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "Maintenance",
          Dimensions: [["service", "Database"]],
          Metrics: [{ Name: metric, Unit: "Count" }],
        },
      ],
    },
    service: env.POWERTOOLS_SERVICE_NAME ?? "logical-backup",
    Database: database,
    [metric]: 1,
  });
}

const entry: FargateEntry = {
  label: "dump run",
  handler,
  failureLine: (env, now) => failureMetricLine(env, now),
};

export const main = (env: NodeJS.ProcessEnv = process.env, now = new Date()) => runOnFargate(entry, env, now);

if (require.main === module) startOnFargate(entry);
