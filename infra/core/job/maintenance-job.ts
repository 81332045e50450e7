// The shape of every scheduled job: a zip Lambda, an image Lambda or a Fargate task with its own log group, role and
// failure queue, EventBridge Scheduler schedules (each with retries and a DLQ), alarms, and a heartbeat that fires
// when successes stop. How the job runs is a JobRunner (lambda.ts, fargate.ts); the rest is shared.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { envSizeBytes, LAMBDA_ENV_MAX_BYTES } from "../aws-limits";
import { physicalName } from "../naming";
import { declareJobAlarms } from "./alarms";
import { fargateTask } from "./fargate";
import { HEARTBEAT_SCHEDULE, heartbeatWindowSeconds, MAX_WINDOW, runSecondsOf } from "./heartbeat";
import type { MaintenanceJobArgs } from "./job-args";
import { imageLambda, zipLambda } from "./lambda";
import { jobQueueArgs } from "./queues";
import type { JobRunner } from "./runner";
import { declareSchedules, dstWarnings } from "./schedules";
import { validateJobArgs } from "./validate";

export type {
  FargateRun,
  FargateSidecar,
  JobDefaults,
  JobImage,
  JobNetwork,
  JobRetry,
  JobSchedule,
  JobStatementInput,
  MaintenanceJobArgs,
} from "./job-args";
export { jobDefaultsOf } from "./job-args";

/** How a job runs: on Fargate when it says so, else as a Lambda from its image or from the zip bundle. */
export function runnerFor(args: MaintenanceJobArgs): JobRunner {
  if (args.fargate) return fargateTask;
  return args.image ? imageLambda : zipLambda;
}

export class MaintenanceJob extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly logGroupName: string;
  /** Reviewer-facing warnings (schedules in a DST gap), printed by the plan. */
  readonly warnings: string[] = [];
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};

  constructor(name: string, args: MaintenanceJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const runner = runnerFor(args);
    validateJobArgs(args, runner);
    super("maintenance:jobs:MaintenanceJob", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const fnName = physicalName("lambdaFunction", args.namePrefix, args.job);
    this.logGroupName = runner.logGroupName(args, fnName);
    const now = new Date();
    this.warnings.push(...dstWarnings(fnName, args.schedules, now));
    for (const w of this.warnings) pulumi.log.warn(w, this);

    // Its own log group, created before the function so Lambda never creates an unencrypted one without retention.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: this.logGroupName,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logsKmsKeyArn,
        tags: args.tags,
      },
      parent,
    );
    // Lambda: the async failure destination. Fargate: ECS "task stopped" events of failed tasks (an OOM kill or a
    // failed image pull never reaches the job's own code to report it).
    const failureQueue = new aws.sqs.Queue(
      `${name}-failures`,
      jobQueueArgs(args, physicalName("sqsQueue", args.namePrefix, args.job, "failures")),
      parent,
    );

    // A job only a service invokes (no schedules) has no expected cadence, so no heartbeat of its own.
    const scheduled = args.schedules.length > 0;
    const window = scheduled
      ? heartbeatWindowSeconds(args.schedules, args.retry, runSecondsOf(args), now)
      : 0;
    const ageWatched = window > MAX_WINDOW && !args.heartbeatWatchedBy;
    const lastSuccess = ageWatched ? this.lastSuccessParameter(name, args) : undefined;
    const parts = {
      name,
      args,
      parent: this,
      fnName,
      accountId: identity.accountId,
      logGroup,
      logGroupName: this.logGroupName,
      failureQueue,
      ...(lastSuccess ? { lastSuccess } : {}),
      environment: checkedEnvironment(args, runner, lastSuccess),
    };
    const compute = runner.declare(parts);

    // Jobs that run too rarely for CloudWatch's 7-day window report the age of their last success every hour.
    const schedules = ageWatched ? [...args.schedules, HEARTBEAT_SCHEDULE] : [...args.schedules];
    const dlqs = declareSchedules(parts, compute, schedules);
    Object.assign(
      this.alarms,
      declareJobAlarms(parts, runner, dlqs, schedules, scheduled ? { window, ageWatched } : null),
    );
    this.functionName = compute.id;
    this.functionArn = compute.targetArn;
    this.roleArn = compute.roleArn;
    this.registerOutputs({ functionName: this.functionName, functionArn: this.functionArn });
  }

  /** Where the job records the time of its last success, for the hourly heartbeat run to report its age. */
  private lastSuccessParameter(name: string, args: MaintenanceJobArgs): aws.ssm.Parameter {
    return new aws.ssm.Parameter(
      `${name}-last-success`,
      {
        name: `/maintenance/${args.stack}/${args.job}/last-success`,
        type: "String",
        value: "never",
        description: `Time of the last successful ${args.job} run (written by the job)`,
        tags: args.tags,
      },
      { parent: this, ignoreChanges: ["value"] },
    );
  }
}

/** The job's environment: its own variables, its config as JSON, metrics naming, and what its runner adds. */
function checkedEnvironment(
  args: MaintenanceJobArgs,
  runner: JobRunner,
  lastSuccess: aws.ssm.Parameter | undefined,
): pulumi.Output<Record<string, string>> {
  const environment: Record<string, pulumi.Input<string>> = {
    ...args.environment,
    JOB_CONFIG: pulumi.output(args.jobConfig).apply((c) => JSON.stringify(c)),
    POWERTOOLS_SERVICE_NAME: args.job,
    POWERTOOLS_METRICS_NAMESPACE: `Maintenance/${args.stack}`,
    ...(lastSuccess ? { LAST_SUCCESS_PARAMETER: lastSuccess.name } : {}),
    ...runner.environment(args),
  };
  return pulumi.all(environment).apply((env) => {
    const size = envSizeBytes(env);
    if (size > LAMBDA_ENV_MAX_BYTES) {
      throw new Error(
        `job ${args.job}: environment is ${size} bytes as Lambda counts it (the JSON of all variables, JOB_CONFIG's quotes escaped); Lambda allows ${LAMBDA_ENV_MAX_BYTES}`,
      );
    }
    return env;
  });
}
