// The dump manifest: what a dump holds (each table's row count, the server's version, the dump's checksum), written
// beside the dump so a restore drill can tell a complete restore from a partial one. PostgreSQL counts are read in the
// dump's own snapshot (pg_export_snapshot, then pg_dump --snapshot), so they are exact; MySQL cannot share a snapshot
// with mysqldump, so its counts bracket the dump: one consistent snapshot just before mysqldump starts, one just after.
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PsqlSession, query, quoteIdent, type SqlConnection } from "./sql";

export interface ManifestTable {
  /** PostgreSQL schema; absent for MySQL (one schema per dump). */
  readonly schema?: string;
  readonly table: string;
  /** Rows in the dump's snapshot (PostgreSQL), or in the snapshot taken just before mysqldump started. */
  readonly rows: number;
  /** MySQL only, when it differs: rows in the snapshot taken just after mysqldump finished. */
  readonly rowsAfter?: number;
}

export interface DumpManifest {
  readonly format: 1;
  readonly database: string;
  readonly engine: "postgres" | "mysql";
  /** `server_version` / `VERSION()` of the source when it was dumped. */
  readonly serverVersion: string;
  /** "dump-snapshot": counted in the dump's own snapshot. "bracketed": between two snapshots around the dump. */
  readonly consistency: "dump-snapshot" | "bracketed";
  readonly dumpKey: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly tables: readonly ManifestTable[];
}

/** `<tier>/<db>/<slot>Z.<suffix>` -> `<tier>/<db>/manifests/<slot>Z.json` (whatever the dump's compression suffix). */
export function manifestKey(dumpKey: string): string {
  const m = /^(.*\/)([^/]+?Z)\.dump(\.[A-Za-z0-9]+)?$/.exec(dumpKey);
  if (!m) throw new Error(`${dumpKey} is not a dump key (<tier>/<db>/<slot>Z.dump[.<compression>])`);
  return `${m[1]}manifests/${m[2]}.json`;
}

/** Ordinary tables of the dump's schemas; extension-owned tables are left out (pg_dump dumps none of their rows). */
const PG_TABLES = `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;
const MYSQL_TABLES =
  "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1";

/** One statement counting every table: `SELECT <i>, count(*) FROM t UNION ALL ...` (rows come back by index). */
export function countStatement(
  engine: "postgres" | "mysql",
  tables: readonly Pick<ManifestTable, "schema" | "table">[],
): string {
  return tables
    .map((t, i) => {
      const name =
        t.schema === undefined
          ? quoteIdent(engine, t.table)
          : `${quoteIdent(engine, t.schema)}.${quoteIdent(engine, t.table)}`;
      return `SELECT ${i}, count(*) FROM ${name}`;
    })
    .join(" UNION ALL ");
}

export function countsByIndex(rows: readonly string[][], n: number): number[] {
  const counts = new Array<number>(n).fill(Number.NaN);
  for (const [i, c] of rows) counts[Number(i)] = Number(c);
  if (counts.some((c) => !Number.isInteger(c))) throw new Error("row counts incomplete");
  return counts;
}

export type Counted<T> = {
  readonly result: T;
  /** The manifest's content without the dump's own fields; null when counting failed (the dump still ran). */
  readonly contents: Omit<DumpManifest, "dumpKey" | "sha256" | "bytes"> | null;
  readonly countError?: string;
};

/**
 * Runs `dump` (given the snapshot id pg_dump must use, if any) and counts the tables in the same data. Counting never
 * fails the dump: if a count fails, the dump runs (or goes on) without a manifest, and the drill reports that.
 */
export async function countedDump<T>(
  database: string,
  conn: SqlConnection,
  dump: (snapshot: string | undefined) => Promise<T>,
): Promise<Counted<T>> {
  return conn.engine === "postgres"
    ? postgresCounted(database, conn, dump)
    : mysqlCounted(database, conn, dump);
}

async function postgresCounted<T>(
  database: string,
  conn: SqlConnection,
  dump: (snapshot: string | undefined) => Promise<T>,
): Promise<Counted<T>> {
  const session = new PsqlSession(conn);
  let snapshot: string | undefined;
  let version = "";
  try {
    const rows = await session.run(
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot(), current_setting('server_version')",
    );
    snapshot = rows[0]?.[0];
    version = rows[0]?.[1] ?? "";
  } catch (e) {
    await session.close();
    return { result: await dump(undefined), contents: null, countError: (e as Error).message };
  }
  // The exporting transaction stays open until pg_dump is done: its snapshot exists only that long.
  const dumped = dump(snapshot);
  const counted = (async () => {
    const tables = (await session.run(PG_TABLES)).map(([schema, table]) => ({
      schema: schema!,
      table: table!,
    }));
    const counts =
      tables.length === 0
        ? []
        : countsByIndex(await session.run(countStatement("postgres", tables)), tables.length);
    return {
      format: 1 as const,
      database,
      engine: "postgres" as const,
      serverVersion: version,
      consistency: "dump-snapshot" as const,
      tables: tables.map((t, i) => ({ ...t, rows: counts[i]! })),
    };
  })();
  const [result, contents] = await Promise.allSettled([dumped, counted]);
  await session.close();
  if (result.status === "rejected") throw result.reason;
  return contents.status === "fulfilled"
    ? { result: result.value, contents: contents.value }
    : { result: result.value, contents: null, countError: (contents.reason as Error).message };
}

async function mysqlCounts(conn: SqlConnection, tables: readonly string[]): Promise<number[]> {
  if (tables.length === 0) return [];
  const rows = await query(
    conn,
    `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY; ${countStatement(
      "mysql",
      tables.map((table) => ({ table })),
    )}; COMMIT`,
    15 * 60_000,
  );
  return countsByIndex(rows, tables.length);
}

async function mysqlCounted<T>(
  database: string,
  conn: SqlConnection,
  dump: (snapshot: string | undefined) => Promise<T>,
): Promise<Counted<T>> {
  let before: { version: string; tables: string[]; counts: number[] };
  try {
    const version = (await query(conn, "SELECT VERSION()"))[0]?.[0] ?? "";
    const tables = (await query(conn, MYSQL_TABLES)).map(([t]) => t!);
    before = { version, tables, counts: await mysqlCounts(conn, tables) };
  } catch (e) {
    return { result: await dump(undefined), contents: null, countError: (e as Error).message };
  }
  const result = await dump(undefined);
  try {
    const after = await mysqlCounts(conn, before.tables);
    return {
      result,
      contents: {
        format: 1,
        database,
        engine: "mysql",
        serverVersion: before.version,
        consistency: "bracketed",
        tables: before.tables.map((table, i) => ({
          table,
          rows: before.counts[i]!,
          ...(after[i] !== before.counts[i] ? { rowsAfter: after[i]! } : {}),
        })),
      },
    };
  } catch (e) {
    return { result, contents: null, countError: (e as Error).message };
  }
}

/** pg_dump reading the exported snapshot: exactly the data the manifest counted. */
export function withSnapshot<C extends { args: readonly string[] }>(
  command: C,
  snapshot: string | undefined,
): C {
  return snapshot ? { ...command, args: [`--snapshot=${snapshot}`, ...command.args] } : command;
}

/** Writes the manifest beside its dump (same bucket, same tags, the backups key). */
export async function putManifest(
  s3: Pick<S3Client, "send">,
  target: { bucket: string; kmsKeyArn: string; tags: Readonly<Record<string, string>> },
  manifest: DumpManifest,
): Promise<string> {
  const key = manifestKey(manifest.dumpKey);
  await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: JSON.stringify(manifest),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: target.kmsKeyArn,
      Tagging: new URLSearchParams(target.tags as Record<string, string>).toString(),
    }),
  );
  return key;
}
