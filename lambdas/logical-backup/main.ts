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

export async function main(env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<number> {
  // Fargate never stops a task by itself: a hung dump must not run (and hold a connection) forever.
  const deadline = Number(env.JOB_DEADLINE_SECONDS ?? 0);
  if (deadline > 0) {
    setTimeout(() => {
      console.error(
        JSON.stringify({ level: "ERROR", message: `dump run exceeded its ${deadline}s deadline; stopping` }),
      );
      console.log(failureMetricLine(env, new Date()));
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
    console.log(failureMetricLine(env, new Date()));
    return 1;
  }
}

if (require.main === module) {
  // Anything that escapes the handler still ends the task as a reported failure, never a silent crash.
  const crash = (e: unknown) => {
    console.error(JSON.stringify({ level: "ERROR", message: "dump run crashed", error: String(e) }));
    console.log(failureMetricLine(process.env, new Date()));
    process.exit(1);
  };
  process.on("unhandledRejection", crash);
  process.on("uncaughtException", crash);
  main().then((code) => {
    process.exitCode = code;
  });
}
