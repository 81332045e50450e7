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
import {
  type ConnectOptions,
  connect,
  type Db,
  isLockTimeout,
  isStatementTimeout,
  setStatementTimeout,
} from "./session";
import { MAINTENANCE_METRICS, type MaintenanceMetric, type SessionLimits } from "./config";
import { conditionalReindex, type IndexVerdict } from "./index-bloat";
import { releaseRunLock, takeRunLock } from "./run-lock";
import { bloatReport, runStatementTask } from "./tasks";
import { inWindow, windowEnd } from "./window";

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
  readonly indexes?: {
    readonly rebuilt: number;
    /** Under the threshold, or an exclusion-constraint index a CONCURRENTLY reindex cannot rebuild. */
    readonly skipped: number;
    readonly unmeasured: number;
    /** Their statement failed; the task failed (or gave up) at the end, naming them. */
    readonly failed: number;
    /** Left for the next run: the runner had no time left for their statement. */
    readonly notDone: number;
    /** INVALID `_ccnew`/`_ccold` leftovers of a failed REINDEX CONCURRENTLY, dropped (or, dry run, named). */
    readonly invalidDropped: number;
  };
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
  /**
   * At most this long a run waits for the database's run lock (test seam). @default until the latest moment the task
   * can still start (awaitRunLock); 10 minutes when no runner deadline is known
   */
  readonly runLockWaitMs?: number;
}

/** Without a runner deadline (tests, a local run), a run waits this long for the run lock at most. */
const RUN_LOCK_WAIT_MS = 600_000;
const RUN_LOCK_POLL_MS = 5000;
/** A heavy task starts only with at least this much of its window left for its statement (else it refuses). */
export const MIN_HEAVY_STATEMENT_SECONDS = 60;

/**
 * How long a run may wait for the run lock: until its runner's deadline less statement_timeout and the report
 * margin (batchSecondsLeft's rule) and, for a heavy task, until its window's end less the margin and
 * MIN_HEAVY_STATEMENT_SECONDS (when the window ends first, only that: the statement is then cut to the window);
 * 10 minutes when no runner deadline is known. Never negative.
 */
export function runLockWaitMs(
  limits: SessionLimits,
  remainingMs: number | undefined,
  windowLeftMs: number | undefined,
): number {
  // A window that ends before the runner does bounds the statement itself (heavyLimits cuts statement_timeout to it).
  const byRunner =
    remainingMs === undefined
      ? RUN_LOCK_WAIT_MS
      : windowLeftMs !== undefined && windowLeftMs <= remainingMs
        ? Number.MAX_SAFE_INTEGER
        : remainingMs - (limits.statementTimeoutSeconds + REPORT_MARGIN_SECONDS) * 1000;
  const byWindow =
    windowLeftMs === undefined
      ? Number.MAX_SAFE_INTEGER
      : windowLeftMs - (REPORT_MARGIN_SECONDS + MIN_HEAVY_STATEMENT_SECONDS) * 1000;
  return Math.max(0, Math.min(byRunner, byWindow));
}

/**
 * Takes the run lock, waiting while another run holds it until the latest moment this task can still start and end
 * in time: its runner's deadline less statement_timeout and the report margin (the rule of batchSecondsLeft), and,
 * for a heavy task, its window's end less the margin and a minimal statement. A task scheduled 15-30 minutes after
 * one that overran thus waits for it rather than being refused, while that still leaves it its time.
 */
async function awaitRunLock(
  db: Db,
  limits: SessionLimits,
  deps: RunDeps,
  windowEndsAt: Date | null,
): Promise<void> {
  const wait = Math.min(
    runLockWaitMs(
      limits,
      deps.remainingMs?.(),
      windowEndsAt === null ? undefined : windowEndsAt.getTime() - deps.now().getTime(),
    ),
    deps.runLockWaitMs ?? Number.MAX_SAFE_INTEGER,
  );
  const until = Date.now() + Math.max(0, wait);
  while (!(await takeRunLock(db))) {
    if (Date.now() >= until)
      throw new RefusedError(
        `another maintenance run of this database is still going (it holds the run lock) past the latest time this task could start (${Math.round(Math.max(0, wait) / 1000)}s of waiting); it waits for its next schedule`,
      );
    await new Promise((r) => setTimeout(r, Math.min(RUN_LOCK_POLL_MS, Math.max(1, until - Date.now()))));
  }
}

/**
 * A heavy task's session limits for this run, once it holds the run lock: the window checked again (the lock wait
 * may have taken it past the end) and statement_timeout cut so its statement, and the ACCESS EXCLUSIVE locks it
 * holds, end inside the window: min(configured, window end - now - margin). Throws RefusedError when less than
 * MIN_HEAVY_STATEMENT_SECONDS of the window is left.
 */
async function heavyLimits(
  db: Db,
  planned: MaintenanceConfig["tasks"][number],
  limits: SessionLimits,
  deps: RunDeps,
): Promise<SessionLimits> {
  if (!isHeavy(planned.task) || !planned.window) return limits;
  const w = planned.window;
  const now = deps.now();
  const end = windowEnd(now, w);
  const left = end === null ? 0 : Math.floor((end.getTime() - now.getTime()) / 1000) - REPORT_MARGIN_SECONDS;
  if (left < MIN_HEAVY_STATEMENT_SECONDS)
    throw new RefusedError(
      `${planned.task.kind} is heavy and must end inside window ${w.name} (${w.day} ${w.start}-${w.end} ${w.timezone}); after the run lock it is ${now.toISOString()}, too little of the window left`,
    );
  if (left >= limits.statementTimeoutSeconds) return limits;
  await setStatementTimeout(db, left);
  deps.log.info("statement_timeout cut to end inside the window", {
    task: planned.task.name,
    statementTimeoutSeconds: left,
  });
  return { ...limits, statementTimeoutSeconds: left };
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
      if (task.ifBloatOverPercent !== undefined || task.dryRun) return reindexIndexes(db, task, limits, deps);
      return statementTask(db, task, deps);
    default:
      return statementTask(db, task, deps);
  }
}

/** A conditional reindex that did not do all it should: each index's failure, or no time left for the rest. */
class IncompleteError extends Error {
  override name = "IncompleteError";
  constructor(
    message: string,
    readonly outcome: "gave-up" | "failed",
    readonly lockTimeouts: number,
    readonly partial: Partial<TaskOutcome>,
  ) {
    super(message);
  }
}

const named = (vs: IndexVerdict[]) => vs.map((v) => `${v.index} (${v.reason})`).join("; ");

/**
 * The conditional reindex, each statement started only while the runner has time left for one that runs into
 * statement_timeout (batchSecondsLeft's rule). Every index is tried; the task fails at the end naming those that
 * failed (gave-up when they only timed out, or time ran out), so its TaskFailed alarm still fires.
 */
async function reindexIndexes(
  db: Db,
  task: Extract<Task, { kind: "reindex" }>,
  limits: SessionLimits,
  deps: RunDeps,
): Promise<Partial<TaskOutcome>> {
  const noTimeFor = () => {
    const remaining = deps.remainingMs?.() ?? Number.MAX_SAFE_INTEGER;
    return remaining >= (limits.statementTimeoutSeconds + REPORT_MARGIN_SECONDS) * 1000
      ? null
      : `not done: ${Math.floor(remaining / 1000)}s left before the runner ends the run, not enough for one statement that may take statement_timeout (${limits.statementTimeoutSeconds}s)`;
  };
  const verdicts = await conditionalReindex(db, task, {
    report: (index, percent) =>
      deps.put({ name: "Index", value: index }, MAINTENANCE_METRICS.indexBloat, percent),
    noTimeFor,
    limits,
  });
  deps.log.info("conditional reindex", { task: task.name, indexes: verdicts });
  const is = (...a: IndexVerdict["action"][]) => verdicts.filter((v) => a.includes(v.action));
  const failed = is("failed");
  const notDone = is("not-done");
  const rebuilt = is("rebuilt", "would-rebuild");
  const partial: Partial<TaskOutcome> = {
    indexes: {
      rebuilt: rebuilt.length,
      skipped: is("skipped").length,
      unmeasured: rebuilt.filter((v) => v.bloatPercent === null).length,
      failed: failed.length,
      notDone: notDone.length,
      invalidDropped: is("dropped", "would-drop").length,
    },
  };
  if (failed.length === 0 && notDone.length === 0) return partial;
  const parts = [
    ...(failed.length ? [`failed: ${named(failed)}`] : []),
    ...(notDone.length ? [`not done (no time left): ${notDone.map((v) => v.index).join(", ")}`] : []),
  ];
  throw new IncompleteError(
    parts.join("; "),
    failed.some((v) => !v.timeout) ? "failed" : "gave-up",
    failed.filter((v) => v.timeout === "lock").length,
    partial,
  );
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
  let locked = false;
  try {
    db = await session(config, deps);
    const windowEndsAt = isHeavy(task) && planned.window ? windowEnd(deps.now(), planned.window) : null;
    await awaitRunLock(db, config.session, deps, windowEndsAt);
    locked = true;
    const limits = await heavyLimits(db, planned, config.session, deps);
    return finish({ outcome: "ok", ...(await perform(db, task, limits, deps)) });
  } catch (e) {
    if (e instanceof IncompleteError) {
      if (e.lockTimeouts > 0) deps.put(dim, MAINTENANCE_METRICS.lockTimeouts, 1);
      return finish({ outcome: e.outcome, reason: e.message, ...e.partial });
    }
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
    // Released before closing: behind a session pooler the server connection (and its lock) may outlive ours.
    if (locked) await releaseRunLock(db!).catch(() => {});
    await db?.close();
  }
}
