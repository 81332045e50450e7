// Config section `maintenance:databaseMaintenance`: per database, how the maintenance job connects, and its list of
// tasks (VACUUM, ANALYZE, REINDEX, rebuild, archive, purge, check, bloat report), each with its own schedule.
import { z } from "zod";
import {
  ENGINE_KINDS,
  isHeavy,
  REPORT_MARGIN_SECONDS,
  REWRITING_KINDS,
  sessionLimitsSchema,
  taskSchema,
} from "../../lambdas/db-maintenance/config";
import {
  databaseConnection,
  fargateTask,
  jobNetwork,
  refuseDuplicateNames,
  scheduleExpression,
  timezone,
} from "./rules";

/** What a run may take on its runner: Lambda's timeout, or a Fargate task's own deadline (it has none of its own). */
export const runLimitSeconds = (d: Pick<MaintenanceDatabase, "runsOn" | "timeoutSeconds" | "fargate">) =>
  d.runsOn === "fargate" ? d.fargate.timeoutMinutes * 60 : d.timeoutSeconds;

/** A task as a stack file writes it: the job's task, when it runs, and (heavy tasks) the window it must run in. */
export const maintenanceTaskEntry = z
  .object({
    /** EventBridge Scheduler cron/rate, in the database's timezone. */
    schedule: scheduleExpression,
    /** A `monitoring.maintenanceWindows` name; required for heavy tasks (rebuild, a reindex without CONCURRENTLY). */
    window: z.string().optional(),
  })
  .loose()
  .transform((entry, ctx) => {
    const { schedule, window, ...rest } = entry;
    const parsed = taskSchema.safeParse(rest);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ ...issue, code: "custom", message: issue.message, path: issue.path } as never);
      return z.NEVER;
    }
    return { schedule, ...(window !== undefined ? { window } : {}), task: parsed.data };
  });
export type MaintenanceTaskEntry = z.output<typeof maintenanceTaskEntry>;

export const maintenanceDatabase = z
  .object({
    /** Lowercase id used in names: the job is `dbmaint-<name>`. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a lowercase name"),
    engine: z.enum(["postgres", "mysql"]),
    /**
     * The `backups.databases[].name` whose verified dumps guard this database: a task that deletes or rewrites data
     * refuses to start while the newest verified dump is older than that database's RPO. Required for such tasks.
     */
    backupOf: z.string().optional(),
    /** A maintenance user (table owner in PostgreSQL), not the read-only backup user. */
    connection: databaseConnection,
    /** Private databases: the job runs in these subnets with these security groups. Required with runsOn: fargate. */
    network: jobNetwork.optional(),
    /**
     * `lambda` (the zip bundle) when every task finishes well within Lambda's 15 minutes; `fargate` (the same handler
     * in a container image) for a `VACUUM FULL` or a reindex of tables that outlast it. @default "lambda"
     */
    runsOn: z.enum(["lambda", "fargate"]).default("lambda"),
    /** The Fargate task's size, and the deadline after which it stops itself (and reports the task failed). */
    fargate: fargateTask({ cpu: 256, memoryMb: 512, timeoutMinutes: 240 }),
    /** @default the app's timezone */
    timezone: timezone.optional(),
    session: sessionLimitsSchema.default({
      lockTimeoutMs: 5000,
      statementTimeoutSeconds: 600,
      idleInTransactionSeconds: 60,
    }),
    /** Lambda's timeout for one task run (at most 900 s: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). */
    timeoutSeconds: z.int().min(60).max(900).default(900),
    memoryMb: z.int().min(128).max(10_240).default(512),
    /** Severity of a failed, refused or timed-out task. @default "warning" */
    failureSeverity: z.enum(["critical", "warning", "info"]).default("warning"),
    tasks: z.array(maintenanceTaskEntry).min(1).max(40),
  })
  .strict()
  .superRefine((d, ctx) => {
    const names = new Set<string>();
    for (const [i, t] of d.tasks.entries()) {
      const at = (key?: string) => ["tasks", i, ...(key ? [key] : [])];
      if (names.has(t.task.name))
        ctx.addIssue({ code: "custom", path: at("name"), message: `duplicate task "${t.task.name}"` });
      // The job's own hourly age report is the schedule "heartbeat" (infra/core/job/heartbeat.ts).
      if (t.task.name === "heartbeat")
        ctx.addIssue({
          code: "custom",
          path: at("name"),
          message: 'is reserved (the job\'s own "heartbeat" schedule)',
        });
      names.add(t.task.name);
      if (!ENGINE_KINDS[d.engine].includes(t.task.kind))
        ctx.addIssue({
          code: "custom",
          path: at("kind"),
          message: `${t.task.kind} is not a ${d.engine} task; ${d.engine} runs ${ENGINE_KINDS[d.engine].join(", ")}`,
        });
      if (d.engine === "mysql" && (t.task.kind === "analyze" || t.task.kind === "rebuild") && !t.task.tables)
        ctx.addIssue({
          code: "custom",
          path: at("tables"),
          message: "MySQL's ANALYZE TABLE and rebuild need their tables listed",
        });
      if (REWRITING_KINDS.has(t.task.kind) && !d.backupOf)
        ctx.addIssue({
          code: "custom",
          path: at(),
          message: `${t.task.kind} deletes or rewrites data: set backupOf (the backups.databases[] entry whose newest verified dump must be within its RPO)`,
        });
      if (isHeavy(t.task) && !t.window)
        ctx.addIssue({
          code: "custom",
          path: at("window"),
          message: `required: ${t.task.kind}${t.task.kind === "reindex" ? " without CONCURRENTLY" : ""} is heavy and runs only inside a monitoring.maintenanceWindows window`,
        });
    }
    if (d.runsOn === "fargate" && !d.network)
      ctx.addIssue({
        code: "custom",
        path: ["network"],
        message:
          "required with runsOn: fargate (a Fargate task runs in your subnets, with your security groups)",
      });
    // A statement must time out itself, and the run report, before its runner ends it: Lambda at its timeout, a
    // Fargate task at its deadline (main.ts exits then).
    const limit = runLimitSeconds(d);
    const runner =
      d.runsOn === "fargate"
        ? { key: "fargate.timeoutMinutes * 60", ends: "the Fargate task stops itself" }
        : { key: "timeoutSeconds", ends: "Lambda ends it" };
    if (d.session.statementTimeoutSeconds > limit - REPORT_MARGIN_SECONDS)
      ctx.addIssue({
        code: "custom",
        path: ["session", "statementTimeoutSeconds"],
        message: `must be at most ${runner.key} - ${REPORT_MARGIN_SECONDS} (${limit - REPORT_MARGIN_SECONDS}), so a statement stops and the run reports before ${runner.ends}`,
      });
    for (const [i, t] of d.tasks.entries())
      if ((t.task.kind === "archive" || t.task.kind === "purge") && t.task.maxSeconds >= limit)
        ctx.addIssue({
          code: "custom",
          path: ["tasks", i, "maxSeconds"],
          message: `must be under ${runner.key} (${limit}): no batch may start when ${runner.ends}; a run stops starting batches early enough for one more to finish anyway`,
        });
  });
export type MaintenanceDatabase = z.output<typeof maintenanceDatabase>;

export const databaseMaintenanceSection = z
  .object({ databases: z.array(maintenanceDatabase).min(1) })
  .strict()
  .superRefine((s, ctx) => {
    refuseDuplicateNames(ctx, s.databases, ["databases"], "database");
  });
export type DatabaseMaintenanceConfig = z.output<typeof databaseMaintenanceSection>;
