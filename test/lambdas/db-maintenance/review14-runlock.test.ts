// Review of issue 14 (s4-rev14): the MySQL/MariaDB run lock's name is cut to 64 characters after a 33-character
// prefix, so two databases on one server whose names share their first 31 characters share one lock: a run of one
// refuses (after 10 minutes' wait) while the other's run holds it. Fails on main as merged.
import { execFileSync } from "node:child_process";
import { connect } from "../../../lambdas/db-maintenance/session";
import { takeRunLock } from "../../../lambdas/db-maintenance/run-lock";

jest.setTimeout(60_000);

const LIMITS = { lockTimeoutMs: 1000, statementTimeoutSeconds: 60, idleInTransactionSeconds: 30 };
const stem = `rev14_${process.pid}_${"x".repeat(40)}`.slice(0, 40);
const DBS = [`${stem}_appointments`, `${stem}_appointments_archive`];
const sql = (q: string) =>
  execFileSync("mysql", ["-h", "127.0.0.1", "-u", "backup", "-e", q], {
    env: { ...process.env, MYSQL_PWD: "backup" },
  });

beforeAll(() => {
  for (const d of DBS) sql(`CREATE DATABASE \`${d}\``);
});
afterAll(() => {
  for (const d of DBS) sql(`DROP DATABASE IF EXISTS \`${d}\``);
});

it("two databases of one server get two run locks", async () => {
  const open = (database: string) =>
    connect(
      { engine: "mysql", host: "127.0.0.1", port: 3306, database, user: "backup", password: "backup" },
      LIMITS,
    );
  const [a, b] = [await open(DBS[0]!), await open(DBS[1]!)];
  try {
    expect(await takeRunLock(a)).toBe(true);
    // On main: false, both names are LEFT('maintenance-stack db-maintenance:<db>', 64), the same 64 characters.
    expect(await takeRunLock(b)).toBe(true);
  } finally {
    await a.close();
    await b.close();
  }
});
