// Entry of the dump job on Fargate (`node main.js` in the same image): the event arrives in JOB_EVENT (a container
// override set by the EventBridge Scheduler ECS target), the config in JOB_CONFIG; the exit code is the result.
import { handler } from "./handler";

const SCHEDULER_PLACEHOLDER = /<aws\.scheduler\.[a-z-]+>/;

/**
 * The event for this run. If the scheduler left its scheduled-time placeholder unsubstituted, the run uses the
 * current minute: an ECS target is retried only when RunTask failed, so no earlier object exists for that slot.
 */
export function fargateEvent(raw: string | undefined, now: Date): unknown {
  if (!raw)
    throw new Error(
      "JOB_EVENT is not set: the schedule passes {tier, scheduledTime} as a container override",
    );
  const event = JSON.parse(raw) as Record<string, unknown>;
  if (typeof event.scheduledTime === "string" && SCHEDULER_PLACEHOLDER.test(event.scheduledTime)) {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    return { ...event, scheduledTime: minute.toISOString() };
  }
  return event;
}

export async function main(env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<number> {
  // Fargate never stops a task by itself: a hung dump must not run (and hold a connection) forever.
  const deadline = Number(env.JOB_DEADLINE_SECONDS ?? 0);
  if (deadline > 0) {
    setTimeout(() => {
      console.error(
        JSON.stringify({ level: "ERROR", message: `dump run exceeded its ${deadline}s deadline; stopping` }),
      );
      process.exit(1);
    }, deadline * 1000).unref();
  }
  try {
    const result = await handler(fargateEvent(env.JOB_EVENT, now));
    console.log(JSON.stringify({ level: "INFO", message: "dump run finished", result }));
    return 0;
  } catch (e) {
    console.error(
      JSON.stringify({ level: "ERROR", message: "dump run failed", error: (e as Error).message }),
    );
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
