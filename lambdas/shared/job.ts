// The one shape every maintenance Lambda has: validate config and event, run the job, emit the heartbeat, flush metrics.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { Context } from "aws-lambda";
import { z } from "zod";

/** Metric every job emits (value 1, dimension `service`) each time a run completes without throwing. */
export const SUCCESS_METRIC = "JobSucceeded";
/** Metric the daily heartbeat run emits for jobs whose schedule is longer than CloudWatch's 7-day alarm window. */
export const AGE_METRIC = "SecondsSinceLastSuccess";

export interface JobContext<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Milliseconds left before Lambda's deadline (a large number outside Lambda). */
  remainingMs(): number;
  now(): Date;
}

export interface JobSpec<E extends z.ZodType, C extends z.ZodType, R> {
  readonly job: string;
  readonly event: E;
  readonly config: C;
  run(event: z.infer<E>, ctx: JobContext<z.infer<C>>): Promise<R>;
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** One datapoint of a dimensioned metric. */
export interface Datapoint {
  readonly metric: string;
  readonly unit: Unit;
  readonly value: number;
}

/**
 * Publishes each datapoint with exactly {service, <dimension>}, the dimensions the stack's alarms use. Each gets a
 * singleMetric of its own: in Powertools 2.x a singleMetric publishes at its first addMetric and clears its
 * dimensions then, so a second addMetric on it would go out with {service} only (and no alarm would see it). A
 * singleMetric also carries nothing the run added to the shared Metrics for other datapoints.
 */
export function putDimensioned(
  metrics: Metrics,
  dimension: { readonly name: string; readonly value: string },
  datapoints: readonly Datapoint[],
): void {
  for (const d of datapoints) {
    const single = metrics.singleMetric();
    single.addDimension(dimension.name, dimension.value);
    single.addMetric(d.metric, d.unit, d.value);
  }
}

/** A heartbeat event is sent by the job's daily "heartbeat" schedule; it reports age instead of doing work. */
const heartbeatEvent = z.object({ heartbeat: z.literal(true) }).strict();

export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/** Formats zod issues as `field.path: message` lines so an operator sees exactly which field is wrong. */
export function describeIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  return `${source} is invalid:\n${lines.join("\n")}`;
}

/** Parses `value` with `schema`, throwing an InvalidInputError that names every bad field. */
export function parseInput<S extends z.ZodType>(source: string, schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(describeIssues(source, result.error));
  return result.data;
}

/** Reads and validates JOB_CONFIG; a missing or malformed value is a deployment bug, so it fails loudly. */
export function readJobConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const raw = env.JOB_CONFIG;
  if (raw === undefined)
    throw new InvalidInputError("JOB_CONFIG is not set: the stack passes the job's settings as JSON");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new InvalidInputError(`JOB_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  return parseInput("JOB_CONFIG", schema, json);
}

export interface DefineJobDeps {
  env?: NodeJS.ProcessEnv;
  ssm?: Pick<SSMClient, "send">;
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * Builds a Lambda handler. Config is parsed on the first invocation (not at module load, so tests can set env first)
 * and cached. When LAST_SUCCESS_PARAMETER is set, a successful run records its time there and a heartbeat event
 * emits SecondsSinceLastSuccess from it (CloudWatch alarms cannot look back more than 7 days, so weekly and
 * monthly jobs are watched through this daily-emitted age instead of a missing success datapoint).
 */
export function defineJob<E extends z.ZodType, C extends z.ZodType, R>(
  spec: JobSpec<E, C, R>,
  deps: DefineJobDeps = {},
) {
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? spec.job });
  const metrics =
    deps.metrics ??
    new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "Maintenance",
      serviceName: env.POWERTOOLS_SERVICE_NAME ?? spec.job,
    });
  let ssm = deps.ssm;
  let config: z.infer<C> | undefined;

  return async function handler(
    event: unknown,
    context?: Context,
  ): Promise<R | { heartbeat: number | null }> {
    config ??= readJobConfig(spec.config, env);
    const parameter = env.LAST_SUCCESS_PARAMETER;
    const remainingMs = () => context?.getRemainingTimeInMillis() ?? Number.MAX_SAFE_INTEGER;
    try {
      if (heartbeatEvent.safeParse(event).success) {
        if (!parameter)
          throw new InvalidInputError("heartbeat event received but LAST_SUCCESS_PARAMETER is not set");
        ssm ??= new SSMClient({});
        const age = await secondsSinceLastSuccess(ssm, parameter, now());
        if (age === null)
          logger.warn("no recorded success yet: the age metric stays missing and its alarm fires");
        else metrics.addMetric(AGE_METRIC, MetricUnit.Seconds, age);
        return { heartbeat: age };
      }
      const parsed = parseInput("event", spec.event, event);
      const result = await spec.run(parsed, { config, logger, metrics, remainingMs, now });
      metrics.addMetric(SUCCESS_METRIC, MetricUnit.Count, 1);
      if (parameter) {
        ssm ??= new SSMClient({});
        await ssm.send(
          new PutParameterCommand({
            Name: parameter,
            Value: now().toISOString(),
            Type: "String",
            Overwrite: true,
          }),
        );
      }
      return result;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

async function secondsSinceLastSuccess(
  ssm: Pick<SSMClient, "send">,
  name: string,
  at: Date,
): Promise<number | null> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    const value = out.Parameter?.Value;
    const last = value ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(last)) return null;
    return Math.max(0, Math.round((at.getTime() - last) / 1000));
  } catch (e) {
    if (e instanceof ParameterNotFound) return null;
    throw e;
  }
}
