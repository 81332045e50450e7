// One maintenance run per database at a time, on the database itself: a session-level advisory lock (PostgreSQL) or
// named lock (MySQL/MariaDB), taken without waiting and released before the session closes. Reserved concurrency 1
// serializes a Lambda job's runs; a Fargate task has no such limit, and a lock on the server also holds across
// runners. The server also releases it when the session ends, a crashed or killed run included.
import type { Db } from "./session";

/**
 * PostgreSQL's key: the two-int form pg_try_advisory_lock(int4, int4) with hashtext() of these two fixed strings.
 * Advisory locks are per database (the lock tag carries the database's OID), so every database has its own run lock
 * whatever the key; the two-int key space is apart from the one-bigint space applications mostly use (Rails'
 * migration lock, pg-boss), and a collision with an application using this exact pair would only make a run wait or
 * refuse (or the application wait), never touch data.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
export const RUN_LOCK_KEY = ["maintenance-stack", "db-maintenance"] as const;
const PG_KEY = "hashtext($1), hashtext($2)";

/**
 * MySQL's lock names are server-wide (hence the database in it) and at most 64 characters: a short prefix and the
 * SHA1 of the database's name (40 hex), 46 characters, distinct for any two names.
 * https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html#function_get-lock
 */
export const MYSQL_RUN_LOCK_NAME_SQL = "CONCAT('msdbm:', SHA1(DATABASE()))";

/** Takes the database's run lock if it is free; false when another session holds it. */
export async function takeRunLock(db: Db): Promise<boolean> {
  if (db.engine === "postgres") {
    const r = await db.query(`SELECT pg_try_advisory_lock(${PG_KEY}) AS ok`, [...RUN_LOCK_KEY]);
    return r.rows[0]?.ok === true;
  }
  const r = await db.query(`SELECT GET_LOCK(${MYSQL_RUN_LOCK_NAME_SQL}, 0) AS ok`);
  return Number(r.rows[0]?.ok) === 1;
}

/**
 * Releases the run lock this session holds. Closing the connection would release it too, but behind a session
 * pooler (Supabase's Supavisor, PgBouncer) the server connection may outlive the client's, lock and all.
 */
export async function releaseRunLock(db: Db): Promise<void> {
  if (db.engine === "postgres")
    await db.query(`SELECT pg_advisory_unlock(${PG_KEY}) AS ok`, [...RUN_LOCK_KEY]);
  else await db.query(`SELECT RELEASE_LOCK(${MYSQL_RUN_LOCK_NAME_SQL}) AS ok`);
}
