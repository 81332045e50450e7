// Full rotations on the real local PostgreSQL and MariaDB through a stateful Secrets Manager fake: the new password
// logs in (and with alternating users the old user still does, with the original's grants and ownership), a step that
// crashes mid-way and is retried converges, TLS is never silently dropped, a stale AWSPENDING is reported, and a dump
// that read the old password while a rotation finished still succeeds.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { runDump } from "../../../lambdas/logical-backup/run";
import { checkSecret } from "../../../lambdas/rotation-check/check";
import type {
  DatabaseSecretConfig,
  GeneratedSecretConfig,
  RotatedSecret,
} from "../../../lambdas/secret-rotation/config";
import { type Connect, connectDatabase, databaseStrategy } from "../../../lambdas/secret-rotation/database";
import { generatedStrategy } from "../../../lambdas/secret-rotation/generated";
import { rotate } from "../../../lambdas/secret-rotation/rotation";
import { FakeSecretsManager } from "../../support/fake-secrets-manager";

const tag = `rot${process.pid}${Date.now() % 100000}`;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const pgAs = (user: string, password: string, sql: string, db = "postgres") =>
  execFileSync(
    "psql",
    ["-h", "127.0.0.1", "-U", user, "-d", db, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
    {
      env: { ...process.env, PGPASSWORD: password },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  ).trim();
const pg = (sql: string, db = "postgres") => pgAs("postgres", "postgres", sql, db);
const myAs = (user: string, password: string, sql: string) =>
  execFileSync("mysql", ["-h", "127.0.0.1", "-u", user, "-N", "-B", "-e", sql], {
    env: { ...process.env, MYSQL_PWD: password },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
const root = (sql: string) =>
  execFileSync("mysql", ["-uroot", "-N", "-B", "-e", sql], { encoding: "utf8" }).trim();
const logsIn = (run: () => unknown) => {
  try {
    run();
    return true;
  } catch {
    return false;
  }
};

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${tag}/${name}-AbCdEf`;
const dbSecret = (engine: "postgres" | "mysql", user: string, password: string, extra = {}) =>
  JSON.stringify({
    engine,
    host: "127.0.0.1",
    port: engine === "postgres" ? 5432 : 3306,
    username: user,
    password,
    dbname: engine === "postgres" ? `${tag}_db` : `${tag}_db`,
    ssl: false,
    ...extra,
  });

function driver(sm: FakeSecretsManager, secret: RotatedSecret, connect?: Connect) {
  return (event: Record<string, string>) =>
    rotate(
      event as never,
      secret,
      secret.kind === "generated"
        ? generatedStrategy(secret)
        : databaseStrategy(secret, { secrets: sm, log: silent, ...(connect ? { connect } : {}) }),
      { secrets: sm, log: silent },
    );
}
const current = (sm: FakeSecretsManager, arn: string) => JSON.parse(sm.valueAt(arn, "AWSCURRENT")!);

beforeAll(() => {
  pg(`CREATE DATABASE ${tag}_db`);
  root(`CREATE DATABASE ${tag}_db`);
});
afterAll(() => {
  pg(`DROP DATABASE IF EXISTS ${tag}_db`);
  for (const r of pg(`SELECT rolname FROM pg_roles WHERE rolname LIKE '${tag}%'`).split("\n").filter(Boolean))
    pg(`DROP ROLE IF EXISTS ${r}`);
  root(`DROP DATABASE IF EXISTS ${tag}_db`);
  for (const u of root(`SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User LIKE '${tag}%'`)
    .split("\n")
    .filter(Boolean)) {
    const [user, host] = u.split("@");
    root(`DROP USER IF EXISTS '${user}'@'${host}'`);
  }
});

describe("PostgreSQL", () => {
  it("single-user: the new password logs in, the old one no longer does, AWSPREVIOUS keeps it", async () => {
    const user = `${tag}_app`;
    pg(`CREATE ROLE ${user} LOGIN PASSWORD 'first-password'`);
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "app",
      arn: ARN("app"),
      engine: "postgres",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", user, "first-password"));
    await sm.rotate(secret.arn, driver(sm, secret));
    const now = current(sm, secret.arn);
    expect(now.username).toBe(user);
    expect(now.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(pgAs(user, now.password, "SELECT current_user")).toBe(user);
    expect(logsIn(() => pgAs(user, "first-password", "SELECT 1"))).toBe(false);
    expect(JSON.parse(sm.valueAt(secret.arn, "AWSPREVIOUS")!).password).toBe("first-password");
    expect(Object.values(sm.stagesOf(secret.arn)).flat().sort()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
  });

  it("alternating-users: the clone logs in, the old user still does, and the clone's grants and ownership are the original's", async () => {
    const base = `${tag}_alt`;
    pg(`CREATE ROLE ${base} LOGIN PASSWORD 'base-password'`);
    pg(`GRANT CREATE ON SCHEMA public TO ${base}`, `${tag}_db`);
    pgAs(base, "base-password", "CREATE TABLE owned_by_base (id int)", `${tag}_db`);
    const sm = new FakeSecretsManager();
    const admin = sm.create(ARN("pg-admin"), dbSecret("postgres", "postgres", "postgres"));
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "alt",
      arn: ARN("alt"),
      engine: "postgres",
      strategy: "alternating-users",
      adminSecretArn: admin,
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", base, "base-password"));
    await sm.rotate(secret.arn, driver(sm, secret));
    const clone = current(sm, secret.arn);
    expect(clone.username).toBe(`${base}_clone`);
    // The old user still logs in (clients caching it keep working until the next rotation).
    expect(pgAs(base, "base-password", "SELECT current_user", `${tag}_db`)).toBe(base);
    // The clone acts as the original: it reads the original's table, and what it creates the original owns.
    expect(pgAs(clone.username, clone.password, "SELECT current_user", `${tag}_db`)).toBe(base);
    pgAs(
      clone.username,
      clone.password,
      "INSERT INTO owned_by_base VALUES (1); CREATE TABLE made_by_clone (id int)",
      `${tag}_db`,
    );
    expect(pg("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_clone'", `${tag}_db`)).toBe(base);

    // The next rotation goes back to the original user with a new password; the clone still logs in.
    await sm.rotate(secret.arn, driver(sm, secret));
    const back = current(sm, secret.arn);
    expect(back.username).toBe(base);
    expect(back.password).not.toBe("base-password");
    expect(pgAs(base, back.password, "SELECT 1")).toBe("1");
    expect(pgAs(clone.username, clone.password, "SELECT 1")).toBe("1");
  });

  it("testSecret fails when the clone owns objects the original does not", async () => {
    const base = `${tag}_own`;
    pg(`CREATE ROLE ${base} LOGIN PASSWORD 'own-password'`);
    const sm = new FakeSecretsManager();
    const admin = sm.create(ARN("pg-admin2"), dbSecret("postgres", "postgres", "postgres"));
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "own",
      arn: ARN("own"),
      engine: "postgres",
      strategy: "alternating-users",
      adminSecretArn: admin,
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", base, "own-password"));
    const run = driver(sm, secret);
    const token = sm.startRotation(secret.arn);
    await run({ Step: "createSecret", SecretId: secret.arn, ClientRequestToken: token });
    await run({ Step: "setSecret", SecretId: secret.arn, ClientRequestToken: token });
    // Someone gave the clone a table of its own (the ownership drift the templates' users report).
    pg(`CREATE TABLE ${base}_drift (id int); ALTER TABLE ${base}_drift OWNER TO ${base}_clone`, `${tag}_db`);
    await expect(
      run({ Step: "testSecret", SecretId: secret.arn, ClientRequestToken: token }),
    ).rejects.toThrow(
      `${base}_clone owns 1 object(s) ${base} does not (REASSIGN OWNED BY ${base}_clone TO ${base})`,
    );
    pg(`DROP TABLE ${base}_drift`, `${tag}_db`);
    await run({ Step: "testSecret", SecretId: secret.arn, ClientRequestToken: token });
  });

  it("a setSecret that crashes after changing the password, retried, converges (and createSecret twice keeps one value)", async () => {
    const user = `${tag}_crash`;
    pg(`CREATE ROLE ${user} LOGIN PASSWORD 'crash-password'`);
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "crash",
      arn: ARN("crash"),
      engine: "postgres",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", user, "crash-password"));
    // The connection dies right after the ALTER ROLE ran (the password changed, the step never returned).
    let crash = true;
    const crashing: Connect = async (engine, login) => {
      const c = await connectDatabase(engine, login);
      return {
        close: () => c.close(),
        query: async (sql, params) => {
          const rows = await c.query(sql, params);
          if (crash && sql.startsWith("ALTER ROLE")) {
            crash = false;
            throw new Error("connection terminated unexpectedly");
          }
          return rows;
        },
      };
    };
    const run = driver(sm, secret, crashing);
    const token = sm.startRotation(secret.arn);
    const ev = (Step: string) => ({ Step, SecretId: secret.arn, ClientRequestToken: token });
    await run(ev("createSecret"));
    const pending = sm.valueAt(secret.arn, "AWSPENDING");
    await run(ev("createSecret"));
    expect(sm.valueAt(secret.arn, "AWSPENDING")).toBe(pending);
    await expect(run(ev("setSecret"))).rejects.toThrow("connection terminated unexpectedly");
    // The database already has the new password, the secret still the old one as AWSCURRENT: the retry sees the
    // pending password log in and is done.
    await run(ev("setSecret"));
    await run(ev("testSecret"));
    await run(ev("finishSecret"));
    await run(ev("finishSecret"));
    const now = current(sm, secret.arn);
    expect(now.password).toBe(JSON.parse(pending!).password);
    expect(pgAs(user, now.password, "SELECT 1")).toBe("1");
    expect(Object.values(sm.stagesOf(secret.arn)).flat().sort()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
  });

  it("never falls back to plain text: a secret that asks for TLS fails against a server without it, and nothing changes", async () => {
    const user = `${tag}_tls`;
    pg(`CREATE ROLE ${user} LOGIN PASSWORD 'tls-password'`);
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "tls",
      arn: ARN("tls"),
      engine: "postgres",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", user, "tls-password", { ssl: "require" }));
    await expect(sm.rotate(secret.arn, driver(sm, secret))).rejects.toThrow(/does not support SSL/);
    expect(pgAs(user, "tls-password", "SELECT 1")).toBe("1");
    expect(JSON.parse(sm.valueAt(secret.arn, "AWSCURRENT")!).password).toBe("tls-password");
  });
});

describe("MariaDB", () => {
  const adminUser = `${tag}_adm`;
  beforeAll(() => {
    root(
      `CREATE USER '${adminUser}'@'127.0.0.1' IDENTIFIED BY 'admin-password'; GRANT ALL ON *.* TO '${adminUser}'@'127.0.0.1' WITH GRANT OPTION`,
    );
  });

  it("single-user: the new password logs in and the old one does not", async () => {
    const user = `${tag}_my`;
    root(
      `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'my-password'; GRANT SELECT ON ${tag}_db.* TO '${user}'@'127.0.0.1'`,
    );
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "my",
      arn: ARN("my"),
      engine: "mysql",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("mysql", user, "my-password"));
    await sm.rotate(secret.arn, driver(sm, secret));
    const now = current(sm, secret.arn);
    expect(myAs(user, now.password, "SELECT CURRENT_USER()")).toBe(`${user}@127.0.0.1`);
    expect(logsIn(() => myAs(user, "my-password", "SELECT 1"))).toBe(false);
  });

  it("alternating-users: the clone gets exactly the original's grants, and both users log in", async () => {
    const base = `${tag}_myalt`;
    root(
      `CREATE USER '${base}'@'127.0.0.1' IDENTIFIED BY 'alt-password'; GRANT SELECT, INSERT ON ${tag}_db.* TO '${base}'@'127.0.0.1'`,
    );
    const sm = new FakeSecretsManager();
    const admin = sm.create(ARN("my-admin"), dbSecret("mysql", adminUser, "admin-password"));
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "myalt",
      arn: ARN("myalt"),
      engine: "mysql",
      strategy: "alternating-users",
      adminSecretArn: admin,
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("mysql", base, "alt-password"));
    await sm.rotate(secret.arn, driver(sm, secret));
    const clone = current(sm, secret.arn);
    expect(clone.username).toBe(`${base}_clone`);
    expect(myAs(base, "alt-password", "SELECT 1")).toBe("1");
    expect(myAs(clone.username, clone.password, "SELECT 1")).toBe("1");
    const grants = (u: string) =>
      root(`SHOW GRANTS FOR '${u}'@'127.0.0.1'`)
        .split("\n")
        .map((g) => g.replace(/`[^`]+`@`127.0.0.1`/, "?").replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ""))
        .sort();
    expect(grants(clone.username)).toEqual(grants(base));
    expect(grants(clone.username)).toContain(`GRANT SELECT, INSERT ON \`${tag}_db\`.* TO ?`);

    // The original gains a grant and the clone one the original lacks: the switch back to the original gives the
    // clone (in service until finishSecret, then AWSPREVIOUS) what it lacked and revokes nothing from it.
    root(
      `GRANT UPDATE ON ${tag}_db.* TO '${base}'@'127.0.0.1'; GRANT DELETE ON ${tag}_db.* TO '${clone.username}'@'127.0.0.1'`,
    );
    await sm.rotate(secret.arn, driver(sm, secret));
    expect(current(sm, secret.arn).username).toBe(base);
    expect(grants(clone.username)).toContain(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${tag}_db\`.* TO ?`);
    expect(myAs(clone.username, clone.password, "SELECT 1")).toBe("1");
    // The next rotation makes the clone the pending user: every grant first, then its extra DELETE goes.
    await sm.rotate(secret.arn, driver(sm, secret));
    expect(current(sm, secret.arn).username).toBe(clone.username);
    expect(grants(clone.username)).toEqual(grants(base));
    expect(grants(clone.username)).toContain(`GRANT SELECT, INSERT, UPDATE ON \`${tag}_db\`.* TO ?`);
  });

  it("alternating-users: a re-grant that fails mid-way never strips the AWSCURRENT user (it can still SELECT)", async () => {
    const base = `${tag}_mycut`;
    root(
      `CREATE TABLE IF NOT EXISTS ${tag}_db.t (id int); INSERT INTO ${tag}_db.t VALUES (1); CREATE USER '${base}'@'127.0.0.1' IDENTIFIED BY 'cut-password'; GRANT SELECT ON ${tag}_db.* TO '${base}'@'127.0.0.1'`,
    );
    const sm = new FakeSecretsManager();
    const admin = sm.create(ARN("my-admin3"), dbSecret("mysql", adminUser, "admin-password"));
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "mycut",
      arn: ARN("mycut"),
      engine: "mysql",
      strategy: "alternating-users",
      adminSecretArn: admin,
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("mysql", base, "cut-password"));
    await sm.rotate(secret.arn, driver(sm, secret));
    const clone = current(sm, secret.arn);
    expect(clone.username).toBe(`${base}_clone`);
    // The switch back to the original: every GRANT the admin sends fails (a timeout, a crash mid-way).
    const failingGrants: Connect = async (engine, login) => {
      const c = await connectDatabase(engine, login);
      return {
        close: c.close,
        query: async (sql, params) => {
          if (/^GRANT /.test(sql)) throw new Error("simulated failure mid-way through the grants");
          return c.query(sql, params);
        },
      };
    };
    await expect(sm.rotate(secret.arn, driver(sm, secret, failingGrants))).rejects.toThrow(
      "simulated failure mid-way through the grants",
    );
    expect(current(sm, secret.arn).username).toBe(clone.username);
    expect(myAs(clone.username, clone.password, `SELECT count(*) FROM ${tag}_db.t`)).toBe("1");
  });
});

describe("the deploy-time probe (RotateImmediately=false runs testSecret on a copy of the current value)", () => {
  const adminUser = `${tag}_padm`;
  it("passes for never-rotated alternating users (no clone yet) on MariaDB and PostgreSQL, and fails on a wrong password", async () => {
    root(
      `CREATE USER '${adminUser}'@'127.0.0.1' IDENTIFIED BY 'admin-password'; GRANT ALL ON *.* TO '${adminUser}'@'127.0.0.1' WITH GRANT OPTION`,
    );
    root(
      `CREATE USER '${tag}_pmy'@'127.0.0.1' IDENTIFIED BY 'pmy-password'; GRANT SELECT ON ${tag}_db.* TO '${tag}_pmy'@'127.0.0.1'`,
    );
    pg(
      `CREATE ROLE ${tag}_ppg LOGIN PASSWORD 'ppg-password'; CREATE ROLE ${tag}_ppgadm LOGIN CREATEROLE PASSWORD 'adm-password'`,
    );
    for (const [engine, user, password, adminLogin] of [
      ["mysql", `${tag}_pmy`, "pmy-password", [adminUser, "admin-password"]],
      ["postgres", `${tag}_ppg`, "ppg-password", [`${tag}_ppgadm`, "adm-password"]],
    ] as const) {
      const sm = new FakeSecretsManager();
      const admin = sm.create(ARN(`${engine}-padm`), dbSecret(engine, adminLogin[0], adminLogin[1]));
      const secret: DatabaseSecretConfig = {
        kind: "database",
        name: `probe-${engine}`,
        arn: ARN(`probe-${engine}`),
        engine,
        strategy: "alternating-users",
        adminSecretArn: admin,
        passwordLength: 32,
      };
      sm.create(secret.arn, dbSecret(engine, user, password));
      await sm.probeRotation(secret.arn, driver(sm, secret));
      expect(Object.values(sm.stagesOf(secret.arn))).toEqual([["AWSCURRENT"]]);
      // The probe still proves the login: a current value that does not log in fails it.
      const wrong = new FakeSecretsManager();
      wrong.create(admin, dbSecret(engine, adminLogin[0], adminLogin[1]));
      wrong.create(secret.arn, dbSecret(engine, user, "not-the-password"));
      await expect(wrong.probeRotation(secret.arn, driver(wrong, secret))).rejects.toThrow(
        `the pending password of probe-${engine} does not log in as ${user}`,
      );
    }
  });
});

describe("generated secrets", () => {
  it("rotates a JWT secret to 128 fresh hex characters and keeps the old one as AWSPREVIOUS", async () => {
    const sm = new FakeSecretsManager();
    const secret: GeneratedSecretConfig = {
      kind: "generated",
      name: "jwt",
      arn: ARN("jwt"),
      length: 128,
      alphabet: "hex",
    };
    // Created by the stack with no value: the first rotation writes one.
    sm.create(secret.arn);
    await sm.rotate(secret.arn, driver(sm, secret));
    const first = sm.valueAt(secret.arn, "AWSCURRENT")!;
    expect(first).toMatch(/^[0-9a-f]{128}$/);
    await sm.rotate(secret.arn, driver(sm, secret));
    expect(sm.valueAt(secret.arn, "AWSPREVIOUS")).toBe(first);
    expect(sm.valueAt(secret.arn, "AWSCURRENT")).toMatch(/^[0-9a-f]{128}$/);
    expect(sm.valueAt(secret.arn, "AWSCURRENT")).not.toBe(first);
  });

  it("refuses a token Secrets Manager has not staged, and a secret whose rotation is off", async () => {
    const sm = new FakeSecretsManager();
    const secret: GeneratedSecretConfig = {
      kind: "generated",
      name: "jwt",
      arn: ARN("jwt2"),
      length: 64,
      alphabet: "hex",
    };
    sm.create(secret.arn, "a".repeat(64));
    const token = "00000000-0000-4000-8000-000000000000";
    await expect(
      driver(sm, secret)({ Step: "createSecret", SecretId: secret.arn, ClientRequestToken: token }),
    ).rejects.toThrow(`version ${token} of secret jwt has no stage for rotation`);
    const off = new FakeSecretsManager();
    off.create(secret.arn, "a".repeat(64), { rotationEnabled: false });
    await expect(off.rotate(secret.arn, driver(off, secret))).rejects.toThrow(
      "secret jwt is not enabled for rotation",
    );
  });
});

describe("the daily check", () => {
  it("reports a stale AWSPENDING, and Secrets Manager refuses the next rotation until it is cleared", async () => {
    const now = new Date("2027-03-01T06:00:00Z");
    const sm = new FakeSecretsManager(() => now);
    const arn = ARN("stuck");
    sm.create(arn, "x".repeat(64), { createdAt: new Date("2027-01-01T00:00:00Z") });
    const stale = sm.startRotation(
      arn,
      "11111111-1111-4111-8111-111111111111",
      new Date("2027-02-27T03:00:00Z"),
    );
    const report = await checkSecret(sm, { name: "stuck", arn, maxAgeDays: 95, intervalDays: 91 }, 6, now);
    expect(report).toEqual({
      name: "stuck",
      status: "stuck",
      daysSinceLastRotation: 59.3,
      stuckPending: [stale],
      lastRotated: null,
    });
    expect(() => sm.startRotation(arn)).toThrow("A previous rotation isn't complete");
    // The alarm page's fix: remove the label from the stale version; the next rotation then starts.
    await sm.answer("UpdateSecretVersionStage", {
      SecretId: arn,
      VersionStage: "AWSPENDING",
      RemoveFromVersionId: stale,
    });
    expect(
      (await checkSecret(sm, { name: "stuck", arn, maxAgeDays: 95, intervalDays: 91 }, 6, now)).status,
    ).toBe("ok");
    expect(() => sm.startRotation(arn)).not.toThrow();
  });

  it("reports days since the last rotation, overdue past the schedule", async () => {
    const now = new Date("2027-03-01T06:00:00Z");
    const sm = new FakeSecretsManager(() => now);
    const arn = ARN("old");
    sm.create(arn, "x".repeat(64), { createdAt: new Date("2026-10-01T06:00:00Z") });
    expect(
      await checkSecret(sm, { name: "old", arn, maxAgeDays: 95, intervalDays: 91 }, 6, now),
    ).toMatchObject({
      status: "overdue",
      daysSinceLastRotation: 151,
      stuckPending: [],
    });
  });

  it("a secret that existed long before rotation was configured is overdue only once its first scheduled rotation is missed", async () => {
    // rate(90 days) with a 4h window: maxAgeDays 91.2. Created a year earlier; rotation configured 2027-02-20, so
    // Secrets Manager reports its first rotation due by 2027-05-21 (NextRotationDate), never rotated yet.
    const firstDue = new Date("2027-05-21T00:00:00Z");
    const at = (iso: string) => new Date(iso);
    const sm = new FakeSecretsManager();
    const arn = ARN("preexisting");
    sm.create(arn, "x".repeat(64), { createdAt: at("2026-02-01T00:00:00Z"), nextRotation: firstDue });
    const s = { name: "pre", arn, maxAgeDays: 91.2, intervalDays: 90 };
    expect(await checkSecret(sm, s, 6, at("2027-02-21T06:00:00Z"))).toEqual({
      name: "pre",
      status: "ok",
      daysSinceLastRotation: 1.3,
      stuckPending: [],
      lastRotated: null,
      firstRotationDue: "2027-05-21T00:00:00.000Z",
    });
    // Within the first window and the check's day: not yet; past them, the missed first rotation is overdue.
    expect(await checkSecret(sm, s, 6, at("2027-05-22T04:00:00Z"))).toMatchObject({ status: "ok" });
    expect(await checkSecret(sm, s, 6, at("2027-05-22T06:00:00Z"))).toMatchObject({
      status: "overdue",
      daysSinceLastRotation: 91.3,
    });
  });
});

describe("a dump while a rotation finishes", () => {
  let server: S3rver;
  let s3: S3Client;
  beforeAll(async () => {
    server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      silent: true,
      directory: mkdtempSync(join(tmpdir(), "s3rver-")),
    });
    const { port } = (await server.run()) as unknown as { port: number };
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "eu-west-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "rotation-dumps" }));
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.close();
  });

  it("read the old password, the rotation finished before it logged in: it reads the secret again and the dump lands", async () => {
    const user = `${tag}_dump`;
    pg(`CREATE ROLE ${user} LOGIN PASSWORD 'dump-password'; GRANT pg_read_all_data TO ${user}`);
    pg(`CREATE TABLE IF NOT EXISTS dumped (id int); INSERT INTO dumped VALUES (1)`, `${tag}_db`);
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "dump",
      arn: ARN("dump"),
      engine: "postgres",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", user, "dump-password"));
    const stale = sm.valueAt(secret.arn, "AWSCURRENT");
    await sm.rotate(secret.arn, driver(sm, secret));
    // The dump's first read happened before finishSecret: it gets the old value; every later read is live.
    let reads = 0;
    const secrets = {
      send: async (c: never) => (reads++ === 0 ? { SecretString: stale } : sm.send(c)),
    } as never;
    const warnings: string[] = [];
    const result = await runDump(
      { tier: "daily", scheduledTime: "2026-01-01T02:00:00Z" },
      {
        database: "dump",
        engine: "postgres",
        host: "127.0.0.1",
        port: 5432,
        databaseName: `${tag}_db`,
        user,
        passwordSecretArn: secret.arn,
        bucket: "rotation-dumps",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      },
      {
        s3,
        secrets,
        now: () => new Date("2026-01-01T02:01:00Z"),
        metrics: { put: () => {} },
        log: { ...silent, warn: (m: string) => warnings.push(m) },
      },
    );
    expect(result.status).toBe("uploaded");
    // The stale AWSCURRENT, AWSPENDING (gone: the rotation finished), AWSCURRENT again.
    expect(reads).toBe(3);
    expect(warnings).toEqual(["the database refused the password; reading the secret again"]);
    await s3.send(new HeadObjectCommand({ Bucket: "rotation-dumps", Key: result.key }));
  });

  it("a dump that starts with the old password while a rotation finishes still succeeds (between setSecret and finishSecret it logs in with AWSPENDING)", async () => {
    const user = `${tag}_dump2`;
    pg(`CREATE ROLE ${user} LOGIN PASSWORD 'dump2-password'; GRANT pg_read_all_data TO ${user}`);
    const sm = new FakeSecretsManager();
    const secret: DatabaseSecretConfig = {
      kind: "database",
      name: "dump2",
      arn: ARN("dump2"),
      engine: "postgres",
      strategy: "single-user",
      passwordLength: 32,
    };
    sm.create(secret.arn, dbSecret("postgres", user, "dump2-password"));
    const token = sm.startRotation(secret.arn);
    for (const Step of ["createSecret", "setSecret"])
      await driver(sm, secret)({ Step, SecretId: secret.arn, ClientRequestToken: token });
    // The database has the new password; AWSCURRENT still holds the old one until finishSecret.
    expect(JSON.parse(sm.valueAt(secret.arn, "AWSCURRENT")!).password).toBe("dump2-password");
    const stages: (string | undefined)[] = [];
    const secrets = {
      send: (c: { input: { VersionStage?: string } }) => {
        stages.push(c.input.VersionStage);
        return sm.send(c as never);
      },
    } as never;
    const warnings: string[] = [];
    const result = await runDump(
      { tier: "daily", scheduledTime: "2026-01-01T02:00:00Z" },
      {
        database: "dump2",
        engine: "postgres",
        host: "127.0.0.1",
        port: 5432,
        databaseName: `${tag}_db`,
        user,
        passwordSecretArn: secret.arn,
        bucket: "rotation-dumps",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      },
      {
        s3,
        secrets,
        now: () => new Date("2026-01-01T02:01:00Z"),
        metrics: { put: () => {} },
        log: { ...silent, warn: (m: string) => warnings.push(m) },
      },
    );
    expect(result).toMatchObject({ status: "uploaded" });
    expect(stages).toEqual([undefined, "AWSPENDING"]);
    expect(warnings).toEqual(["the database refused the password; reading the secret again"]);
    await s3.send(new HeadObjectCommand({ Bucket: "rotation-dumps", Key: (result as { key: string }).key }));
  });
});
