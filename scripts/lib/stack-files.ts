// Reads stacks/Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program, for the offline plan and tests.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { type ConfigSource, NAMESPACE, SECRET_KEYS } from "../../infra/config";

export const STACKS_DIR = join(__dirname, "..", "..", "stacks");

/** Stack names with a file in stacks/, sorted. */
export function listStacks(dir = STACKS_DIR): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** A stand-in for a secret the offline plan cannot decrypt; it is shown as "[secret]" in every plan output. */
export const OFFLINE_SECRET_STANDIN = (key: string) =>
  `https://offline-plan.invalid/${key.replace(/[^a-z0-9]/gi, "-")}`;

export interface StackFileConfig extends ConfigSource {
  /** Secret keys the file does not hold; `pulumi up` needs them set with `pulumi config set --secret`. */
  readonly missingSecrets: string[];
}

/**
 * Parses a stack file into the flat `namespace:key -> string` map Pulumi passes to programs: objects and arrays
 * become JSON text, scalars their string form, `secure:` values a stand-in marked secret. Secrets the file does not
 * hold get stand-ins too (so the offline plan runs before they are set), and are listed in `missingSecrets`
 * (`recordStack` keeps those the stack's settings need).
 */
export function readStackFile(stack: string, dir = STACKS_DIR): StackFileConfig {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file))
    throw new Error(`stacks/Pulumi.${stack}.yaml does not exist; stacks: ${listStacks(dir).join(", ")}`);
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const config = doc?.config ?? {};
  const entries: Record<string, string> = {};
  const secret = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      entries[key] = OFFLINE_SECRET_STANDIN(key);
      secret.add(key);
    } else {
      entries[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const missingSecrets: string[] = [];
  for (const name of Object.keys(SECRET_KEYS)) {
    const key = `${NAMESPACE}:${name}`;
    if (!(key in entries)) {
      entries[key] = OFFLINE_SECRET_STANDIN(key);
      secret.add(key);
      missingSecrets.push(key);
    }
  }
  return { stack, entries: () => entries, isSecret: (k) => secret.has(k), missingSecrets };
}
