// Entry of the database maintenance job on Fargate (`node main.js` in the db-maintenance image): the same handler the
// zip Lambda runs, with the event from JOB_EVENT and the time left counting down to JOB_DEADLINE_SECONDS, so a task
// stops starting batches in time; a run the handler never finished reports TaskFailed=1 for its task and exits 1.
import { runOnFargate, startOnFargate, type FargateEntry } from "../shared/fargate";
import { handler } from "./handler";
import { MAINTENANCE_METRICS } from "./run";

/** TaskFailed=1 with exactly the dimensions of the task's failure alarm ({service, Task}). */
export function taskFailedLine(env: NodeJS.ProcessEnv, now: Date): string {
  let task = "unknown";
  try {
    const event = JSON.parse(env.JOB_EVENT ?? "{}") as { task?: unknown };
    if (typeof event.task === "string") task = event.task;
  } catch {
    // an unparsable JOB_EVENT is itself the failure being reported (and the task stops with exit 1)
  }
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "Maintenance",
          Dimensions: [["service", "Task"]],
          Metrics: [{ Name: MAINTENANCE_METRICS.failed, Unit: "Count" }],
        },
      ],
    },
    service: env.POWERTOOLS_SERVICE_NAME ?? "db-maintenance",
    Task: task,
    [MAINTENANCE_METRICS.failed]: 1,
  });
}

const entry: FargateEntry = {
  label: "maintenance run",
  handler: (event, context) => handler(event, context),
  failureLine: taskFailedLine,
};

export const main = (env: NodeJS.ProcessEnv = process.env, now = new Date()) => runOnFargate(entry, env, now);

if (require.main === module) startOnFargate(entry);
