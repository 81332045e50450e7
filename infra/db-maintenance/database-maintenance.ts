// Database maintenance jobs: per database a job `dbmaint-<db>` with one schedule per task, as a zip Lambda (reserved
// concurrency 1) or, for tasks that outlast Lambda's 15 minutes, a Fargate task running the same handler from the
// db-maintenance image in the stack's `<app>-dbmaint` cluster (the run lock on the database keeps runs from
// overlapping on either); the role it needs (its password; for rewriting tasks, reading where the verification job
// records the newest verified dump), and per task a failure alarm, plus a threshold alarm per check.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import {
  MAINTENANCE_METRICS,
  maintenanceConfigSchema,
  type MaintenanceWindow,
} from "../../lambdas/db-maintenance/config";
import { TIERS } from "../../lambdas/logical-backup/config";
import { anyInAnHour, type AlarmSpec, metricAlarm } from "../core/alarm";
import { type BuiltJobImage, declareJobImage } from "../core/job-image";
import {
  type JobDefaults,
  jobDefaultsOf,
  type JobStatementInput,
  MaintenanceJob,
  type MaintenanceJobArgs,
} from "../core/job/maintenance-job";
import type { MaintenanceDatabase } from "../config/db-maintenance";

/** What guards a database's rewriting tasks: its dump database, that database's RPO, and the dumps' buckets. */
export interface BackupGuardArgs {
  readonly database: string;
  readonly rpoHours: number;
  /** Tiers the dump writes (the prefixes whose objects the verifier tags). */
  readonly tiers: readonly string[];
  readonly bucketNames: readonly pulumi.Input<string>[];
  readonly bucketArns: readonly pulumi.Input<string>[];
}

export interface MaintainedDatabase {
  readonly config: MaintenanceDatabase;
  readonly timezone: string;
  /** Each heavy task's window, resolved from monitoring.maintenanceWindows (with its timezone). */
  readonly windows: Readonly<Record<string, MaintenanceWindow>>;
  readonly backup?: BackupGuardArgs;
}

export interface DatabaseMaintenanceArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  /** prod: protect the image repository from `pulumi destroy`. */
  readonly protect: boolean;
  readonly databases: readonly MaintainedDatabase[];
}

export const jobNameOf = (db: string) => `dbmaint-${db}`;

/** The db-maintenance image's one entry: the Fargate task runs `node /var/task/main.js`. */
export const MAINTENANCE_IMAGE_ENTRIES = { main: "main.ts" } as const;
export const MAINTENANCE_FARGATE_COMMAND = ["/var/lang/bin/node", "/var/task/main.js"] as const;

/** How one database's job runs: the zip Lambda, or the Fargate task in the stack's cluster. */
function runnerArgs(
  c: MaintenanceDatabase,
  fargate: { readonly cluster: aws.ecs.Cluster; readonly image: BuiltJobImage } | undefined,
): Pick<MaintenanceJobArgs, "image" | "fargate" | "reservedConcurrency"> {
  // One task of a database at a time: a VACUUM FULL never races an archive of the same tables. On Lambda reserved
  // concurrency 1 says so; a Fargate task has no such limit, so the run lock on the database does (run-lock.ts).
  if (c.runsOn !== "fargate" || !fargate) return { reservedConcurrency: 1 };
  return {
    reservedConcurrency: 1,
    image: {
      uri: fargate.image.uri,
      commands: MAINTENANCE_FARGATE_COMMAND,
      repositoryArn: fargate.image.repositoryArn,
    },
    fargate: {
      clusterArn: fargate.cluster.arn,
      cpu: c.fargate.cpu,
      memoryMb: c.fargate.memoryMb,
      eventVariable: "JOB_EVENT",
      deadlineSeconds: c.fargate.timeoutMinutes * 60,
    },
  };
}

/**
 * Exactly what one database's job may do: read its password; with a backup guard, list the dump prefixes the
 * verifier walks (every tier, as lambdas/logical-backup/verify.ts lists them) and read the dumps' tags (verified=ok).
 * It never reads a dump's bytes, so it needs no key.
 */
export function maintenanceStatements(d: MaintainedDatabase): JobStatementInput[] {
  const out: JobStatementInput[] = [
    {
      sid: "ReadDatabasePassword",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [d.config.connection.passwordSecretArn],
    },
  ];
  const b = d.backup;
  if (!b) return out;
  out.push(
    {
      sid: "ListVerifiedDumps",
      actions: ["s3:ListBucket"],
      resources: [...b.bucketArns],
      conditions: { StringEquals: { "s3:prefix": TIERS.map((t) => `${t}/${b.database}/`) } },
    },
    {
      sid: "ReadDumpVerdicts",
      actions: ["s3:GetObjectTagging"],
      resources: b.bucketArns.flatMap((arn) =>
        b.tiers.map((t) => pulumi.interpolate`${arn}/${t}/${b.database}/*`),
      ),
    },
  );
  return out;
}

/** A check's threshold as a CloudWatch comparison. */
const COMPARISON = {
  ">": "GreaterThanThreshold",
  ">=": "GreaterThanOrEqualToThreshold",
  "<": "LessThanThreshold",
  "<=": "LessThanOrEqualToThreshold",
} as const;

/** Per task: a failure alarm (failed, refused or gave up); per check with an alarm: its threshold on the value. */
export function taskAlarmSpecs(stack: string, d: MaintainedDatabase): { id: string; spec: AlarmSpec }[] {
  const job = jobNameOf(d.config.name);
  const metric = (metricName: string, task: string) => ({
    namespace: `Maintenance/${stack}`,
    metricName,
    dimensions: { service: job, Task: task },
    stat: "Maximum",
  });
  return d.config.tasks.flatMap(({ task }) => {
    const failed = {
      id: `${task.name}-failed`,
      spec: anyInAnHour(
        d.config.failureSeverity,
        "db-maintenance-failed",
        `Maintenance task ${task.name} (${task.kind}) of database ${d.config.name} failed, gave up on a lock or timeout, or refused to start.`,
        metric(MAINTENANCE_METRICS.failed, task.name),
      ),
    };
    if (task.kind !== "check" || !task.alarm) return [failed];
    const check: AlarmSpec = {
      severity: task.alarm.severity,
      page: "db-maintenance-check",
      summary: `Check ${task.name} of database ${d.config.name} is ${task.alarm.comparison} ${task.alarm.threshold}: ${task.alarm.summary}`,
      metric: metric(MAINTENANCE_METRICS.check, task.name),
      // A check runs rarely (weekly to quarterly): its one datapoint pages; no datapoint between runs is not a breach.
      periodSeconds: 3600,
      evaluationPeriods: 1,
      threshold: task.alarm.threshold,
      comparisonOperator: COMPARISON[task.alarm.comparison],
      treatMissingData: "notBreaching",
    };
    return [failed, { id: `${task.name}-check`, spec: check }];
  });
}

/** The job's config, checked against the job's own schema while planning. */
function jobConfig(d: MaintainedDatabase): pulumi.Output<z.infer<typeof maintenanceConfigSchema>> {
  const c = d.config;
  return pulumi.all([...(d.backup?.bucketNames ?? [])]).apply((buckets) => {
    const value = {
      database: c.name,
      connection: {
        engine: c.engine,
        host: c.connection.host,
        port: c.connection.port ?? (c.engine === "postgres" ? 5432 : 3306),
        databaseName: c.connection.database,
        user: c.connection.user,
        passwordSecretArn: c.connection.passwordSecretArn,
        ...(c.connection.sslMode ? { sslMode: c.connection.sslMode } : {}),
      },
      session: c.session,
      tasks: c.tasks.map((t) => ({ task: t.task, ...(t.window ? { window: d.windows[t.window] } : {}) })),
      ...(d.backup
        ? {
            backup: {
              buckets,
              database: d.backup.database,
              rpoSeconds: Math.round(d.backup.rpoHours * 3600),
            },
          }
        : {}),
    };
    const r = maintenanceConfigSchema.safeParse(value);
    if (!r.success)
      throw new Error(
        `maintenance job of ${c.name}: the config it would receive is invalid: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    return r.data;
  });
}

export class DatabaseMaintenance extends pulumi.ComponentResource {
  readonly warnings: string[] = [];
  /** Lambda function names of the jobs, for the dashboard. */
  readonly jobs: string[] = [];

  constructor(name: string, args: DatabaseMaintenanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:dbMaintenance:DatabaseMaintenance", name, {}, opts);
    const parent = { parent: this };
    const common = { stack: args.stack, namePrefix: args.namePrefix, ...jobDefaultsOf(args) };
    const fargate = args.databases.some((d) => d.config.runsOn === "fargate")
      ? {
          cluster: new aws.ecs.Cluster(
            `${name}-cluster`,
            {
              name: `${args.namePrefix}-dbmaint`,
              settings: [{ name: "containerInsights", value: "disabled" }],
              tags: args.tags,
            },
            parent,
          ),
          image: declareJobImage(this, `${name}-image`, {
            namePrefix: args.namePrefix,
            job: "db-maintenance",
            entries: MAINTENANCE_IMAGE_ENTRIES,
            // Only the Fargate tasks run it (the Lambda jobs run the zip): they pull with their execution role.
            lambdaPulls: false,
            protect: args.protect,
            ...(args.tags ? { tags: args.tags } : {}),
          }),
        }
      : undefined;
    for (const d of args.databases) {
      const c = d.config;
      const job = jobNameOf(c.name);
      const maintenance = new MaintenanceJob(
        `${name}-${c.name}`,
        {
          ...common,
          job,
          codeDir: "db-maintenance",
          description: `Maintenance tasks of database ${c.name} (${c.tasks.map((t) => t.task.kind).join(", ")})`,
          memoryMb: c.memoryMb,
          timeoutSeconds: c.timeoutSeconds,
          ...runnerArgs(c, fargate),
          jobConfig: jobConfig(d),
          statements: maintenanceStatements(d),
          schedules: c.tasks.map((t) => ({
            name: t.task.name,
            expression: t.schedule,
            timezone: d.timezone,
            input: { task: t.task.name },
            description: `${t.task.kind} ${t.task.name} of ${c.name}`,
          })),
          failureSeverity: c.failureSeverity,
          ...(c.network ? { network: c.network } : {}),
        },
        parent,
      );
      this.warnings.push(...maintenance.warnings);
      // The dashboard's job widgets read Lambda's metrics: a Fargate job has none.
      if (c.runsOn !== "fargate") this.jobs.push(job);
      for (const { id, spec } of taskAlarmSpecs(args.stack, d))
        metricAlarm(`${name}-${c.name}-${id}`, spec, args.routing, parent);
    }
    this.registerOutputs({});
  }
}
