// Physical AWS names built in one place, so every name fits its service's length and charset limits.
import { createHash } from "node:crypto";
import { checkName, NAME_RULES, type NameKind } from "./aws-limits";

const LOWERCASE_ONLY: ReadonlySet<NameKind> = new Set(["s3Bucket", "ecrRepository"]);

/**
 * Joins parts with '-' into a name valid for `kind`. A name that would be too long keeps its start and ends in a
 * 7-character hash of the full name, so two long names never collide and the same input always gives the same name.
 * Throws when a part carries characters the service does not allow (a config or code bug, not something to mangle).
 */
export function physicalName(kind: NameKind, ...parts: string[]): string {
  const rule = NAME_RULES[kind];
  let name = parts.filter((p) => p.length > 0).join("-");
  if (LOWERCASE_ONLY.has(kind)) name = name.toLowerCase();
  if (name.length > rule.max) {
    const digest = createHash("sha256").update(name).digest("hex").slice(0, 7);
    name = `${name.slice(0, rule.max - 8).replace(/[-_.]+$/, "")}-${digest}`;
  }
  const problem = checkName(kind, name);
  if (problem) throw new Error(problem);
  return name;
}

/**
 * Alarm names: readable in a page, `<stack> <component>: <what>`. Double quotes and backslashes are dropped: composite
 * alarm rules quote member names as ALARM("name"), so a quote inside a name would break the rule.
 */
export function alarmName(stack: string, component: string, what: string): string {
  return physicalName("alarm", `${stack} ${component}: ${what}`.replace(/["\\]/g, ""));
}
