// The conditional reindex on real PostgreSQL: a bloated index (most of its rows deleted) is measured over the
// threshold and rebuilt, and its size drops; a freshly built index is measured and left alone; a dry run changes
// nothing; names with quotes and spaces work; without pgstattuple every index is rebuilt and reported unmeasured.
import pg from "pg";
import { S3Client } from "@aws-sdk/client-s3";
import { bloatPercentOf } from "../../../lambdas/db-maintenance/index-bloat";
import { maintenanceConfigSchema, taskSchema } from "../../../lambdas/db-maintenance/config";
import { runTask } from "../../../lambdas/db-maintenance/run";

jest.setTimeout(60_000);

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };
const DB = `ixbloat_${process.pid}_${Date.now() % 100000}`;
const TABLE = 'Odd "t" x';
const BLOATED = 'idx "odd" v';
const FRESH = "idx fresh w";

const config = (task: unknown) =>
  maintenanceConfigSchema.parse({
    database: "db",
    connection: {
      engine: "postgres",
      host: PG.host,
      port: PG.port,
      databaseName: DB,
      user: PG.user,
      passwordSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
    },
    session: { lockTimeoutMs: 5000, statementTimeoutSeconds: 60, idleInTransactionSeconds: 30 },
    tasks: [{ task: taskSchema.parse(task) }],
  });
const puts: [string, string, number][] = [];
const logs: unknown[] = [];
const deps = () => ({
  s3: new S3Client({ region: "us-east-1" }),
  secrets: { send: async () => ({ SecretString: JSON.stringify({ password: PG.password }) }) },
  log: { info: (_m: string, f?: unknown) => logs.push(f), warn: () => {}, error: () => {} },
  now: () => new Date(),
  put: (d: { value: string }, m: string, v: number) => puts.push([d.value, m, v]),
});
const reindex = (extra: Record<string, unknown> = {}) => ({
  kind: "reindex",
  name: "deep-reindex",
  target: { table: TABLE },
  ifBloatOverPercent: 20,
  ...extra,
});

let admin: pg.Client;
const indexState = async (name: string) => {
  const r = await admin.query(
    "SELECT pg_relation_size(c.oid)::bigint AS bytes, c.relfilenode::int AS node FROM pg_class c WHERE c.relname = $1",
    [name],
  );
  return { bytes: Number(r.rows[0].bytes), node: Number(r.rows[0].node) };
};

beforeAll(async () => {
  const root = new pg.Client({ ...PG, database: "postgres" });
  await root.connect();
  await root.query(`CREATE DATABASE ${DB}`);
  await root.end();
  admin = new pg.Client({ ...PG, database: DB });
  await admin.connect();
  await admin.query("CREATE EXTENSION pgstattuple");
  await admin.query(`CREATE TABLE "Odd ""t"" x" (id int PRIMARY KEY, v int, w int)`);
  await admin.query(`CREATE INDEX "idx ""odd"" v" ON "Odd ""t"" x" (v)`);
  await admin.query(`INSERT INTO "Odd ""t"" x" SELECT g, g, g FROM generate_series(1, 60000) g`);
  // Most rows go, then VACUUM clears their index entries: the leaf pages stay, mostly empty (btree never merges
  // pages that still hold a key).
  await admin.query(`DELETE FROM "Odd ""t"" x" WHERE id % 5 <> 0`);
  await admin.query(`VACUUM "Odd ""t"" x"`);
  // Built after the deletes: packed to its fillfactor.
  await admin.query(`CREATE INDEX "idx fresh w" ON "Odd ""t"" x" (w)`);
});
afterAll(async () => {
  await admin.end();
  const root = new pg.Client({ ...PG, database: "postgres" });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await root.end();
});
beforeEach(() => {
  puts.length = 0;
  logs.length = 0;
});

it("figures bloat as the share of the leaf level a healthy index (min(fillfactor, 70 %) full) would not need", () => {
  const leaf = (leafPages: number, avgLeafDensity: number, deletedPages = 0, emptyPages = 0) => ({
    leafPages,
    emptyPages,
    deletedPages,
    avgLeafDensity,
  });
  expect([
    // Packed to its fillfactor (a fresh build, ascending keys) and random keys' steady state: nothing to win.
    bloatPercentOf(leaf(100, 90), 90),
    bloatPercentOf(leaf(100, 70), 90),
    // Half-empty leaves; a range purge's deleted pages count as the index's size (review 14: 56 leaf, 492 deleted).
    bloatPercentOf(leaf(100, 35), 90),
    bloatPercentOf(leaf(56, 87.9, 492), 90),
    bloatPercentOf(leaf(50, 70, 0, 50), 90),
    // A low fillfactor is the reference below 70 %.
    bloatPercentOf(leaf(100, 50), 50),
    bloatPercentOf(leaf(0, Number.NaN), 90),
  ]).toEqual([0, 0, 50, 87.2, 50, 0, 0]);
});

it("a dry run measures and reports each index and rebuilds none", async () => {
  const before = [await indexState(BLOATED), await indexState(FRESH)];
  const outcome = await runTask({ task: "deep-reindex" }, config(reindex({ dryRun: true })), deps());
  expect(outcome).toMatchObject({ outcome: "ok", indexes: { rebuilt: 2, skipped: 1, unmeasured: 0 } });
  expect([await indexState(BLOATED), await indexState(FRESH)]).toEqual(before);
  const figures = Object.fromEntries(
    puts.filter(([, m]) => m === "IndexBloatPercent").map(([i, , v]) => [i, v]),
  );
  expect(Object.keys(figures).sort()).toEqual(
    [`public.${BLOATED}`, 'public.Odd "t" x_pkey', `public.${FRESH}`].sort(),
  );
  expect(figures[`public.${BLOATED}`]).toBeGreaterThan(50);
  expect(figures[`public.${FRESH}`]).toBeLessThan(5);
  const verdicts = (
    logs.find((l) => (l as { indexes?: unknown }).indexes) as { indexes: { index: string; action: string }[] }
  ).indexes;
  expect(verdicts.map((v) => [v.index, v.action])).toEqual([
    // The primary key lost the same rows.
    ['public.Odd "t" x_pkey', "would-rebuild"],
    [`public.${BLOATED}`, "would-rebuild"],
    [`public.${FRESH}`, "skipped"],
  ]);
});

it("rebuilds the bloated indexes CONCURRENTLY (their size drops) and leaves the fresh one alone", async () => {
  const bloated = await indexState(BLOATED);
  const fresh = await indexState(FRESH);
  const outcome = await runTask({ task: "deep-reindex" }, config(reindex()), deps());
  expect(outcome).toMatchObject({ outcome: "ok", indexes: { rebuilt: 2, skipped: 1, unmeasured: 0 } });
  const after = await indexState(BLOATED);
  expect(after.node).not.toBe(bloated.node);
  expect(after.bytes).toBeLessThan(bloated.bytes / 2);
  expect(await indexState(FRESH)).toEqual(fresh);
  // Measured again, the rebuilt index is packed.
  puts.length = 0;
  await runTask({ task: "deep-reindex" }, config(reindex({ dryRun: true })), deps());
  expect(puts.find(([i]) => i === `public.${BLOATED}`)![2]).toBeLessThan(5);
});

it("without pgstattuple rebuilds every index of the target and reports each unmeasured", async () => {
  await admin.query("DROP EXTENSION pgstattuple");
  try {
    const nodes = [await indexState(BLOATED), await indexState(FRESH)].map((s) => s.node);
    const outcome = await runTask({ task: "deep-reindex" }, config(reindex()), deps());
    expect(outcome).toMatchObject({ outcome: "ok", indexes: { rebuilt: 3, skipped: 0, unmeasured: 3 } });
    expect(puts.filter(([, m]) => m === "IndexBloatPercent")).toEqual([]);
    expect([await indexState(BLOATED), await indexState(FRESH)].map((s) => s.node)).not.toEqual(nodes);
    const verdicts = (
      logs.find((l) => (l as { indexes?: unknown }).indexes) as { indexes: { reason: string }[] }
    ).indexes;
    expect(verdicts[0]!.reason).toMatch(/^unmeasured \(pgstattuple is not installed in this database/);
  } finally {
    await admin.query("CREATE EXTENSION pgstattuple");
  }
});

it("refuses a named index that does not exist, naming it", async () => {
  const outcome = await runTask(
    { task: "deep-reindex" },
    config(reindex({ target: { index: "no such index" } })),
    deps(),
  );
  expect(outcome).toMatchObject({
    outcome: "failed",
    reason: 'no valid index "no such index" in this database',
  });
});
