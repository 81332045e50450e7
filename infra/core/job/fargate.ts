// A job that runs as a Fargate task: the task definition (the job image, read-only root, logs to the job's group),
// its task and execution roles, and the rule that sends tasks that failed or never started to the failure queue.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../naming";
import { fargateSchedulerPolicyDocument, taskExecutionPolicyDocument } from "../policies/job-role";
import { eventsToQueuePolicy } from "../policies/service-access";
import { heartbeatWindowSeconds, MAX_WINDOW, runSecondsOf } from "./heartbeat";
import type { FargateSidecar, MaintenanceJobArgs } from "./job-args";
import { declareJobRole, serviceRole } from "./role";
import type { JobCompute, JobParts, JobRunner } from "./runner";

/** The container's name in a Fargate job's task definition (container overrides address it by name). */
export const FARGATE_CONTAINER = "job";

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
/** The task volume a job with `scratchPath` writes to (on the task's ephemeral storage). */
export const SCRATCH_VOLUME = "scratch";

export function fargateContainerDefinitions(c: {
  readonly image: string;
  readonly entryPoint: readonly string[];
  readonly environment: Record<string, string>;
  readonly logGroupName: string;
  readonly region: string;
  readonly streamPrefix: string;
  readonly sidecar?: FargateSidecar & { readonly image: string };
  readonly scratchPath?: string;
}): object[] {
  const logs = (prefix: string) => ({
    logDriver: "awslogs",
    options: {
      "awslogs-group": c.logGroupName,
      "awslogs-region": c.region,
      "awslogs-stream-prefix": prefix,
    },
  });
  const sidecar = c.sidecar;
  return [
    {
      name: FARGATE_CONTAINER,
      image: c.image,
      essential: true,
      entryPoint: [...c.entryPoint],
      environment: Object.entries(c.environment)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      // The dump streams from the tool to S3; nothing is written to disk (a drill writes to its scratch volume only).
      readonlyRootFilesystem: true,
      ...(c.scratchPath
        ? { mountPoints: [{ sourceVolume: SCRATCH_VOLUME, containerPath: c.scratchPath, readOnly: false }] }
        : {}),
      ...(sidecar ? { dependsOn: [{ containerName: sidecar.name, condition: "HEALTHY" }] } : {}),
      logConfiguration: logs(c.streamPrefix),
    },
    ...(sidecar
      ? [
          {
            name: sidecar.name,
            image: sidecar.image,
            // The task ends when the job's container does; the sidecar goes with it.
            essential: false,
            command: [...sidecar.command],
            environment: Object.entries(sidecar.environment)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([name, value]) => ({ name, value })),
            healthCheck: {
              command: [...sidecar.healthCheck],
              interval: 10,
              timeout: 5,
              retries: 6,
              startPeriod: sidecar.startPeriodSeconds,
            },
            // A database writes its data directory: on the task's ephemeral storage, gone with the task.
            readonlyRootFilesystem: false,
            logConfiguration: logs(`${c.streamPrefix}-${sidecar.name}`),
          },
        ]
      : []),
  ];
}

function validateFargate(args: MaintenanceJobArgs, where: string): void {
  if (args.invokedBy)
    throw new Error(`${where}: invokedBy needs a Lambda job (a service invokes a function)`);
  if (!args.image) throw new Error(`${where}: a Fargate job runs a container image; set image`);
  if (!args.network) throw new Error(`${where}: a Fargate task needs subnets and security groups (network)`);
  const storage = args.fargate?.ephemeralStorageGiB;
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-storage.html: 21-200 GiB when set.
  if (storage !== undefined && (!Number.isInteger(storage) || storage < 21 || storage > 200))
    throw new Error(
      `${where}: ephemeral storage ${storage} GiB must be a whole number 21-200 (Fargate's range)`,
    );
  const start = args.fargate?.sidecar?.startPeriodSeconds;
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html: startPeriod 0-300 seconds.
  if (start !== undefined && (start < 0 || start > 300))
    throw new Error(`${where}: the sidecar's health check start period ${start}s must be 0-300`);
  if (
    !args.heartbeatWatchedBy &&
    heartbeatWindowSeconds(args.schedules, args.retry, runSecondsOf(args), new Date()) > MAX_WINDOW
  ) {
    // The age-of-last-success heartbeat is an hourly run of the job itself: too costly as a Fargate task.
    throw new Error(
      `${where}: a Fargate job needs a schedule that runs at least every ${Math.floor(MAX_WINDOW / 86_400) - 1} days, so its heartbeat alarm can watch it`,
    );
  }
}

/** The task definition and its execution role; the schedules start it through Scheduler's ECS target. */
function declareTask(p: JobParts): JobCompute {
  const { name, args } = p;
  const parent = { parent: p.parent };
  const fargate = args.fargate!;
  const image = args.image!;
  const network = args.network!;
  const { role, rolePolicy } = declareJobRole(p, "ecs-tasks.amazonaws.com", false, false);
  // ECS pulls the image and writes the logs as this role; the job's own code never gets it.
  const executionRole = serviceRole(p, "execution-role", "exec", "ecs-tasks.amazonaws.com");
  const executionPolicy = new aws.iam.RolePolicy(
    `${name}-execution-policy`,
    {
      role: executionRole.name,
      policy: pulumi
        .all([image.repositoryArn, p.logGroup.arn])
        .apply(([repo, lg]) => JSON.stringify(taskExecutionPolicyDocument(repo, lg))),
    },
    parent,
  );
  const region = aws.getRegionOutput({}, parent).region;
  const family = p.fnName;
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
      containerDefinitions: pulumi
        .all([image.uri, p.environment, region, fargate.sidecar?.image ?? ""])
        .apply(([uri, env, r, sidecarImage]) =>
          JSON.stringify(
            fargateContainerDefinitions({
              image: uri,
              entryPoint: image.commands,
              environment: env,
              logGroupName: p.logGroupName,
              region: r,
              streamPrefix: args.job,
              ...(fargate.sidecar ? { sidecar: { ...fargate.sidecar, image: sidecarImage } } : {}),
              ...(fargate.scratchPath ? { scratchPath: fargate.scratchPath } : {}),
            }),
          ),
        ),
      ...(fargate.ephemeralStorageGiB
        ? { ephemeralStorage: { sizeInGib: fargate.ephemeralStorageGiB } }
        : {}),
      ...(fargate.scratchPath ? { volumes: [{ name: SCRATCH_VOLUME }] } : {}),
      tags: args.tags,
    },
    { parent: p.parent, dependsOn: [p.logGroup, rolePolicy, executionPolicy] },
  );
  routeTaskFailures(p, family, region);
  const taskFamilyArn = pulumi.interpolate`arn:aws:ecs:${region}:${p.accountId}:task-definition/${family}`;
  const passRoleArns = [role.arn, executionRole.arn];
  return {
    targetArn: pulumi.output(fargate.clusterArn),
    id: task.family,
    roleArn: role.arn,
    // Scheduler may run only this family on this cluster, passing only its two roles.
    schedulerPolicy: (dlqArns) =>
      pulumi
        .all([taskFamilyArn, fargate.clusterArn, pulumi.all(passRoleArns), dlqArns, args.messagingKmsKeyArn])
        .apply(([familyArn, clusterArn, roleArns, dlqs, messagingKeyArn]) =>
          JSON.stringify(
            fargateSchedulerPolicyDocument({
              taskFamilyArn: familyArn,
              clusterArn,
              passRoleArns: roleArns,
              dlqArns: dlqs,
              messagingKeyArn,
            }),
          ),
        ),
    // An ECS target's input is the RunTask overrides: the event reaches the container as an environment variable.
    scheduleTarget: (event) => ({
      input: JSON.stringify({
        containerOverrides: [
          { name: FARGATE_CONTAINER, environment: [{ name: fargate.eventVariable, value: event }] },
        ],
      }),
      ecsParameters: {
        taskDefinitionArn: task.arn,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        taskCount: 1,
        networkConfiguration: {
          subnets: [...network.subnetIds],
          securityGroups: [...network.securityGroupIds],
          // Private subnets: S3 and Secrets Manager are reached through NAT or VPC endpoints.
          assignPublicIp: false,
        },
      },
    }),
  };
}

/**
 * Failed tasks of this family on this cluster land in the failure queue: a non-zero exit of any container (an OOM
 * kill is 137) or a task that never started (image pull, ENI, capacity); neither reaches the job's own code to report
 * it. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
function routeTaskFailures(p: JobParts, family: string, region: pulumi.Output<string>): void {
  const { name, args } = p;
  const parent = { parent: p.parent };
  const stopped = new aws.cloudwatch.EventRule(
    `${name}-task-failed`,
    {
      name: physicalName("eventRule", args.namePrefix, args.job, "task-failed"),
      description: `${args.job}: ECS tasks that stopped with an error or failed to start`,
      eventPattern: pulumi
        .all([args.fargate!.clusterArn, region, p.accountId])
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
      queueUrl: p.failureQueue.url,
      policy: pulumi
        .all([p.failureQueue.arn, stopped.arn])
        .apply(([queueArn, ruleArn]) => JSON.stringify(eventsToQueuePolicy(queueArn, ruleArn))),
    },
    parent,
  );
  new aws.cloudwatch.EventTarget(
    `${name}-task-failed-target`,
    { rule: stopped.name, arn: p.failureQueue.arn },
    parent,
  );
}

/** A container image on Fargate, for runs longer than Lambda's 15 minutes. */
export const fargateTask: JobRunner = {
  validate: validateFargate,
  // A Fargate task writes to the log group its task definition names.
  logGroupName: (args) => `/maintenance/${args.stack}/${args.job}`,
  environment: (args) => ({ JOB_DEADLINE_SECONDS: String(args.fargate!.deadlineSeconds) }),
  declare: declareTask,
  // A Fargate job's failures show in its failure queue, BackupFailed metric and heartbeat.
  alarms: () => ({}),
  failureSummary: (job) =>
    `${job} Fargate tasks stopped with an error or failed to start (failure queue not empty).`,
};
