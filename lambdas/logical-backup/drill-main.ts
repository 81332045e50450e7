// Entry of the restore drill on Fargate (`node drill.js` in the dump image, beside the database sidecar): the event
// arrives in JOB_EVENT, the exit code is the verdict, and a failure the handler never reported (the deadline, a
// crash) still emits DrillFailed=1.
import { handler } from "./drill-handler";
import { type FargateEntry, runOnFargate, startOnFargate } from "../shared/fargate";
import { failureMetricLine } from "./main";

const entry: FargateEntry = {
  label: "restore drill",
  handler,
  // The handler reported DrillFailed itself when it got as far as a verdict; a second 1 changes no alarm.
  failureLine: (env, now) => failureMetricLine(env, now, "DrillFailed"),
  summarize: (result) => ({ verdict: (result as { verdict?: string }).verdict }),
};

export const main = (env: NodeJS.ProcessEnv = process.env, now = new Date()) => runOnFargate(entry, env, now);

if (require.main === module) startOnFargate(entry);
