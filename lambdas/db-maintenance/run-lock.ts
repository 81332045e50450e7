// One maintenance run per database at a time, on the database itself: a session-level advisory lock (PostgreSQL) or
// named lock (MySQL/MariaDB) taken without waiting. Reserved concurrency 1 serializes a Lambda job's runs; a Fargate
// task has no such limit, and a lock on the server also holds across runners. The server releases it when the
// session ends, a crashed or killed run included.
import type { Db } from "./session";

/** The advisory lock's key: hashtext() of this, in the database the session is connected to (pg locks are per database). */
export const RUN_LOCK_NAME = "maintenance-stack db-maintenance";

/** Takes the database's run lock if it is free; false when another session holds it. */
export async function takeRunLock(db: Db): Promise<boolean> {
  if (db.engine === "postgres") {
    const r = await db.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [RUN_LOCK_NAME]);
    return r.rows[0]?.ok === true;
  }
  // MySQL's lock names are server-wide (hence the database in it) and at most 64 characters:
  // https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html#function_get-lock
  const r = await db.query("SELECT GET_LOCK(LEFT(CONCAT(?, ':', DATABASE()), 64), 0) AS ok", [RUN_LOCK_NAME]);
  return Number(r.rows[0]?.ok) === 1;
}
