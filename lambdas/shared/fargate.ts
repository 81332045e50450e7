// What every job's Fargate entry shares: the event from JOB_EVENT (a container override of the Scheduler ECS target),
// the run's deadline (JOB_DEADLINE_SECONDS: Fargate never stops a task by itself), and a failure datapoint plus a
// non-zero exit for whatever the handler never reported (the deadline, a throw, a crash).
import type { Context } from "aws-lambda";

const SCHEDULER_PLACEHOLDER = /<aws\.scheduler\.[a-z-]+>/;

/**
 * The event for this run. If the scheduler left its scheduled-time placeholder unsubstituted, the run uses the
 * current minute: an ECS target is retried only when RunTask failed, so no earlier run exists for that slot.
 */
export function fargateEvent(raw: string | undefined, now: Date): unknown {
  if (!raw) throw new Error("JOB_EVENT is not set: the schedule passes the event as a container override");
  const event = JSON.parse(raw) as Record<string, unknown>;
  if (typeof event.scheduledTime === "string" && SCHEDULER_PLACEHOLDER.test(event.scheduledTime)) {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    return { ...event, scheduledTime: minute.toISOString() };
  }
  return event;
}

export interface FargateEntry {
  /** What the log lines call a run ("maintenance run"). */
  readonly label: string;
  /** The job's handler, the same function Lambda runs; the context tells it the time left before the deadline. */
  readonly handler: (event: unknown, context: Context) => Promise<unknown>;
  /** One EMF line reporting the run failed, for the alarms the handler would have fed. */
  readonly failureLine: (env: NodeJS.ProcessEnv, now: Date) => string;
  /** What the "finished" line says of the result. @default the whole result */
  readonly summarize?: (result: unknown) => Record<string, unknown>;
}

/** A Lambda-shaped context whose remaining time counts down to the task's deadline. */
function deadlineContext(deadlineAt: number): Context {
  return { getRemainingTimeInMillis: () => Math.max(0, deadlineAt - Date.now()) } as Context;
}

/** Runs the handler once; the exit code is 0 when it returned, 1 when it threw or the deadline passed. */
export async function runOnFargate(
  entry: FargateEntry,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<number> {
  const deadline = Number(env.JOB_DEADLINE_SECONDS ?? 0);
  const deadlineAt = deadline > 0 ? now.getTime() + deadline * 1000 : Number.MAX_SAFE_INTEGER;
  if (deadline > 0)
    setTimeout(() => {
      console.error(
        JSON.stringify({
          level: "ERROR",
          message: `${entry.label} exceeded its ${deadline}s deadline; stopping`,
        }),
      );
      console.log(entry.failureLine(env, new Date()));
      process.exit(1);
    }, deadline * 1000).unref();
  try {
    const result = await entry.handler(fargateEvent(env.JOB_EVENT, now), deadlineContext(deadlineAt));
    const said = entry.summarize ? entry.summarize(result) : { result };
    console.log(JSON.stringify({ level: "INFO", message: `${entry.label} finished`, ...said }));
    return 0;
  } catch (e) {
    console.error(
      JSON.stringify({ level: "ERROR", message: `${entry.label} failed`, error: (e as Error).message }),
    );
    console.log(entry.failureLine(env, new Date()));
    return 1;
  }
}

/** The process's own entry: anything that escapes the handler still ends the task as a reported failure. */
export function startOnFargate(entry: FargateEntry): void {
  const crash = (e: unknown) => {
    console.error(JSON.stringify({ level: "ERROR", message: `${entry.label} crashed`, error: String(e) }));
    console.log(entry.failureLine(process.env, new Date()));
    process.exit(1);
  };
  process.on("unhandledRejection", crash);
  process.on("uncaughtException", crash);
  runOnFargate(entry).then((code) => {
    process.exitCode = code;
  });
}

/** A string field of the JSON in an environment variable, or "unknown" when it is missing or unparsable. */
export function envJsonField(env: NodeJS.ProcessEnv, variable: string, field: string): string {
  try {
    const value = (JSON.parse(env[variable] ?? "{}") as Record<string, unknown>)[field];
    return typeof value === "string" ? value : "unknown";
  } catch {
    // an unparsable variable is itself the failure being reported (and the task stops with exit 1)
    return "unknown";
  }
}

/**
 * `metric`=1 in CloudWatch embedded metric format, with exactly the dimensions its alarm watches ({service, <name>}),
 * in the job's namespace: for failures the handler never reported (on Fargate no Lambda Errors metric pages instead).
 */
export function failureDatapoint(
  env: NodeJS.ProcessEnv,
  now: Date,
  metric: string,
  dimension: { readonly name: string; readonly value: string },
  defaultService: string,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "Maintenance",
          Dimensions: [["service", dimension.name]],
          Metrics: [{ Name: metric, Unit: "Count" }],
        },
      ],
    },
    service: env.POWERTOOLS_SERVICE_NAME ?? defaultService,
    [dimension.name]: dimension.value,
    [metric]: 1,
  });
}
