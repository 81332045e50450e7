// Database users' passwords, for PostgreSQL (pg) and MySQL/MariaDB (mysql2): log in as the secret says (TLS unless it
// says false, never a silent fall back to plain text), change a password, and for alternating users keep the other
// user equal to the first (PostgreSQL: a member acting as it; MySQL: the same grants), and check that it is.
import mysql from "mysql2/promise";
import pg from "pg";
import type { Log } from "../shared/log";
import { type DatabaseSecretConfig, type DatabaseSecretValue, databaseSecretValue } from "./config";
import { randomString } from "./generated";
import { CURRENT, RotationRefused, type RotationStrategy, type Secrets, valueAt } from "./rotation";

export const CLONE_SUFFIX = "_clone";
/** MySQL 5.7+ user names are at most 32 characters (MariaDB's 80; the stricter one applies to both). */
const MYSQL_USER_MAX = 32;
/** PostgreSQL identifiers are at most 63 bytes (NAMEDATALEN - 1). */
const PG_NAME_MAX = 63;

export interface Connection {
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}
export type Connect = (engine: "postgres" | "mysql", login: DatabaseSecretValue) => Promise<Connection>;

export function parseSecretValue(raw: string | undefined, what: string): DatabaseSecretValue {
  if (raw === undefined) throw new RotationRefused(`${what} has no value`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new RotationRefused(`${what} is not JSON (engine, host, username, password, ...)`);
  }
  const parsed = databaseSecretValue.safeParse(json);
  if (!parsed.success)
    throw new RotationRefused(
      `${what} is not a database secret: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

/** TLS as the secret says: absent or true is "require"; never a retry without TLS when the server refuses it. */
export function tlsOf(
  login: DatabaseSecretValue,
): false | { rejectUnauthorized: boolean; servername?: string } {
  if (login.ssl === false) return false;
  return login.ssl === "verify-full"
    ? { rejectUnauthorized: true, servername: login.host }
    : { rejectUnauthorized: false };
}

/** The real drivers. A connection that cannot be made throws; nothing here downgrades TLS. */
export const connectDatabase: Connect = async (engine, login) => {
  const tls = tlsOf(login);
  if (engine === "postgres") {
    const client = new pg.Client({
      host: login.host,
      port: login.port ?? 5432,
      user: login.username,
      password: login.password,
      database: login.dbname ?? "postgres",
      ssl: tls,
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    return {
      query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows,
      close: () => client.end(),
    };
  }
  const conn = await mysql.createConnection({
    host: login.host,
    port: login.port ?? 3306,
    user: login.username,
    password: login.password,
    ...(login.dbname ? { database: login.dbname } : {}),
    ...(tls ? { ssl: tls } : {}),
    connectTimeout: 10_000,
  });
  return {
    query: async (sql, params) => {
      const [rows] = await conn.query(sql, params ? [...params] : undefined);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    close: () => conn.end(),
  };
};

/** PostgreSQL 28P01 invalid_password, 28000 (no such role); MySQL 1045 ER_ACCESS_DENIED_ERROR. */
export function refusedLogin(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return err.code === "28P01" || err.code === "28000" || err.errno === 1045;
}

async function withConnection<T>(
  connect: Connect,
  engine: "postgres" | "mysql",
  login: DatabaseSecretValue,
  use: (c: Connection) => Promise<T>,
): Promise<T> {
  const c = await connect(engine, login);
  try {
    return await use(c);
  } finally {
    await c.close().catch(() => undefined);
  }
}

/** Whether these credentials log in: false only when the server refused them; any other failure throws. */
async function logsIn(
  connect: Connect,
  engine: "postgres" | "mysql",
  login: DatabaseSecretValue,
): Promise<boolean> {
  try {
    await withConnection(connect, engine, login, (c) => c.query("SELECT 1"));
    return true;
  } catch (e) {
    if (refusedLogin(e)) return false;
    throw e;
  }
}

export function otherUser(username: string): string {
  return username.endsWith(CLONE_SUFFIX)
    ? username.slice(0, -CLONE_SUFFIX.length)
    : `${username}${CLONE_SUFFIX}`;
}
const baseUser = (username: string) =>
  username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : username;

const pgIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const pgLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The single host a MySQL user is defined for (an account is user@host; two hosts would be two passwords). */
async function mysqlHost(admin: Connection, user: string): Promise<string> {
  const rows = await admin.query("SELECT Host AS host FROM mysql.user WHERE User = ?", [user]);
  if (rows.length !== 1)
    throw new RotationRefused(
      `MySQL user ${user} exists for ${rows.length} hosts; rotation needs exactly one account (user@host)`,
    );
  return String(rows[0]!.host);
}

/** SHOW GRANTS of user@host with the account written as `?` and password hashes dropped, so two users compare. */
export async function mysqlGrants(admin: Connection, user: string, host: string): Promise<string[]> {
  const rows = await admin.query("SHOW GRANTS FOR ?@?", [user, host]);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const account = new RegExp(`TO [\`']${esc(user)}[\`']@[\`']${esc(host)}[\`']`);
  return rows
    .map((r) => String(Object.values(r)[0]))
    .map((g) =>
      g
        .replace(account, "TO ?")
        .replace(/ IDENTIFIED BY PASSWORD '[^']*'/, "")
        .replace(/ IDENTIFIED VIA .*$/, ""),
    )
    .sort();
}

/**
 * A user's privileges as single atoms (`<object>\t<privilege>`, `GRANT OPTION` on an object, a granted role), so two
 * users compare however MySQL merges them into lines; USAGE (no privilege) and resource limits are not atoms. A line
 * of another form is kept whole (and can be compared, never revoked).
 */
export function grantAtoms(grants: readonly string[]): Set<string> {
  const atoms = new Set<string>();
  const split = (list: string) => {
    const out: string[] = [];
    let depth = 0;
    let part = "";
    for (const ch of list) {
      if (ch === "(") depth++;
      if (ch === ")") depth--;
      if (ch === "," && depth === 0) {
        out.push(part.trim());
        part = "";
      } else part += ch;
    }
    return [...out, part.trim()].filter(Boolean);
  };
  for (const g of grants) {
    const on = /^GRANT (.+?) ON ((?:PROCEDURE |FUNCTION |PACKAGE BODY |PACKAGE )?\S+) TO \?(.*)$/.exec(g);
    const role = /^GRANT ([^ ]+(?:, ?[^ ]+)*) TO \?( WITH ADMIN OPTION)?$/.exec(g);
    if (on) {
      for (const priv of split(on[1]!)) {
        if (priv === "USAGE") continue;
        // Column privileges, one column each: `SELECT (a, b)` is `SELECT (a)` and `SELECT (b)`.
        const cols = /^(.+?) \((.+)\)$/.exec(priv);
        for (const p of cols ? split(cols[2]!).map((c) => `${cols[1]} (${c})`) : [priv])
          atoms.add(`${on[2]}\t${p}`);
      }
      if (/WITH GRANT OPTION/.test(on[3]!)) atoms.add(`${on[2]}\tGRANT OPTION`);
    } else if (role) for (const r of split(role[1]!)) atoms.add(`ROLE\t${r}`);
    else atoms.add(`LINE\t${g}`);
  }
  return atoms;
}

/** The REVOKE that takes one atom (of `grantAtoms`) from user@host; a whole line is not revoked but refused. */
function revokeOf(atom: string): string {
  const [what, priv] = atom.split("\t") as [string, string];
  if (what === "ROLE") return `REVOKE ${priv} FROM ?@?`;
  if (what === "LINE")
    throw new RotationRefused(`cannot take "${priv}" from the clone by itself: revoke it by hand`);
  return `REVOKE ${priv} ON ${what} FROM ?@?`;
}

/**
 * Gives `to` every grant of `from` (adding only), and then, when asked and only once every grant succeeded, takes
 * from `to` what `from` lacks, one privilege at a time: `to` is never left with less than `from` mid-way.
 */
async function copyMysqlGrants(
  a: Connection,
  from: string,
  to: string,
  host: string,
  revokeExtras: boolean,
): Promise<void> {
  const source = await mysqlGrants(a, from, host);
  for (const grant of source) await a.query(grant.replace(/ TO \?/, " TO ?@?"), [to, host]);
  if (!revokeExtras) return;
  const wanted = grantAtoms(source);
  for (const extra of grantAtoms(await mysqlGrants(a, to, host)))
    if (!wanted.has(extra)) await a.query(revokeOf(extra), [to, host]);
}

/** PostgreSQL: what keeps the clone equal to the original, as problems (none when it is). */
export async function pgCloneProblems(admin: Connection, base: string, clone: string): Promise<string[]> {
  const problems: string[] = [];
  const role = await admin.query(
    "SELECT r.rolcanlogin AS login, r.rolconfig AS config, pg_has_role(r.oid, b.oid, 'USAGE') AS member " +
      "FROM pg_roles r, pg_roles b WHERE r.rolname = $1 AND b.rolname = $2",
    [clone, base],
  );
  const r = role[0];
  if (!r) return [`role ${clone} does not exist`];
  if (!r.member) problems.push(`${clone} is not a member of ${base} (it would lose ${base}'s grants)`);
  if (!((r.config as string[] | null) ?? []).includes(`role=${base}`))
    problems.push(`${clone} does not act as ${base} (ALTER ROLE ${clone} SET role = ${base})`);
  // Ownership or grants held by the clone itself are ones the original lacks: pg_shdepend sees every database.
  const own = await admin.query(
    "SELECT d.deptype AS kind, count(*)::int AS n FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid " +
      "WHERE r.rolname = $1 AND d.refclassid = 'pg_authid'::regclass GROUP BY d.deptype ORDER BY d.deptype",
    [clone],
  );
  for (const o of own)
    problems.push(
      o.kind === "o"
        ? `${clone} owns ${o.n} object(s) ${base} does not (REASSIGN OWNED BY ${clone} TO ${base})`
        : `${clone} holds ${o.n} grant(s) of its own that ${base} lacks`,
    );
  return problems;
}

/**
 * A MySQL user changing its own password: MySQL 8 `ALTER USER CURRENT_USER()` (no CREATE USER privilege needed),
 * MariaDB `SET PASSWORD = PASSWORD(...)` (its ALTER USER needs CREATE USER even for oneself).
 */
async function setOwnMysqlPassword(c: Connection, password: string): Promise<unknown> {
  const [v] = await c.query("SELECT VERSION() AS v");
  return /mariadb/i.test(String(v?.v))
    ? c.query("SET PASSWORD = PASSWORD(?)", [password])
    : c.query("ALTER USER CURRENT_USER() IDENTIFIED BY ?", [password]);
}

function lenient<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof RotationRefused) return undefined;
    throw e;
  }
}

export function databaseStrategy(
  secret: DatabaseSecretConfig,
  deps: { secrets: Secrets; log: Log; connect?: Connect },
): RotationStrategy {
  const connect = deps.connect ?? connectDatabase;
  const engine = secret.engine;
  const alternating = secret.strategy === "alternating-users";
  const parse = (raw: string | undefined, stage: string) => {
    const v = parseSecretValue(raw, `${stage} value of ${secret.name}`);
    const secretEngine = v.engine === "mariadb" ? "mysql" : v.engine;
    if (secretEngine !== engine)
      throw new RotationRefused(
        `${secret.name} is configured as ${engine} but its ${stage} value says ${v.engine}`,
      );
    if (v.masterarn !== undefined && v.masterarn !== secret.adminSecretArn)
      throw new RotationRefused(`${secret.name}'s masterarn is not the configured adminSecretArn`);
    return v;
  };
  const admin = async (pending: DatabaseSecretValue) => {
    const a = parseSecretValue(await valueAt(deps.secrets, secret.adminSecretArn!, CURRENT), "admin secret");
    // The admin logs in to the same server and database as the user it changes.
    return { ...pending, username: a.username, password: a.password };
  };

  return {
    async create(currentRaw) {
      const current = parse(currentRaw, "AWSCURRENT");
      const username = alternating ? otherUser(current.username) : current.username;
      const max = engine === "mysql" ? MYSQL_USER_MAX : PG_NAME_MAX;
      if (Buffer.byteLength(username) > max)
        throw new RotationRefused(`user name ${username} is longer than ${engine} allows (${max})`);
      return JSON.stringify({
        ...current,
        username,
        password: randomString(secret.passwordLength, "alphanumeric"),
      });
    },

    async set({ pending: pendingRaw, current: currentRaw, previous: previousRaw }) {
      const pending = parse(pendingRaw, "AWSPENDING");
      const current = parse(currentRaw, "AWSCURRENT");
      for (const k of ["host", "port", "dbname"] as const)
        if (pending[k] !== current[k])
          throw new RotationRefused(
            `AWSPENDING of ${secret.name} changes ${k}; a rotation never moves a database`,
          );
      if (alternating) return setAlternating(pending);
      // Already set (a retried setSecret): nothing to do.
      if (await logsIn(connect, engine, pending)) return;
      // The user changes its own password, logged in with the current password, else the previous one.
      // AWSPREVIOUS is only a fallback: a previous value in another format (a plain password from before rotation
      // was set up) is skipped, not a reason to stop.
      const previous =
        previousRaw === undefined ? undefined : lenient(() => parse(previousRaw, "AWSPREVIOUS"));
      const candidates = [current, ...(previous ? [previous] : [])].filter(
        (c) => c.username === pending.username,
      );
      for (const login of candidates) {
        if (!(await logsIn(connect, engine, login))) continue;
        await withConnection(connect, engine, login, (c) =>
          engine === "postgres"
            ? c.query(`ALTER ROLE ${pgIdent(pending.username)} WITH PASSWORD ${pgLiteral(pending.password)}`)
            : setOwnMysqlPassword(c, pending.password),
        );
        return;
      }
      throw new RotationRefused(
        `neither the current nor the previous password of ${secret.name} logs in as ${pending.username}: nothing was changed`,
      );
    },

    async test({ pending: pendingRaw, current: currentRaw }) {
      const pending = parse(pendingRaw, "AWSPENDING");
      if (!(await logsIn(connect, engine, pending)))
        throw new RotationRefused(
          `the pending password of ${secret.name} does not log in as ${pending.username}`,
        );
      if (!alternating) return;
      // RotateImmediately=false: Secrets Manager probes testSecret on an AWSPENDING copy of the current value
      // (API_RotateSecret: "The test creates an AWSPENDING version of the secret and then removes it"), before any
      // clone exists. A real rotation's pending value always has a new password (createSecret), so only the probe
      // gets here; it proves the user and the admin log in (what setSecret needs), and checks no clone.
      const current = currentRaw === undefined ? undefined : lenient(() => parse(currentRaw, "AWSCURRENT"));
      if (current?.username === pending.username && current.password === pending.password) {
        await withConnection(connect, engine, await admin(pending), (a) => a.query("SELECT 1"));
        return;
      }
      const base = baseUser(pending.username);
      const clone = `${base}${CLONE_SUFFIX}`;
      const problems = await withConnection(connect, engine, await admin(pending), async (a) => {
        if (engine === "postgres") return pgCloneProblems(a, base, clone);
        const host = await mysqlHost(a, base);
        const [b, c] = [await mysqlGrants(a, base, host), await mysqlGrants(a, clone, host)];
        const [want, have] = [grantAtoms(b), grantAtoms(c)];
        const missing = [...want].filter((x) => !have.has(x));
        const extra = [...have].filter((x) => !want.has(x));
        // The pending clone must equal the original; the clone in service (pending is the original) keeps what it
        // has beyond it (nothing is revoked from a user in service) and must lack nothing.
        if (missing.length === 0 && (extra.length === 0 || pending.username === base)) {
          if (extra.length)
            deps.log.warn("the clone holds grants the original lacks; the next rotation to it removes them", {
              secret: secret.name,
              extra,
            });
          return [];
        }
        return [`${clone}'s grants differ from ${base}'s: ${JSON.stringify(c)} vs ${JSON.stringify(b)}`];
      });
      if (problems.length) throw new RotationRefused(`${secret.name}: ${problems.join("; ")}`);
    },
  };

  async function setAlternating(pending: DatabaseSecretValue): Promise<void> {
    const base = baseUser(pending.username);
    const clone = `${base}${CLONE_SUFFIX}`;
    await withConnection(connect, engine, await admin(pending), async (a) => {
      // Whichever user is pending, the clone (when it exists) is brought back to equal the original, so the one
      // left as AWSPREVIOUS for cached clients has the original's grants too.
      if (engine === "postgres") {
        const exists = (await a.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [clone])).length > 0;
        if (!exists && pending.username === clone) await a.query(`CREATE ROLE ${pgIdent(clone)} LOGIN`);
        if (exists || pending.username === clone) {
          // A member of the original that acts as it: the same grants, and what it creates the original owns.
          await a.query(`GRANT ${pgIdent(base)} TO ${pgIdent(clone)}`);
          await a.query(`ALTER ROLE ${pgIdent(clone)} SET role = ${pgLiteral(base)}`);
        }
        await a.query(
          `ALTER ROLE ${pgIdent(pending.username)} WITH LOGIN PASSWORD ${pgLiteral(pending.password)}`,
        );
        return;
      }
      const host = await mysqlHost(a, base);
      if (pending.username === clone)
        await a.query("CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?", [clone, host, pending.password]);
      const cloneExists =
        (await a.query("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", [clone, host])).length > 0;
      // The pending clone becomes exactly the original (its extras go only after every grant succeeded); a clone
      // that is AWSCURRENT (pending is the original) is in service: it only gains, nothing is ever revoked from it.
      if (cloneExists) await copyMysqlGrants(a, base, clone, host, pending.username === clone);
      await a.query("ALTER USER ?@? IDENTIFIED BY ?", [pending.username, host, pending.password]);
    });
  }
}
