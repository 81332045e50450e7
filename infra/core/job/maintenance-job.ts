// The shape of every scheduled job: a bundled Lambda with its own log group, role, failure queue, EventBridge
// Scheduler schedules (each with retries and a DLQ), alarms, and a heartbeat that fires when successes stop.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, anyInFiveMinutes, metricAlarm, type Severity } from "../alarm";
import {
  envSizeBytes,
  LAMBDA_ENV_MAX_BYTES,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  SCHEDULER_INPUT_MAX_CHARS,
} from "../aws-limits";
import { bundleJob } from "../lambda-bundle";
import { physicalName } from "../naming";
import { eventsToQueuePolicy } from "../policies/service-access";
import {
  assertStatementsNarrow,
  fargateSchedulerPolicyDocument,
  type JobStatement,
  jobPolicyDocument,
  schedulerPolicyDocument,
  taskExecutionPolicyDocument,
  trustPolicy,
} from "../policies/job-role";

/** A JobStatement whose resources may still be unresolved outputs (ARNs built from the account id). */
export interface JobStatementInput extends Omit<JobStatement, "resources"> {
  readonly resources: readonly pulumi.Input<string>[];
}
import { dstGapWarnings, isValidTimezone, maxIntervalSeconds, parseScheduleExpression } from "../schedule";

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

/** A job that runs as a container image instead of a zip bundle (it needs tools Lambda's runtime lacks). */
export interface JobImage {
  /** Image URI pinned by digest (`<repo>@sha256:...`), so a deploy runs exactly the image that was built. */
  readonly uri: pulumi.Input<string>;
  /** Lambda: the handler (`index.handler`). Fargate: the container entry point (`node main.js`). */
  readonly commands: readonly string[];
  /** The ECR repository, for a Fargate task's permission to pull. */
  readonly repositoryArn: pulumi.Input<string>;
}

/** Private subnets and security groups the job runs in (a database the internet cannot reach). */
export interface JobNetwork {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** Run on Fargate, started by the schedules through EventBridge Scheduler's ECS RunTask target. */
export interface FargateRun {
  readonly clusterArn: pulumi.Input<string>;
  readonly cpu: number;
  readonly memoryMb: number;
  /** Environment variable the schedule's input arrives in (a container override). */
  readonly eventVariable: string;
  /** The task ends itself (as a failure) after this long; passed as JOB_DEADLINE_SECONDS. */
  readonly deadlineSeconds: number;
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
  /** @default the esbuild bundle of lambdas/<job>/handler.ts */
  readonly image?: JobImage;
  readonly network?: JobNetwork;
  /** Run as a Fargate task (needs `image`) instead of a Lambda function. */
  readonly fargate?: FargateRun;
}

/** The container's name in a Fargate job's task definition (container overrides address it by name). */
export const FARGATE_CONTAINER = "job";

type RunTarget =
  | { readonly kind: "lambda" }
  | {
      readonly kind: "fargate";
      readonly taskDefinitionArn: pulumi.Output<string>;
      readonly taskFamilyArn: pulumi.Output<string>;
      readonly subnets: readonly string[];
      readonly securityGroups: readonly string[];
      readonly eventVariable: string;
      readonly passRoleArns: readonly pulumi.Output<string>[];
    };

/** ECS "Task State Change" events of this family's tasks on this cluster that stopped with an error or never started. */
export function taskFailedEventPattern(clusterArn: string, taskDefinitionArnPrefix: string) {
  return {
    source: ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    detail: {
      clusterArn: [clusterArn],
      taskDefinitionArn: [{ prefix: taskDefinitionArnPrefix }],
      lastStatus: ["STOPPED"],
      $or: [{ stopCode: ["TaskFailedToStart"] }, { containers: { exitCode: [{ "anything-but": 0 }] } }],
    },
  };
}

/** The task definition's one container: the job image, its entry point, env, and logs to the job's log group. */
export function fargateContainerDefinitions(c: {
  readonly image: string;
  readonly entryPoint: readonly string[];
  readonly environment: Record<string, string>;
  readonly logGroupName: string;
  readonly region: string;
  readonly streamPrefix: string;
}): object[] {
  return [
    {
      name: FARGATE_CONTAINER,
      image: c.image,
      essential: true,
      entryPoint: [...c.entryPoint],
      environment: Object.entries(c.environment)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      // The dump streams from the tool to S3; nothing is written to disk.
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": c.logGroupName,
          "awslogs-region": c.region,
          "awslogs-stream-prefix": c.streamPrefix,
        },
      },
    },
  ];
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const HOUR = 3600;
/** CloudWatch evaluates at most 7 days of data for one alarm. */
export const MAX_WINDOW = 7 * 86_400;

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

/** The longest one run may take: Lambda's timeout, or a Fargate task's own deadline. */
const runSecondsOf = (args: MaintenanceJobArgs) =>
  args.fargate ? args.fargate.deadlineSeconds : args.timeoutSeconds;

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
  if (args.fargate && !args.image)
    throw new Error(`${where}: a Fargate job runs a container image; set image`);
  if (args.fargate && !args.network)
    throw new Error(`${where}: a Fargate task needs subnets and security groups (network)`);
  if (
    args.fargate &&
    heartbeatWindowSeconds(args.schedules, args.retry, runSecondsOf(args), new Date()) > MAX_WINDOW
  ) {
    // The age-of-last-success heartbeat is an hourly run of the job itself: too costly as a Fargate task.
    throw new Error(
      `${where}: a Fargate job needs a schedule that runs at least every ${Math.floor(MAX_WINDOW / 86_400) - 1} days, so its heartbeat alarm can watch it`,
    );
  }
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
    // Lambda writes to /aws/lambda/<name>; a Fargate task to the log group its task definition names.
    this.logGroupName = args.fargate ? `/maintenance/${args.stack}/${args.job}` : `/aws/lambda/${fnName}`;
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
    // Lambda: the async failure destination. Fargate: ECS "task stopped" events of failed tasks (an OOM kill or a
    // failed image pull never reaches the job's own code to report it).
    const failureQueue = new aws.sqs.Queue(
      `${name}-failures`,
      queueArgs(physicalName("sqsQueue", args.namePrefix, args.job, "failures")),
      parent,
    );

    const window = heartbeatWindowSeconds(args.schedules, args.retry, runSecondsOf(args), now);
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
          JSON.stringify(trustPolicy(args.fargate ? "ecs-tasks.amazonaws.com" : "lambda.amazonaws.com", a)),
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
            // Only a Lambda sends to its failure queue itself (async destination); EventBridge feeds a Fargate one.
            args.fargate ? undefined : failureQueue.arn,
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
                // The task role never writes logs itself: the execution role's awslogs driver does.
                ...(args.fargate ? {} : { logGroupArn }),
                ...(failureQueueArn ? { failureQueueArn } : {}),
                messagingKeyArn,
                ...(parameterArn ? { lastSuccessParameterArn: parameterArn } : {}),
              }),
            ),
          ),
      },
      parent,
    );

    // ENIs in the job's subnets: AWS's managed policy, because ec2:DescribeNetworkInterfaces works only on
    // Resource "*" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
    const vpcAccess =
      args.network && !args.fargate
        ? new aws.iam.RolePolicyAttachment(
            `${name}-vpc-access`,
            {
              role: role.name,
              policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            },
            parent,
          )
        : undefined;

    const environment: Record<string, pulumi.Input<string>> = {
      ...args.environment,
      JOB_CONFIG: pulumi.output(args.jobConfig).apply((c) => JSON.stringify(c)),
      POWERTOOLS_SERVICE_NAME: args.job,
      POWERTOOLS_METRICS_NAMESPACE: `Maintenance/${args.stack}`,
      ...(parameter ? { LAST_SUCCESS_PARAMETER: parameter.name } : {}),
      ...(args.fargate ? { JOB_DEADLINE_SECONDS: String(args.fargate.deadlineSeconds) } : {}),
    };
    const checkedEnv = pulumi.all(environment).apply((env) => {
      const size = envSizeBytes(env);
      if (size > LAMBDA_ENV_MAX_BYTES) {
        throw new Error(
          `job ${args.job}: environment is ${size} bytes as Lambda counts it (the JSON of all variables, JOB_CONFIG's quotes escaped); Lambda allows ${LAMBDA_ENV_MAX_BYTES}`,
        );
      }
      return env;
    });

    let target: { arn: pulumi.Output<string>; id: pulumi.Output<string>; run: RunTarget };
    if (args.fargate) {
      const fargate = args.fargate;
      const image = args.image!;
      const network = args.network!;
      const executionRole = new aws.iam.Role(
        `${name}-execution-role`,
        {
          name: physicalName("iamRole", args.namePrefix, args.job, "exec"),
          assumeRolePolicy: identity.accountId.apply((a) =>
            JSON.stringify(trustPolicy("ecs-tasks.amazonaws.com", a)),
          ),
          tags: args.tags,
        },
        parent,
      );
      const executionPolicy = new aws.iam.RolePolicy(
        `${name}-execution-policy`,
        {
          role: executionRole.name,
          policy: pulumi
            .all([image.repositoryArn, logGroup.arn])
            .apply(([repo, lg]) => JSON.stringify(taskExecutionPolicyDocument(repo, lg))),
        },
        parent,
      );
      const region = aws.getRegionOutput({}, parent).region;
      const family = physicalName("lambdaFunction", args.namePrefix, args.job);
      const task = new aws.ecs.TaskDefinition(
        `${name}-task`,
        {
          family,
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: String(fargate.cpu),
          memory: String(fargate.memoryMb),
          // The image is built for arm64, like the Lambda jobs.
          runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
          executionRoleArn: executionRole.arn,
          taskRoleArn: role.arn,
          containerDefinitions: pulumi.all([image.uri, checkedEnv, region]).apply(([uri, env, r]) =>
            JSON.stringify(
              fargateContainerDefinitions({
                image: uri,
                entryPoint: image.commands,
                environment: env,
                logGroupName: this.logGroupName,
                region: r,
                streamPrefix: args.job,
              }),
            ),
          ),
          tags: args.tags,
        },
        { parent: this, dependsOn: [logGroup, rolePolicy, executionPolicy] },
      );
      // Failed tasks of this family on this cluster land in the failure queue: a non-zero exit of any container
      // (an OOM kill is 137) or a task that never started (image pull, ENI, capacity).
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
      const stopped = new aws.cloudwatch.EventRule(
        `${name}-task-failed`,
        {
          name: physicalName("eventRule", args.namePrefix, args.job, "task-failed"),
          description: `${args.job}: ECS tasks that stopped with an error or failed to start`,
          eventPattern: pulumi
            .all([fargate.clusterArn, region, identity.accountId])
            .apply(([clusterArn, r, account]) =>
              JSON.stringify(
                taskFailedEventPattern(clusterArn, `arn:aws:ecs:${r}:${account}:task-definition/${family}:`),
              ),
            ),
          tags: args.tags,
        },
        parent,
      );
      new aws.sqs.QueuePolicy(
        `${name}-failures-policy`,
        {
          queueUrl: failureQueue.url,
          policy: pulumi
            .all([failureQueue.arn, stopped.arn])
            .apply(([queueArn, ruleArn]) => JSON.stringify(eventsToQueuePolicy(queueArn, ruleArn))),
        },
        parent,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-task-failed-target`,
        { rule: stopped.name, arn: failureQueue.arn },
        parent,
      );
      target = {
        arn: pulumi.output(fargate.clusterArn),
        id: task.family,
        run: {
          kind: "fargate",
          taskDefinitionArn: task.arn,
          subnets: network.subnetIds,
          securityGroups: network.securityGroupIds,
          eventVariable: fargate.eventVariable,
          passRoleArns: [role.arn, executionRole.arn],
          taskFamilyArn: pulumi.interpolate`arn:aws:ecs:${region}:${identity.accountId}:task-definition/${family}`,
        },
      };
    } else {
      const fn = new aws.lambda.Function(
        `${name}-fn`,
        {
          name: fnName,
          description: args.description,
          architectures: ["arm64"],
          ...(args.image
            ? {
                packageType: "Image",
                imageUri: args.image.uri,
                imageConfig: { commands: [...args.image.commands] },
              }
            : {
                runtime: "nodejs24.x",
                handler: "index.handler",
                code: new pulumi.asset.FileArchive(bundleJob(args.job).dir),
              }),
          memorySize: args.memoryMb,
          timeout: args.timeoutSeconds,
          reservedConcurrentExecutions: args.reservedConcurrency,
          role: role.arn,
          environment: { variables: checkedEnv },
          loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
          ...(args.network
            ? {
                vpcConfig: {
                  subnetIds: [...args.network.subnetIds],
                  securityGroupIds: [...args.network.securityGroupIds],
                },
              }
            : {}),
          tags: args.tags,
        },
        { parent: this, dependsOn: [logGroup, rolePolicy, ...(vpcAccess ? [vpcAccess] : [])] },
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
      target = { arn: fn.arn, id: fn.name, run: { kind: "lambda" } };
    }

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
        policy:
          target.run.kind === "lambda"
            ? pulumi
                .all([target.arn, pulumi.all(dlqs.map((q) => q.arn)), args.messagingKmsKeyArn])
                .apply(([fnArn, dlqArns, keyArn]) =>
                  JSON.stringify(schedulerPolicyDocument(fnArn, dlqArns, keyArn)),
                )
            : pulumi
                .all([
                  target.run.taskFamilyArn,
                  target.arn,
                  pulumi.all([...target.run.passRoleArns]),
                  pulumi.all(dlqs.map((q) => q.arn)),
                  args.messagingKmsKeyArn,
                ])
                .apply(([taskFamilyArn, clusterArn, passRoleArns, dlqArns, messagingKeyArn]) =>
                  JSON.stringify(
                    fargateSchedulerPolicyDocument({
                      taskFamilyArn,
                      clusterArn,
                      passRoleArns,
                      dlqArns,
                      messagingKeyArn,
                    }),
                  ),
                ),
      },
      parent,
    );
    schedules.forEach((s, i) => {
      const event = JSON.stringify(
        s.input?.heartbeat ? s.input : { ...s.input, scheduledTime: "<aws.scheduler.scheduled-time>" },
      );
      const run = target.run;
      // An ECS target's input is the RunTask overrides: the event reaches the container as an environment variable.
      const input =
        run.kind === "lambda"
          ? event
          : JSON.stringify({
              containerOverrides: [
                { name: FARGATE_CONTAINER, environment: [{ name: run.eventVariable, value: event }] },
              ],
            });
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
            arn: target.arn,
            roleArn: schedulerRole.arn,
            input,
            ...(run.kind === "fargate"
              ? {
                  ecsParameters: {
                    taskDefinitionArn: run.taskDefinitionArn,
                    launchType: "FARGATE",
                    platformVersion: "LATEST",
                    taskCount: 1,
                    networkConfiguration: {
                      subnets: [...run.subnets],
                      securityGroups: [...run.securityGroups],
                      // Private subnets: S3 and Secrets Manager are reached through NAT or VPC endpoints.
                      assignPublicIp: false,
                    },
                  },
                }
              : {}),
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
    this.functionName = target.id;
    this.functionArn = target.arn;
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
    // Lambda's own metrics; a Fargate job's failures show in its failure queue, BackupFailed metric and heartbeat.
    if (!args.fargate) {
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
    }
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
      args.fargate
        ? `${args.job} Fargate tasks stopped with an error or failed to start (failure queue not empty).`
        : `${args.job} invocations failed after all retries (failure queue not empty).`,
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
