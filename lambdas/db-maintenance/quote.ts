// Identifier quoting per engine: every table, column and index name reaches SQL only through these functions.
import type { TableRef } from "./config";

export type Engine = "postgres" | "mysql";

/** PostgreSQL: double quotes, an inner quote doubled. MySQL: backticks (config refuses backticks in names). */
export function quoteIdent(engine: Engine, name: string): string {
  if (name.length === 0 || name.includes("\u0000")) throw new Error("empty or NUL identifier");
  if (engine === "postgres") return `"${name.replaceAll('"', '""')}"`;
  if (name.includes("`")) throw new Error(`identifier ${JSON.stringify(name)} contains a backtick`);
  return `\`${name}\``;
}

/** A table, schema-qualified when the config says so (PostgreSQL's default schema is public). */
export function quoteTable(engine: Engine, t: TableRef): string {
  if (typeof t === "string")
    return engine === "postgres" ? `"public".${quoteIdent(engine, t)}` : quoteIdent(engine, t);
  return `${quoteIdent(engine, t.schema)}.${quoteIdent(engine, t.table)}`;
}

/** For logs and metric dimensions: schema.table as written in config. */
export function tableLabel(t: TableRef): string {
  return typeof t === "string" ? t : `${t.schema}.${t.table}`;
}

/** The schema and table parts, for catalog lookups by value (never by interpolation). */
export function tableParts(engine: Engine, t: TableRef): { schema: string | null; table: string } {
  if (typeof t === "string") return { schema: engine === "postgres" ? "public" : null, table: t };
  return { schema: t.schema, table: t.table };
}
