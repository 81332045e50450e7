// How a job runs: the contract a zip Lambda, an image Lambda and a Fargate task each fulfil for MaintenanceJob.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { MaintenanceJobArgs } from "./job-args";

/** The job's shared parts, declared by MaintenanceJob before the compute; every way of running builds on them. */
export interface JobParts {
  /** The MaintenanceJob's name: every child is named from it. */
  readonly name: string;
  readonly args: MaintenanceJobArgs;
  /** The MaintenanceJob itself: every child's parent. */
  readonly parent: pulumi.ComponentResource;
  /** The physical function name (also the task family and the dashboard's key). */
  readonly fnName: string;
  readonly accountId: pulumi.Output<string>;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly logGroupName: string;
  readonly failureQueue: aws.sqs.Queue;
  /** The SSM parameter the job records its last success in, when its heartbeat watches that age. */
  readonly lastSuccess?: aws.ssm.Parameter;
  /** The job's environment, checked against Lambda's size limit. */
  readonly environment: pulumi.Output<Record<string, string>>;
}

/** What the schedules start, and how they start it. */
export interface JobCompute {
  /** The schedules' target: the function, or the cluster the task runs in. */
  readonly targetArn: pulumi.Output<string>;
  /** The function's name, or the task definition's family. */
  readonly id: pulumi.Output<string>;
  /** The role the job's own code runs as. */
  readonly roleArn: pulumi.Output<string>;
  /** The scheduler role's policy document: start this compute, dead-letter to the schedules' queues. */
  schedulerPolicy(dlqArns: pulumi.Output<string[]>): pulumi.Output<string>;
  /** The run-specific part of a schedule's target for one event: the input as this compute takes it, ECS parameters. */
  scheduleTarget(event: string): {
    readonly input: string;
    readonly ecsParameters?: aws.types.input.scheduler.ScheduleTargetEcsParameters;
  };
}

/** One way of running a job. A new way is one more implementation of this, not another branch in MaintenanceJob. */
export interface JobRunner {
  /** Checks what this way of running needs, before anything is declared (after the arguments every job shares). */
  validate(args: MaintenanceJobArgs, where: string): void;
  /** The log group the job writes to. */
  logGroupName(args: MaintenanceJobArgs, fnName: string): string;
  /** Environment variables this way of running adds. */
  environment(args: MaintenanceJobArgs): Record<string, string>;
  /** Declares the compute and the role its code runs as. */
  declare(parts: JobParts): JobCompute;
  /** Alarms on the compute's own metrics. */
  alarms(
    parts: Pick<JobParts, "name" | "args" | "parent" | "fnName">,
  ): Record<string, aws.cloudwatch.MetricAlarm>;
  /** What a message in the failure queue means, for its alarm. */
  failureSummary(job: string): string;
}
