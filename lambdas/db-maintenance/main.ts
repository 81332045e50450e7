// Entry of the database maintenance job on Fargate (`node main.js` in the db-maintenance image): the same handler the
// zip Lambda runs, with the event from JOB_EVENT and the time left counting down to JOB_DEADLINE_SECONDS, so a task
// stops starting batches in time; a run the handler never finished reports TaskFailed=1 for its task and exits 1.
import {
  envJsonField,
  type FargateEntry,
  failureDatapoint,
  runOnFargate,
  startOnFargate,
} from "../shared/fargate";
import { handler } from "./handler";
import { MAINTENANCE_METRICS } from "./config";

/** TaskFailed=1 with exactly the dimensions of the task's failure alarm ({service, Task}). */
export function taskFailedLine(env: NodeJS.ProcessEnv, now: Date): string {
  const task = { name: "Task", value: envJsonField(env, "JOB_EVENT", "task") };
  return failureDatapoint(env, now, MAINTENANCE_METRICS.failed, task, "db-maintenance");
}

const entry: FargateEntry = {
  label: "maintenance run",
  handler: (event, context) => handler(event, context),
  failureLine: taskFailedLine,
};

export const main = (env: NodeJS.ProcessEnv = process.env, now = new Date()) => runOnFargate(entry, env, now);

if (require.main === module) startOnFargate(entry);
