// Entry of the dump job on Fargate (`node main.js` in the same image): the event arrives in JOB_EVENT (a container
// override set by the EventBridge Scheduler ECS target), the config in JOB_CONFIG; the exit code is the result.
import {
  envJsonField,
  type FargateEntry,
  failureDatapoint,
  runOnFargate,
  startOnFargate,
} from "../shared/fargate";
import { handler } from "./handler";

export { fargateEvent } from "../shared/fargate";

/**
 * A BackupFailed=1 datapoint in CloudWatch embedded metric format, for failures the handler never reported (a
 * deadline, bad config, a crash before the dump): on Fargate no Lambda Errors metric exists to page instead.
 */
export function failureMetricLine(env: NodeJS.ProcessEnv, now: Date, metric = "BackupFailed"): string {
  const database = { name: "Database", value: envJsonField(env, "JOB_CONFIG", "database") };
  return failureDatapoint(env, now, metric, database, "logical-backup");
}

const entry: FargateEntry = {
  label: "dump run",
  handler,
  failureLine: (env, now) => failureMetricLine(env, now),
};

export const main = (env: NodeJS.ProcessEnv = process.env, now = new Date()) => runOnFargate(entry, env, now);

if (require.main === module) startOnFargate(entry);
