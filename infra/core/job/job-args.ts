// What a maintenance job is given: what it runs and how, when, with which permissions, and what every job of a stack shares.
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmRouting, Severity } from "../alarm";
import type { JobStatement } from "../policies/job-role";
import type { ScheduleCatalog } from "../schedule-catalog";

/** A JobStatement whose resources may still be unresolved outputs (ARNs built from the account id). */
export interface JobStatementInput extends Omit<JobStatement, "resources"> {
  readonly resources: readonly pulumi.Input<string>[];
}

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
  /** Where each declared schedule is listed by its physical name, so reminders can announce it. @default not listed */
  readonly scheduleCatalog?: ScheduleCatalog;
}

/** The JobDefaults part of a component's args, to pass on to the jobs it creates. */
export function jobDefaultsOf(args: JobDefaults): JobDefaults {
  const { scheduleGroupName, logRetentionDays, logsKmsKeyArn, messagingKmsKeyArn, routing, retry, tags } =
    args;
  const catalog = args.scheduleCatalog;
  return {
    scheduleGroupName,
    logRetentionDays,
    logsKmsKeyArn,
    messagingKmsKeyArn,
    routing,
    retry,
    ...(tags ? { tags } : {}),
    ...(catalog ? { scheduleCatalog: catalog } : {}),
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
  /** A second container the job needs (a throwaway database): the job starts once its health check passes. */
  readonly sidecar?: FargateSidecar;
  /** The task's ephemeral storage (Fargate: 21-200 GiB). @default Fargate's 20 GiB */
  readonly ephemeralStorageGiB?: number;
  /** A writable task volume mounted here in the job's container (its root filesystem stays read-only). */
  readonly scratchPath?: string;
}

/** A non-essential container beside the job's, on the task's loopback. */
export interface FargateSidecar {
  readonly name: string;
  /** Pinned by digest (`<image>@sha256:...`), like the job's own image. */
  readonly image: pulumi.Input<string>;
  readonly command: readonly string[];
  readonly environment: Record<string, string>;
  /** ECS container health check command (`CMD-SHELL ...`); the job container waits for HEALTHY. */
  readonly healthCheck: readonly string[];
  /** Seconds the sidecar may take to start before failed checks count (ECS allows 0-300). */
  readonly startPeriodSeconds: number;
}

export interface MaintenanceJobArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  /** The job's name (function name, metrics' `service`); also the directory under lambdas/ unless `codeDir` says. */
  readonly job: string;
  /** Directory under lambdas/ holding handler.ts, when several jobs run one code. @default job */
  readonly codeDir?: string;
  /**
   * An AWS service that invokes the function itself instead of a schedule (Secrets Manager calls a rotation
   * function): a Lambda permission for that service acting for this account. A job with no schedules has no
   * heartbeat of its own; whoever declares it watches it another way. Lambda only.
   */
  readonly invokedBy?: "secretsmanager.amazonaws.com";
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
  /**
   * Another job reports how long ago this one last succeeded, and alarms on it (a quarterly Fargate drill, far
   * beyond CloudWatch's 7-day window, whose hourly age report is a small Lambda): this job then gets no heartbeat
   * schedule, parameter or alarm of its own. The value names that job, for reviewers.
   */
  readonly heartbeatWatchedBy?: string;
}
