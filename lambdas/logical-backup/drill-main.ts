// Entry of the restore drill on Fargate (`node drill.js` in the dump image, beside the database sidecar): the event
// arrives in JOB_EVENT, the exit code is the verdict, and a failure the handler never reported (the deadline, a
// crash) still emits DrillFailed=1.
import { handler } from "./drill-handler";
import { failureMetricLine, fargateEvent } from "./main";

export async function main(env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<number> {
  const deadline = Number(env.JOB_DEADLINE_SECONDS ?? 0);
  if (deadline > 0) {
    setTimeout(() => {
      console.error(
        JSON.stringify({
          level: "ERROR",
          message: `restore drill exceeded its ${deadline}s deadline; stopping`,
        }),
      );
      console.log(failureMetricLine(env, new Date(), "DrillFailed"));
      process.exit(1);
    }, deadline * 1000).unref();
  }
  try {
    const result = (await handler(fargateEvent(env.JOB_EVENT, now))) as { verdict?: string };
    console.log(
      JSON.stringify({ level: "INFO", message: "restore drill finished", verdict: result.verdict }),
    );
    return 0;
  } catch (e) {
    console.error(
      JSON.stringify({ level: "ERROR", message: "restore drill failed", error: (e as Error).message }),
    );
    // The handler reported DrillFailed itself when it got as far as a verdict; a second 1 changes no alarm.
    console.log(failureMetricLine(env, new Date(), "DrillFailed"));
    return 1;
  }
}

if (require.main === module) {
  const crash = (e: unknown) => {
    console.error(JSON.stringify({ level: "ERROR", message: "restore drill crashed", error: String(e) }));
    console.log(failureMetricLine(process.env, new Date(), "DrillFailed"));
    process.exit(1);
  };
  process.on("unhandledRejection", crash);
  process.on("uncaughtException", crash);
  main().then((code) => {
    process.exitCode = code;
  });
}
