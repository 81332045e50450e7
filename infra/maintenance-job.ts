// The shape of every scheduled job: a bundled Lambda with its own log group, role, failure queue, EventBridge
// Scheduler schedules (each with retries and a DLQ), alarms, and a heartbeat that fires when successes stop.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, anyInFiveMinutes, metricAlarm, type Severity } from "./alarm";
import {
  envSizeBytes,
  LAMBDA_ENV_MAX_BYTES,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  SCHEDULER_INPUT_MAX_CHARS,
} from "./aws-limits";
import { bundleJob } from "./lambda-bundle";
import { physicalName } from "./naming";
import {
  assertStatementsNarrow,
  type JobStatement,
  jobPolicyDocument,
  schedulerPolicyDocument,
  trustPolicy,
} from "./policies/job-role";

/** A JobStatement whose resources may still be unresolved outputs (ARNs built from the account id). */
export interface JobStatementInput extends Omit<JobStatement, "resources"> {
  readonly resources: readonly pulumi.Input<string>[];
}
import { dstGapWarnings, isValidTimezone, maxIntervalSeconds, parseScheduleExpression } from "./schedule";

export interface JobSchedule {
  /** Short id, unique within the job (daily, weekly, every-6h). */
  readonly name: string;
  readonly expression: string;
  readonly timezone: string;
  /** JSON input for the handler, e.g. `{ tier: "daily" }`; `scheduledTime` is added from the Scheduler context. */
  readonly input?: Record<string, unknown>;
  readonly description?: string;
}

export interface JobRetry {
  readonly schedulerMaxAttempts: number;
  readonly schedulerMaxEventAgeSeconds: number;
  readonly lambdaMaxRetries: number;
  readonly lambdaMaxEventAgeSeconds: number;
}

/** What every job of a stack shares: its schedule group, log retention and keys, alarm routing, retries, tags. */
export interface JobDefaults {
  readonly scheduleGroupName: pulumi.Input<string>;
  readonly logRetentionDays: number;
  readonly logsKmsKeyArn: pulumi.Input<string>;
  readonly messagingKmsKeyArn: pulumi.Input<string>;
  readonly routing: AlarmRouting;
  readonly retry: JobRetry;
  readonly tags?: Record<string, string>;
}

/** The JobDefaults part of a component's args, to pass on to the jobs it creates. */
export function jobDefaultsOf(args: JobDefaults): JobDefaults {
  const { scheduleGroupName, logRetentionDays, logsKmsKeyArn, messagingKmsKeyArn, routing, retry, tags } =
    args;
  return {
    scheduleGroupName,
    logRetentionDays,
    logsKmsKeyArn,
    messagingKmsKeyArn,
    routing,
    retry,
    ...(tags ? { tags } : {}),
  };
}

export interface MaintenanceJobArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  /** Directory under lambdas/ holding handler.ts. */
  readonly job: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** 1 where runs must not overlap (anything that creates or deletes backups). */
  readonly reservedConcurrency: number;
  /** The job's settings, passed as JSON in JOB_CONFIG (never secrets: those stay in Secrets Manager). */
  readonly jobConfig: pulumi.Input<object>;
  readonly environment?: Record<string, string>;
  /** The job's own permissions: actions are static (checked before anything is declared), resources may be outputs. */
  readonly statements: readonly JobStatementInput[];
  readonly schedules: readonly JobSchedule[];
  /** Severity when successes stop arriving. @default "warning" (backups pass "critical") */
  readonly heartbeatSeverity?: Severity;
  /** Severity of errors and failed async invocations. @default "warning" */
  readonly failureSeverity?: Severity;
  readonly tags?: Record<string, string>;
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const HOUR = 3600;
/** CloudWatch evaluates at most 7 days of data for one alarm. */
const MAX_WINDOW = 7 * 86_400;

/** When successes must have arrived by: the longest gap between runs plus retries, the run itself and an hour. */
export function heartbeatWindowSeconds(
  schedules: readonly JobSchedule[],
  retry: JobRetry,
  timeoutSeconds: number,
  from: Date,
): number {
  const gaps = schedules
    .filter((s) => !s.input?.heartbeat)
    .map((s) => maxIntervalSeconds(s.expression, s.timezone, from));
  const gap = Math.min(...gaps);
  return gap + retry.schedulerMaxEventAgeSeconds + retry.lambdaMaxEventAgeSeconds + timeoutSeconds + HOUR;
}

/** Validates everything that would otherwise fail halfway through `pulumi up`, naming the job and the value. */
export function validateJobArgs(args: MaintenanceJobArgs): void {
  const where = `job ${args.job}`;
  if (args.timeoutSeconds < 1 || args.timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    throw new Error(
      `${where}: timeoutSeconds ${args.timeoutSeconds} must be 1-${LAMBDA_MAX_TIMEOUT_SECONDS}`,
    );
  }
  if (args.memoryMb < 128 || args.memoryMb > 10_240)
    throw new Error(`${where}: memoryMb ${args.memoryMb} must be 128-10240`);
  if (!Number.isInteger(args.reservedConcurrency) || args.reservedConcurrency < 1) {
    throw new Error(`${where}: reservedConcurrency must be a whole number >= 1`);
  }
  if (args.schedules.length === 0) throw new Error(`${where}: needs at least one schedule`);
  const names = new Set<string>();
  for (const s of args.schedules) {
    if (names.has(s.name)) throw new Error(`${where}: duplicate schedule name "${s.name}"`);
    names.add(s.name);
    try {
      parseScheduleExpression(s.expression);
    } catch (e) {
      throw new Error(`${where} schedule ${s.name}: ${(e as Error).message}`);
    }
    if (!isValidTimezone(s.timezone))
      throw new Error(`${where} schedule ${s.name}: "${s.timezone}" is not an IANA timezone`);
  }
  assertStatementsNarrow(
    args.job,
    args.statements.map((st) => ({
      ...st,
      resources: st.resources.map((r: pulumi.Input<string>) =>
        typeof r === "string" ? r : "(resolved later)",
      ),
    })),
  );
  for (const key of Object.keys(args.environment ?? {})) {
    if (SECRET_NAME.test(key)) {
      throw new Error(
        `${where}: environment variable ${key} looks like a secret; read it from Secrets Manager at run time`,
      );
    }
  }
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
    validateJobArgs(args);
    super("maintenance:jobs:MaintenanceJob", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const fnName = physicalName("lambdaFunction", args.namePrefix, args.job);
    this.logGroupName = `/aws/lambda/${fnName}`;
    const now = new Date();
    for (const s of args.schedules) {
      for (const w of dstGapWarnings(s.expression, s.timezone, now)) {
        this.warnings.push(
          `${fnName} schedule ${s.name} (${s.expression} ${s.timezone}) does not run on ${w.localDate}: ${w.localTime} does not exist there (DST)`,
        );
      }
    }
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

    const queueArgs = (queueName: string): aws.sqs.QueueArgs => ({
      name: queueName,
      kmsMasterKeyId: args.messagingKmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      // SQS's maximum: failed events stay 14 days for inspection and redrive.
      messageRetentionSeconds: 1_209_600,
      tags: args.tags,
    });
    const failureQueue = new aws.sqs.Queue(
      `${name}-failures`,
      queueArgs(physicalName("sqsQueue", args.namePrefix, args.job, "failures")),
      parent,
    );

    const window = heartbeatWindowSeconds(args.schedules, args.retry, args.timeoutSeconds, now);
    const ageWatched = window > MAX_WINDOW;
    const parameter = ageWatched
      ? new aws.ssm.Parameter(
          `${name}-last-success`,
          {
            name: `/maintenance/${args.stack}/${args.job}/last-success`,
            type: "String",
            value: "never",
            description: `Time of the last successful ${args.job} run (written by the job)`,
            tags: args.tags,
          },
          { parent: this, ignoreChanges: ["value"] },
        )
      : undefined;

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: physicalName("iamRole", args.namePrefix, args.job, "job"),
        assumeRolePolicy: identity.accountId.apply((a) =>
          JSON.stringify(trustPolicy("lambda.amazonaws.com", a)),
        ),
        tags: args.tags,
      },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([
            logGroup.arn,
            failureQueue.arn,
            args.messagingKmsKeyArn,
            parameter?.arn,
            pulumi.all(
              args.statements.map((st) =>
                pulumi.all([...st.resources]).apply((resources) => ({ ...st, resources })),
              ),
            ),
          ])
          .apply(([logGroupArn, failureQueueArn, messagingKeyArn, parameterArn, statements]) =>
            JSON.stringify(
              jobPolicyDocument(args.job, statements, {
                logGroupArn,
                failureQueueArn,
                messagingKeyArn,
                ...(parameterArn ? { lastSuccessParameterArn: parameterArn } : {}),
              }),
            ),
          ),
      },
      parent,
    );

    const environment: Record<string, pulumi.Input<string>> = {
      ...args.environment,
      JOB_CONFIG: pulumi.output(args.jobConfig).apply((c) => JSON.stringify(c)),
      POWERTOOLS_SERVICE_NAME: args.job,
      POWERTOOLS_METRICS_NAMESPACE: `Maintenance/${args.stack}`,
      ...(parameter ? { LAST_SUCCESS_PARAMETER: parameter.name } : {}),
    };
    const checkedEnv = pulumi.all(environment).apply((env) => {
      const size = envSizeBytes(env);
      if (size > LAMBDA_ENV_MAX_BYTES) {
        throw new Error(
          `job ${args.job}: environment is ${size} bytes; Lambda allows ${LAMBDA_ENV_MAX_BYTES} in total`,
        );
      }
      return env;
    });

    const bundle = bundleJob(args.job);
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: fnName,
        description: args.description,
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.FileArchive(bundle.dir),
        memorySize: args.memoryMb,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: args.reservedConcurrency,
        role: role.arn,
        environment: { variables: checkedEnv },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags: args.tags,
      },
      { parent: this, dependsOn: [logGroup, rolePolicy] },
    );

    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: fn.name,
        maximumRetryAttempts: args.retry.lambdaMaxRetries,
        maximumEventAgeInSeconds: args.retry.lambdaMaxEventAgeSeconds,
        destinationConfig: { onFailure: { destination: failureQueue.arn } },
      },
      parent,
    );

    // Scheduler: one role for the job's schedules, allowed only to invoke this function and write to their DLQs.
    const schedules = [...args.schedules];
    if (ageWatched) {
      // Hourly, not daily: an alarm needs a datapoint every period to tell "heartbeat stopped" from "not due yet".
      schedules.push({
        name: "heartbeat",
        expression: "rate(1 hour)",
        timezone: "UTC",
        input: { heartbeat: true },
      });
    }
    const dlqs = schedules.map(
      (s) =>
        new aws.sqs.Queue(
          `${name}-${s.name}-dlq`,
          queueArgs(physicalName("sqsQueue", args.namePrefix, args.job, s.name, "dlq")),
          parent,
        ),
    );
    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        name: physicalName("iamRole", args.namePrefix, args.job, "scheduler"),
        assumeRolePolicy: pulumi
          .all([identity.accountId, args.scheduleGroupName])
          .apply(([a, g]) =>
            JSON.stringify(
              trustPolicy("scheduler.amazonaws.com", a, `arn:aws:scheduler:*:${a}:schedule/${g}/*`),
            ),
          ),
        tags: args.tags,
      },
      parent,
    );
    const schedulerPolicy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: schedulerRole.name,
        policy: pulumi
          .all([fn.arn, pulumi.all(dlqs.map((q) => q.arn)), args.messagingKmsKeyArn])
          .apply(([fnArn, dlqArns, keyArn]) =>
            JSON.stringify(schedulerPolicyDocument(fnArn, dlqArns, keyArn)),
          ),
      },
      parent,
    );
    schedules.forEach((s, i) => {
      const input = JSON.stringify(
        s.input?.heartbeat ? s.input : { ...s.input, scheduledTime: "<aws.scheduler.scheduled-time>" },
      );
      if (input.length > SCHEDULER_INPUT_MAX_CHARS)
        throw new Error(`job ${args.job} schedule ${s.name}: input over ${SCHEDULER_INPUT_MAX_CHARS} chars`);
      new aws.scheduler.Schedule(
        `${name}-${s.name}`,
        {
          name: physicalName("schedule", args.namePrefix, args.job, s.name),
          groupName: args.scheduleGroupName,
          description: s.description ?? `${args.job}: ${s.name}`,
          scheduleExpression: s.expression,
          scheduleExpressionTimezone: s.timezone,
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            arn: fn.arn,
            roleArn: schedulerRole.arn,
            input,
            retryPolicy: {
              maximumRetryAttempts: args.retry.schedulerMaxAttempts,
              maximumEventAgeInSeconds: args.retry.schedulerMaxEventAgeSeconds,
            },
            deadLetterConfig: { arn: dlqs[i]!.arn },
          },
        },
        { parent: this, dependsOn: [schedulerPolicy] },
      );
    });

    this.createAlarms(name, args, fnName, failureQueue, dlqs, schedules, window, ageWatched);
    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
    this.registerOutputs({ functionName: this.functionName, functionArn: this.functionArn });
  }

  private createAlarms(
    name: string,
    args: MaintenanceJobArgs,
    fnName: string,
    failureQueue: aws.sqs.Queue,
    dlqs: aws.sqs.Queue[],
    schedules: JobSchedule[],
    window: number,
    ageWatched: boolean,
  ) {
    const parent = { parent: this };
    const fnDims = { FunctionName: fnName };
    const failure = args.failureSeverity ?? "warning";
    const lambdaMetric = (metricName: string, stat: string) => ({
      namespace: "AWS/Lambda",
      metricName,
      dimensions: fnDims,
      stat,
    });
    this.alarms.errors = metricAlarm(
      `${name}-errors`,
      anyInFiveMinutes(
        failure,
        "job-errors",
        `${args.job} failed (Lambda Errors) in ${fnName}.`,
        lambdaMetric("Errors", "Sum"),
      ),
      args.routing,
      parent,
    );
    this.alarms.throttles = metricAlarm(
      `${name}-throttles`,
      anyInFiveMinutes(
        "warning",
        "job-throttles",
        `${args.job} was throttled (reserved concurrency ${args.reservedConcurrency}) in ${fnName}.`,
        lambdaMetric("Throttles", "Sum"),
      ),
      args.routing,
      parent,
    );
    this.alarms.duration = metricAlarm(
      `${name}-duration`,
      {
        severity: "warning",
        page: "job-duration",
        summary: `${args.job} ran close to its ${args.timeoutSeconds}s timeout (p99 Duration over 80%) in ${fnName}.`,
        metric: lambdaMetric("Duration", "p99"),
        periodSeconds: 3600,
        evaluationPeriods: 1,
        threshold: Math.round(args.timeoutSeconds * 1000 * 0.8),
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
      args.routing,
      parent,
    );
    const queueDepth = (
      id: string,
      queue: aws.sqs.Queue,
      page: string,
      summary: string,
      severity: Severity,
    ) =>
      metricAlarm(
        id,
        {
          severity,
          page,
          summary,
          metric: {
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: queue.name },
            stat: "Maximum",
          },
          periodSeconds: 300,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
        args.routing,
        parent,
      );
    this.alarms.failures = queueDepth(
      `${name}-failures`,
      failureQueue,
      "job-failure-queue",
      `${args.job} invocations failed after all retries (failure queue not empty).`,
      failure,
    );
    schedules.forEach((s, i) => {
      this.alarms[`dlq-${s.name}`] = queueDepth(
        `${name}-${s.name}-dlq`,
        dlqs[i]!,
        "job-schedule-dlq",
        `Scheduler could not invoke ${args.job} for schedule ${s.name} (DLQ not empty).`,
        failure,
      );
    });
    const heartbeat = args.heartbeatSeverity ?? "warning";
    if (!ageWatched) {
      // N hourly periods with no success at all: N * 1h covers the longest gap between runs plus retries.
      const periods = Math.ceil(window / HOUR);
      this.alarms.heartbeat = metricAlarm(
        `${name}-heartbeat`,
        {
          severity: heartbeat,
          page: "job-heartbeat",
          summary: `${args.job} has not succeeded for ${Math.round(window / HOUR)}h (its schedule expects a success sooner).`,
          metric: {
            namespace: `Maintenance/${args.stack}`,
            metricName: "JobSucceeded",
            dimensions: { service: args.job },
            stat: "Sum",
          },
          periodSeconds: HOUR,
          evaluationPeriods: periods,
          datapointsToAlarm: periods,
          threshold: 1,
          comparisonOperator: "LessThanThreshold",
          treatMissingData: "breaching",
        },
        args.routing,
        parent,
      );
    } else {
      this.alarms.heartbeat = metricAlarm(
        `${name}-last-success-age`,
        {
          severity: heartbeat,
          page: "job-heartbeat",
          summary: `${args.job} has not succeeded for over ${Math.round(window / 86_400)} days (age of last success).`,
          metric: {
            namespace: `Maintenance/${args.stack}`,
            metricName: "SecondsSinceLastSuccess",
            dimensions: { service: args.job },
            stat: "Maximum",
          },
          periodSeconds: HOUR,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          threshold: window,
          comparisonOperator: "GreaterThanThreshold",
          // No age datapoint for 3 hours means the heartbeat itself is broken: page.
          treatMissingData: "breaching",
        },
        args.routing,
        parent,
      );
    }
  }
}
