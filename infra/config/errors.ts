// Turns zod issues into messages that say what is allowed, driven by the schema so every section gets them: the
// nearest key for a misspelt one, the allowed values of a literal union, where a password goes instead.
import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value may be checked against, wrappers (optional, default, pipe, lazy) and union branches removed. */
function unwrap(s: z.ZodType): z.ZodType[] {
  const def = defOf(s);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  if (def.type === "lazy" && def.getter) return unwrap(def.getter());
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  return [s];
}

/** The keys an object at `path` may have under `schema` (every union branch's), or none if it is no object. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let here = unwrap(schema);
  for (const part of path) {
    here = here.flatMap((s) => {
      const def = defOf(s);
      if (def.type === "object" && def.shape && typeof part === "string" && part in def.shape)
        return unwrap(def.shape[part]!);
      if (def.type === "array" && def.element && typeof part === "number") return unwrap(def.element);
      if (def.type === "record" && def.valueType) return unwrap(def.valueType);
      return [];
    });
  }
  return [...new Set(here.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/** The allowed key nearest to a misspelt one, when it is near enough to be what was meant. */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  if (!allowed.length) return undefined;
  const best = closest(key, allowed);
  const near = distance(key.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3));
  return near || best.toLowerCase().includes(key.toLowerCase()) ? best : undefined;
}

/** One unknown key: where a secret goes instead, or the key probably meant, or the keys allowed there. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const secretArn = allowed.find((k) => k.toLowerCase() === `${key.toLowerCase()}secretarn`);
  if (secretArn || (/pass(word)?|secret|token/i.test(key) && allowed.some((k) => k.endsWith("SecretArn"))))
    return (
      `unknown key "${key}": never put a ${key} in a stack file; store it in Secrets Manager and set ` +
      `${secretArn ?? allowed.find((k) => k.endsWith("SecretArn"))} to the secret's ARN`
    );
  const near = nearestKey(key, allowed);
  if (near) return `unknown key "${key}"; did you mean "${near}"?`;
  return `unknown key "${key}"; allowed here: ${allowed.join(", ")}`;
}

/** A zod issue as the error line's message: allowed values listed, unknown keys explained. */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType): string {
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = keysAt(schema, issue.path);
      return issue.keys.map((k) => unknownKeyMessage(k, allowed)).join("; ");
    }
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union": {
      // A discriminated union (`database.kind`) names its allowed discriminator values.
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options) && options.length)
        return `must be one of ${options.map((v) => JSON.stringify(v)).join(", ")}`;
      // A union of literals (Route 53's 10 or 30 seconds) says which values it takes, not zod's "Invalid input".
      const values = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === "invalid_value" && branch[0]!.path.length === 0
          ? branch[0]!.values
          : [undefined],
      );
      if (values.length && values.every((v) => v !== undefined))
        return `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
      return issue.message;
    }
    default:
      return issue.message;
  }
}
