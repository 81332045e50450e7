// One scheduled run of one maintenance task: refuse a heavy task outside its window and a rewriting one while the
// newest verified backup is stale, connect with the session limits, run the task, and report what it did as metrics.
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { withCurrentCredentials } from "../shared/secret";
import type { Log } from "../shared/log";
import { InvalidInputError } from "../shared/job";
import { newestVerifiedDump, staleBackupReason } from "./backup-guard";
import { RefusedError, runBatches } from "./batches";
import { runCheck } from "./checks";
import {
  isHeavy,
  type MaintenanceConfig,
  REPORT_MARGIN_SECONDS,
  type MaintenanceEvent,
  REWRITING_KINDS,
  type Task,
} from "./config";
import { type ConnectOptions, connect, type Db, isLockTimeout, isStatementTimeout } from "./session";
import type { SessionLimits } from "./config";
import { conditionalReindex } from "./index-bloat";
import { takeRunLock } from "./run-lock";
import { bloatReport, runStatementTask } from "./tasks";
import { inWindow } from "./window";

/** Metric names the stack's alarms and dashboard read (dimension Task, or Table for the bloat report). */
export const MAINTENANCE_METRICS = {
  failed: "TaskFailed",
  seconds: "TaskSeconds",
  archived: "RowsArchived",
  purged: "RowsPurged",
  check: "CheckValue",
  lockTimeouts: "LockTimeouts",
  tableBytes: "TableBytes",
  bloat: "BloatRatio",
  indexBloat: "IndexBloatPercent",
} as const;
export type MaintenanceMetric = (typeof MAINTENANCE_METRICS)[keyof typeof MAINTENANCE_METRICS];

export interface TaskOutcome {
  readonly task: string;
  readonly kind: Task["kind"];
  /** ok; refused (outside its window, stale backup, inputs that look wrong); gave-up (a lock or statement timeout). */
  readonly outcome: "ok" | "refused" | "gave-up" | "failed";
  readonly reason?: string;
  readonly seconds: number;
  readonly rows?: number;
  readonly stoppedBy?: string;
  readonly value?: number | null;
  readonly tables?: number;
  /** A conditional reindex: how many indexes it rebuilt (or would), skipped, and could not measure. */
  readonly indexes?: { readonly rebuilt: number; readonly skipped: number; readonly unmeasured: number };
}

export interface RunDeps {
  readonly s3: S3Client;
  readonly secrets: Pick<SecretsManagerClient, "send">;
  readonly log: Log;
  readonly now: () => Date;
  readonly put: (
    dimension: { readonly name: "Task" | "Table" | "Index"; readonly value: string },
    metric: MaintenanceMetric,
    value: number,
  ) => void;
  /** @default session.ts's connect (tests pass their own to watch the session) */
  readonly connect?: (o: ConnectOptions, limits: SessionLimits) => Promise<Db>;
  readonly beforeCommit?: (db: Db, batch: number) => Promise<void>;
  /** Milliseconds before the runner ends the run (Lambda's timeout, the Fargate task's deadline). @default unbounded */
  readonly remainingMs?: () => number;
  /** How long a run waits for the database's run lock while another run holds it. @default 10 minutes */
  readonly runLockWaitMs?: number;
}

/** A run whose predecessor overran waits this long for it (the stacks stagger tasks 15-30 minutes), then refuses. */
const RUN_LOCK_WAIT_MS = 600_000;
const RUN_LOCK_POLL_MS = 5000;

/** Takes the run lock, waiting while another run holds it, but never into the time the task itself needs. */
async function awaitRunLock(db: Db, limits: SessionLimits, deps: RunDeps): Promise<void> {
  const budget =
    (deps.remainingMs?.() ?? Number.MAX_SAFE_INTEGER) -
    (limits.statementTimeoutSeconds + REPORT_MARGIN_SECONDS) * 1000;
  const until = Date.now() + Math.max(0, Math.min(deps.runLockWaitMs ?? RUN_LOCK_WAIT_MS, budget));
  while (!(await takeRunLock(db))) {
    if (Date.now() >= until)
      throw new RefusedError(
        "another maintenance run of this database is still going (it holds the run lock); this task waits for its next schedule",
      );
    await new Promise((r) => setTimeout(r, Math.min(RUN_LOCK_POLL_MS, Math.max(1, until - Date.now()))));
  }
}

/**
 * The batches' time bound for this run: the task's maxSeconds, cut so that the last batch, even one that runs into
 * statement_timeout, ends before the runner stops the run. Null: not even one batch fits.
 */
export function batchSecondsLeft(
  maxSeconds: number,
  limits: SessionLimits,
  remainingMs: number,
): number | null {
  const budget = Math.floor(remainingMs / 1000) - limits.statementTimeoutSeconds - REPORT_MARGIN_SECONDS;
  const seconds = Math.min(maxSeconds, budget);
  return seconds >= 1 ? seconds : null;
}

/**
 * Why the task must not start now, or null. The backup is looked at first, so a heavy rewriting task outside its
 * window still reports a stale backup (both are said when both hold). A dry run changes nothing: never refused for
 * its backup.
 */
async function refusal(
  t: MaintenanceConfig["tasks"][number],
  config: MaintenanceConfig,
  deps: RunDeps,
  at: Date,
): Promise<string | null> {
  const reasons: string[] = [];
  const dry = (t.task.kind === "archive" || t.task.kind === "purge") && t.task.dryRun;
  if (REWRITING_KINDS.has(t.task.kind) && !dry) {
    const guard = config.backup!;
    const stale = staleBackupReason(await newestVerifiedDump(deps.s3, guard, at), guard);
    if (stale) reasons.push(stale);
  }
  if (isHeavy(t.task) && t.window && !inWindow(at, t.window))
    reasons.push(
      `${t.task.kind} is heavy and runs only inside window ${t.window.name} (${t.window.day} ${t.window.start}-${t.window.end} ${t.window.timezone}); it is ${at.toISOString()}`,
    );
  return reasons.length ? reasons.join("; ") : null;
}

/**
 * Opens the session with the secret's current credentials (a JSON secret's `username` wins, as rotation with
 * alternating users needs), reading the secret once more if the server refused them: a rotation may finish between
 * the read and the login (lambdas/shared/secret.ts).
 */
async function session(config: MaintenanceConfig, deps: RunDeps): Promise<Db> {
  const c = config.connection;
  return withCurrentCredentials(
    deps.secrets,
    c.passwordSecretArn,
    (credentials) =>
      (deps.connect ?? connect)(
        {
          engine: c.engine,
          host: c.host,
          port: c.port,
          database: c.databaseName,
          user: credentials.username ?? c.user,
          password: credentials.password,
          sslMode: c.sslMode,
        },
        config.session,
      ),
    () => false,
    (reason) =>
      deps.log.warn("login refused; reading the secret again (a rotation may have just finished)", {
        reason,
      }),
  );
}

/** Runs the task on an open session and reports its own metrics; throws what the caller classifies. */
async function perform(
  db: Db,
  task: Task,
  limits: SessionLimits,
  deps: RunDeps,
): Promise<Partial<TaskOutcome>> {
  const dim = { name: "Task", value: task.name } as const;
  switch (task.kind) {
    case "archive":
    case "purge": {
      const remaining = deps.remainingMs?.() ?? Number.MAX_SAFE_INTEGER;
      const maxSeconds = batchSecondsLeft(task.maxSeconds, limits, remaining);
      if (maxSeconds === null)
        throw new RefusedError(
          `${Math.floor(remaining / 1000)}s left before the runner ends the run: not enough for one batch that may take statement_timeout (${limits.statementTimeoutSeconds}s)`,
        );
      if (maxSeconds < task.maxSeconds)
        deps.log.info("batches end early, before the runner's limit", { task: task.name, maxSeconds });
      const r = await runBatches(
        db,
        { ...task, maxSeconds },
        {
          now: deps.now,
          ...(deps.beforeCommit ? { beforeCommit: deps.beforeCommit } : {}),
        },
      );
      if (!task.dryRun)
        deps.put(
          dim,
          task.kind === "archive" ? MAINTENANCE_METRICS.archived : MAINTENANCE_METRICS.purged,
          r.rows,
        );
      deps.log.info("batches done", { task: task.name, ...r });
      return { rows: r.rows, stoppedBy: r.stoppedBy };
    }
    case "check": {
      const r = await runCheck(db, task);
      if (r.error !== undefined) throw new Error(`check ${task.name}: ${r.error}`);
      deps.put(dim, MAINTENANCE_METRICS.check, r.value!);
      return { value: r.value };
    }
    case "bloat-report": {
      const tables = await bloatReport(db, task.limit);
      for (const t of tables) {
        deps.put({ name: "Table", value: t.table }, MAINTENANCE_METRICS.tableBytes, t.bytes);
        deps.put({ name: "Table", value: t.table }, MAINTENANCE_METRICS.bloat, t.bloatRatio);
      }
      deps.log.info("bloat report", { task: task.name, tables });
      return { tables: tables.length };
    }
    case "reindex":
      if (task.ifBloatOverPercent !== undefined || task.dryRun) {
        const verdicts = await conditionalReindex(db, task, (index, percent) =>
          deps.put({ name: "Index", value: index }, MAINTENANCE_METRICS.indexBloat, percent),
        );
        deps.log.info("conditional reindex", { task: task.name, indexes: verdicts });
        return {
          indexes: {
            rebuilt: verdicts.filter((v) => v.action !== "skipped").length,
            skipped: verdicts.filter((v) => v.action === "skipped").length,
            unmeasured: verdicts.filter((v) => v.bloatPercent === null).length,
          },
        };
      }
      return statementTask(db, task, deps);
    default:
      return statementTask(db, task, deps);
  }
}

async function statementTask(
  db: Db,
  task: Extract<Task, { kind: "vacuum" | "analyze" | "reindex" | "rebuild" }>,
  deps: RunDeps,
): Promise<Partial<TaskOutcome>> {
  const ran = await runStatementTask(db, task);
  deps.log.info("statements done", { task: task.name, statements: ran });
  return {};
}

/** Runs the event's task; a refusal, a timeout or a failure is a result (TaskFailed = 1), not a thrown error. */
export async function runTask(
  event: MaintenanceEvent,
  config: MaintenanceConfig,
  deps: RunDeps,
): Promise<TaskOutcome> {
  const planned = config.tasks.find((t) => t.task.name === event.task);
  if (!planned)
    throw new InvalidInputError(
      `no task ${event.task} in this job's config (tasks: ${config.tasks.map((t) => t.task.name).join(", ")})`,
    );
  const task = planned.task;
  const started = deps.now().getTime();
  const dim = { name: "Task", value: task.name } as const;
  const finish = (o: Omit<TaskOutcome, "task" | "kind" | "seconds">): TaskOutcome => {
    const seconds = (deps.now().getTime() - started) / 1000;
    deps.put(dim, MAINTENANCE_METRICS.seconds, seconds);
    deps.put(dim, MAINTENANCE_METRICS.failed, o.outcome === "ok" ? 0 : 1);
    const result = { task: task.name, kind: task.kind, seconds, ...o };
    if (o.outcome === "ok") deps.log.info("task finished", { ...result });
    else deps.log.error(`task ${o.outcome}`, { ...result });
    return result;
  };
  const refused = await refusal(planned, config, deps, deps.now());
  if (refused) return finish({ outcome: "refused", reason: refused });
  let db: Db | undefined;
  try {
    db = await session(config, deps);
    await awaitRunLock(db, config.session, deps);
    return finish({ outcome: "ok", ...(await perform(db, task, config.session, deps)) });
  } catch (e) {
    const message = (e as Error).message;
    if (isLockTimeout(e)) {
      deps.put(dim, MAINTENANCE_METRICS.lockTimeouts, 1);
      return finish({
        outcome: "gave-up",
        reason: `lock timeout after ${config.session.lockTimeoutMs} ms: ${message}`,
      });
    }
    if (isStatementTimeout(e))
      return finish({
        outcome: "gave-up",
        reason: `statement timeout after ${config.session.statementTimeoutSeconds}s: ${message}`,
      });
    if (e instanceof RefusedError) return finish({ outcome: "refused", reason: message });
    return finish({ outcome: "failed", reason: message });
  } finally {
    await db?.close();
  }
}
