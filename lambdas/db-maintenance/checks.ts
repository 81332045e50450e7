// The `check` runner, a plain module other jobs import (restore drills run the same checks on a restored database):
// each check's query runs in a READ ONLY transaction, one statement, and its first column of the first row becomes
// a number. Give it a connection and a task list; it returns one result per check and never throws for one check.
import type { Task } from "./config";
import type { Db } from "./session";

export type CheckTask = Extract<Task, { kind: "check" }>;

export interface CheckResult {
  readonly name: string;
  readonly value: number | null;
  /** Why there is no value: the query failed (a write refused as read-only included) or returned no number. */
  readonly error?: string;
  /** Whether the value crosses the task's alarm threshold (false without an alarm). */
  readonly breached: boolean;
}

export function crosses(value: number, alarm: NonNullable<CheckTask["alarm"]>): boolean {
  switch (alarm.comparison) {
    case ">":
      return value > alarm.threshold;
    case ">=":
      return value >= alarm.threshold;
    case "<":
      return value < alarm.threshold;
    case "<=":
      return value <= alarm.threshold;
  }
}

/** Runs one check read-only; the transaction is always rolled back, so even a write the server allowed is undone. */
export async function runCheck(db: Db, t: CheckTask): Promise<CheckResult> {
  await db.query(db.engine === "postgres" ? "BEGIN TRANSACTION READ ONLY" : "START TRANSACTION READ ONLY");
  try {
    const r = await db.query(t.query);
    const first = r.rows[0];
    const raw = first === undefined ? undefined : Object.values(first)[0];
    const value =
      typeof raw === "bigint"
        ? Number(raw)
        : typeof raw === "string" && raw.trim() !== ""
          ? Number(raw)
          : raw;
    if (typeof value !== "number" || !Number.isFinite(value))
      return {
        name: t.name,
        value: null,
        error: `returned ${JSON.stringify(raw ?? null)}, not a number`,
        breached: false,
      };
    return { name: t.name, value, breached: t.alarm ? crosses(value, t.alarm) : false };
  } catch (e) {
    return { name: t.name, value: null, error: (e as Error).message, breached: false };
  } finally {
    await db.query("ROLLBACK").catch(() => {});
  }
}

/** Every check of `tasks` in order (other kinds are ignored), each on its own read-only transaction. */
export async function runChecks(db: Db, tasks: readonly Task[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const t of tasks) if (t.kind === "check") out.push(await runCheck(db, t));
  return out;
}
