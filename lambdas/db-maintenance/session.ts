// One database session for maintenance: connects with pg or mysql2 and, before anything else, sets the lock,
// statement and idle-in-transaction timeouts, so a job gives up instead of blocking the application.
import mysql from "mysql2/promise";
import pg from "pg";
import type { SessionLimits } from "./config";
import type { Engine } from "./quote";

export interface QueryResult {
  readonly rows: Record<string, unknown>[];
  /** Rows a write touched (INSERT/DELETE), 0 for reads. */
  readonly affected: number;
}

/** The little the tasks need of a connection; params are `$1` (postgres) or `?` (mysql) placeholders. */
export interface Db {
  readonly engine: Engine;
  /** PostgreSQL's server_version_num (e.g. 150004); MySQL/MariaDB: 0. */
  readonly versionNum: number;
  readonly mariadb: boolean;
  /** The server's id of this session (pg_backend_pid / CONNECTION_ID). */
  readonly sessionId: number;
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly sslMode?: "disable" | "prefer" | "require" | "verify-full" | undefined;
}

/** Errors that mean "gave up waiting for a lock", not "broken": PostgreSQL 55P03, MySQL 1205 and 3572 (NOWAIT). */
export function isLockTimeout(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return err.code === "55P03" || err.errno === 1205 || err.code === "ER_LOCK_WAIT_TIMEOUT";
}

/** PostgreSQL 57014 (statement_timeout), MySQL 3024 / MariaDB 1969 (max statement time exceeded). */
export function isStatementTimeout(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return err.code === "57014" || err.errno === 3024 || err.errno === 1969;
}

function pgSsl(mode: ConnectOptions["sslMode"]): pg.ClientConfig["ssl"] {
  if (mode === "require") return { rejectUnauthorized: false };
  if (mode === "verify-full") return { rejectUnauthorized: true };
  return false;
}

/** Connects and applies `limits`; the session is unusable (closed, thrown) if any limit cannot be set. */
export async function connect(o: ConnectOptions, limits: SessionLimits): Promise<Db> {
  return o.engine === "postgres" ? connectPostgres(o, limits) : connectMysql(o, limits);
}

async function connectPostgres(o: ConnectOptions, limits: SessionLimits): Promise<Db> {
  const client = new pg.Client({
    host: o.host,
    port: o.port,
    database: o.database,
    user: o.user,
    password: o.password,
    ssl: pgSsl(o.sslMode),
    application_name: "maintenance-stack db-maintenance",
    connectionTimeoutMillis: 15_000,
  });
  // A server-side error on an idle client (a terminated backend) must not crash the process.
  client.on("error", () => {});
  await client.connect();
  try {
    // Integers from the validated config, never text from elsewhere.
    await client.query(
      `SET lock_timeout = ${Math.trunc(limits.lockTimeoutMs)}; ` +
        `SET statement_timeout = ${Math.trunc(limits.statementTimeoutSeconds * 1000)}; ` +
        `SET idle_in_transaction_session_timeout = ${Math.trunc(limits.idleInTransactionSeconds * 1000)}`,
    );
    const info = await client.query(
      "SELECT current_setting('server_version_num')::int AS v, pg_backend_pid() AS pid",
    );
    const row = info.rows[0] as { v: number; pid: number };
    return {
      engine: "postgres",
      versionNum: row.v,
      mariadb: false,
      sessionId: row.pid,
      // The extended protocol takes one statement only: text from config can never smuggle a second one.
      query: async (sql, params = []) => {
        const r = await client.query({ text: sql, values: [...params], queryMode: "extended" } as never);
        const res = r as unknown as pg.QueryResult;
        return { rows: res.rows ?? [], affected: res.command === "SELECT" ? 0 : (res.rowCount ?? 0) };
      },
      close: async () => {
        await client.end().catch(() => {});
      },
    };
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

async function connectMysql(o: ConnectOptions, limits: SessionLimits): Promise<Db> {
  const conn = await mysql.createConnection({
    host: o.host,
    port: o.port,
    database: o.database,
    user: o.user,
    password: o.password,
    // One statement per call: a check's text cannot carry a second one.
    multipleStatements: false,
    connectTimeout: 15_000,
    dateStrings: false,
    // Dates travel as UTC, and the session's NOW() and TIMESTAMP columns are UTC too (see docs/config.md on DATETIME).
    timezone: "Z",
    ...(o.sslMode === "require" || o.sslMode === "verify-full"
      ? { ssl: { rejectUnauthorized: o.sslMode === "verify-full" } }
      : {}),
  });
  conn.on("error", () => {});
  try {
    const [vrows] = await conn.query("SELECT VERSION() AS v, CONNECTION_ID() AS id");
    const info = (vrows as { v: string; id: number }[])[0]!;
    const mariadb = /mariadb/i.test(info.v);
    // innodb_lock_wait_timeout (row locks) and lock_wait_timeout (metadata locks, DDL) count whole seconds.
    const lockSeconds = Math.max(1, Math.ceil(limits.lockTimeoutMs / 1000));
    await conn.query("SET SESSION time_zone = '+00:00'");
    await conn.query(`SET SESSION innodb_lock_wait_timeout = ${lockSeconds}`);
    await conn.query(`SET SESSION lock_wait_timeout = ${lockSeconds}`);
    if (mariadb) {
      // MariaDB: max_statement_time (seconds, any statement) and idle_transaction_timeout (10.3+).
      await conn.query(`SET SESSION max_statement_time = ${Math.trunc(limits.statementTimeoutSeconds)}`);
      await conn.query(
        `SET SESSION idle_transaction_timeout = ${Math.trunc(limits.idleInTransactionSeconds)}`,
      );
    } else {
      // MySQL: max_execution_time bounds SELECTs only (ms); MySQL has no idle-in-transaction timeout, so an idle
      // session is closed by wait_timeout instead: https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html
      await conn.query(
        `SET SESSION max_execution_time = ${Math.trunc(limits.statementTimeoutSeconds * 1000)}`,
      );
      await conn.query(`SET SESSION wait_timeout = ${Math.trunc(limits.idleInTransactionSeconds)}`);
    }
    return {
      engine: "mysql",
      versionNum: 0,
      mariadb,
      sessionId: info.id,
      query: async (sql, params = []) => {
        const [r] = await conn.query(sql, [...params]);
        if (Array.isArray(r)) return { rows: r as Record<string, unknown>[], affected: 0 };
        return { rows: [], affected: (r as { affectedRows?: number }).affectedRows ?? 0 };
      },
      close: async () => {
        await conn.end().catch(() => {});
      },
    };
  } catch (e) {
    await conn.end().catch(() => {});
    throw e;
  }
}

/** Sets this session's statement time limit (whole seconds; an integer the caller computed, never config text). */
export async function setStatementTimeout(db: Db, seconds: number): Promise<void> {
  const s = Math.max(1, Math.trunc(seconds));
  if (db.engine === "postgres") await db.query(`SET statement_timeout = ${s * 1000}`);
  else if (db.mariadb) await db.query(`SET SESSION max_statement_time = ${s}`);
  else await db.query(`SET SESSION max_execution_time = ${s * 1000}`);
}
