// Queries through the database client tools the image already has (psql, mysql): one-shot statements, and a psql
// session that stays open (the transaction whose snapshot pg_dump --snapshot imports). Passwords travel in the
// environment, never in arguments.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

export interface SqlConnection {
  readonly engine: "postgres" | "mysql";
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password?: string;
  /** libpq sslmode (postgres). */
  readonly sslMode?: string;
}

/** A double-quoted PostgreSQL identifier or a backquoted MySQL one, with the quote character doubled inside. */
export function quoteIdent(engine: "postgres" | "mysql", name: string): string {
  return engine === "postgres" ? `"${name.replaceAll('"', '""')}"` : `\`${name.replaceAll("`", "``")}\``;
}

/** A SQL string literal (standard_conforming_strings on PostgreSQL; MySQL's backslash escapes doubled too). */
export function quoteLiteral(engine: "postgres" | "mysql", value: string): string {
  const v = engine === "mysql" ? value.replaceAll("\\", "\\\\") : value;
  return `'${v.replaceAll("'", "''")}'`;
}

/** The client tool, its arguments (tab-separated rows, no headers, stop at the first error) and its environment. */
export function clientInvocation(
  c: SqlConnection,
  sql?: string,
): { command: string; args: string[]; env: Record<string, string> } {
  const path = { PATH: process.env.PATH ?? "" };
  if (c.engine === "postgres")
    return {
      command: "psql",
      args: [
        "-X",
        "-q",
        "-A",
        "-t",
        "-F",
        "\t",
        "-v",
        "ON_ERROR_STOP=1",
        "--no-password",
        `--host=${c.host}`,
        `--port=${c.port}`,
        `--username=${c.user}`,
        `--dbname=${c.database}`,
        ...(sql === undefined ? [] : ["-c", sql]),
      ],
      env: {
        ...path,
        ...(c.password !== undefined ? { PGPASSWORD: c.password } : {}),
        ...(c.sslMode ? { PGSSLMODE: c.sslMode } : {}),
      },
    };
  return {
    command: "mysql",
    args: [
      "-N",
      "-B",
      `--host=${c.host}`,
      `--port=${c.port}`,
      `--user=${c.user}`,
      c.database,
      ...(sql === undefined ? [] : ["-e", sql]),
    ],
    env: { ...path, ...(c.password !== undefined ? { MYSQL_PWD: c.password } : {}) },
  };
}

export class SqlError extends Error {
  override name = "SqlError";
}

/** Runs statements and resolves with the rows of the last result set, each split on tabs. */
export function query(c: SqlConnection, sql: string, timeoutMs = 60_000): Promise<string[][]> {
  const { command, args, env } = clientInvocation(c, sql);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new SqlError(`${command}: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(rowsOf(out));
      else
        reject(
          new SqlError(
            `${command} ${signal ? `killed (${signal}) after ${timeoutMs} ms` : `exited ${code}`}: ${err.trim().slice(0, 500)}`,
          ),
        );
    });
  });
}

const rowsOf = (text: string): string[][] =>
  text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t"));

/**
 * One psql session kept open between statements (a transaction that must stay open while another process uses its
 * snapshot). Each `run` writes its statements and a marker line, and resolves with the rows printed before the
 * marker; an error ends the session (ON_ERROR_STOP) and rejects.
 */
export class PsqlSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private stderr = "";
  private waiting: { marker: string; resolve(rows: string[][]): void; reject(e: Error): void } | undefined;
  private exited: string | undefined;
  private n = 0;

  constructor(c: SqlConnection) {
    const { command, args, env } = clientInvocation(c);
    this.child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d: Buffer) => {
      this.buffer += d.toString();
      this.deliver();
    });
    this.child.stderr.on("data", (d: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += d.toString();
    });
    this.child.stdin.on("error", () => undefined);
    const gone = (why: string) => {
      this.exited ??= `${why}: ${this.stderr.trim().slice(0, 500)}`;
      this.waiting?.reject(new SqlError(`psql session ended (${this.exited})`));
      this.waiting = undefined;
    };
    this.child.once("error", (e) => gone(e.message));
    this.child.once("close", (code) => gone(`exit ${code}`));
  }

  run(sql: string): Promise<string[][]> {
    if (this.exited) return Promise.reject(new SqlError(`psql session ended (${this.exited})`));
    if (this.waiting) return Promise.reject(new SqlError("psql session: one statement at a time"));
    const marker = `__maintenance_done_${++this.n}__`;
    return new Promise((resolve, reject) => {
      this.waiting = { marker, resolve, reject };
      this.child.stdin.write(`${sql.trim().replace(/;?$/, ";")}\n\\echo ${marker}\n`);
    });
  }

  /** Ends the session (its open transaction rolls back). */
  async close(): Promise<void> {
    if (this.exited) return;
    const closed = new Promise<void>((resolve) => this.child.once("close", () => resolve()));
    this.child.stdin.end("\\q\n");
    await closed;
  }

  private deliver(): void {
    const w = this.waiting;
    if (!w) return;
    const at = this.buffer.indexOf(`${w.marker}\n`);
    if (at < 0) return;
    const text = this.buffer.slice(0, at);
    this.buffer = this.buffer.slice(at + w.marker.length + 1);
    this.waiting = undefined;
    w.resolve(rowsOf(text));
  }
}
