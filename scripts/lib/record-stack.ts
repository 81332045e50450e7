// Runs the real program for one stack under the recording mock engine and returns its plan: every resource, sorted.
import { ConfigError, loadConfig, NAMESPACE, requiredSecrets, type StackConfig } from "../../infra/config";
import { buildStack, type StackOutputs } from "../../infra/program";
import { drain, installMocks, type RecordedResource } from "../../test/support/pulumi-mocks";
import { readStackFile } from "./stack-files";

export interface PlannedResource {
  readonly type: string;
  readonly name: string;
  readonly parent: string | null;
  readonly region: string;
  readonly inputs: Record<string, unknown>;
}

export interface Plan {
  readonly stack: string;
  readonly resources: PlannedResource[];
}

export interface RecordedStack {
  readonly plan: Plan;
  readonly config: StackConfig;
  readonly outputs: StackOutputs;
  /** Secrets this stack needs that its file does not hold: set them with `pulumi config set --secret`. */
  readonly missingSecrets: string[];
  readonly resources: RecordedResource[];
}

/** Sorted by type then name, so a plan file is byte-identical across runs and diffs line up. */
export function toPlan(stack: string, resources: readonly RecordedResource[]): Plan {
  const sorted = [...resources].sort((a, b) =>
    a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type < b.type ? -1 : 1,
  );
  return {
    stack,
    resources: sorted.map(({ type, name, parent, region, inputs }) => ({
      type,
      name,
      parent,
      region,
      inputs,
    })),
  };
}

/** Stable text form of a plan: two-space JSON with a trailing newline. */
export function planText(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/**
 * Plans one stack: reads its file, validates config (throwing ConfigError before anything is declared), builds the
 * program under mocks and waits for every registration to land.
 */
export async function recordStack(stack: string, stacksDir?: string): Promise<RecordedStack> {
  try {
    return await withCheapStacks(() => record(stack, stacksDir));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    // Recorded without stack frames: record the failing stack again with them, so its error says where it arose.
    await record(stack, stacksDir);
    throw e;
  }
}

/**
 * Runs `fn` capturing no stack frames and with Node's source-map lookups off. The Pulumi runtime captures a stack
 * (`new Error().stack`) for every promise it makes, several per resource, only for the message it prints if one of
 * them leaks (the leak check itself is unchanged), and under tsx each frame was mapped through the source maps:
 * about 3 of the plan's 7.5 s. Both are restored afterwards, whatever happens.
 */
export async function withCheapStacks<T>(fn: () => Promise<T>): Promise<T> {
  const sourceMaps = process.sourceMapsEnabled;
  const limit = Error.stackTraceLimit;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
  try {
    return await fn();
  } finally {
    Error.stackTraceLimit = limit;
    process.setSourceMapsEnabled(sourceMaps);
  }
}

async function record(stack: string, stacksDir?: string): Promise<RecordedStack> {
  const source = readStackFile(stack, stacksDir);
  const entries = source.entries();
  const secretKeys = Object.keys(entries).filter((k) => source.isSecret(k));
  const recorder = await installMocks(
    { stack, region: entries["aws:region"] ?? "us-east-1" },
    entries,
    secretKeys,
  );
  const config = loadConfig(source);
  let outputs: StackOutputs;
  try {
    outputs = buildStack(config);
  } catch (e) {
    // A problem found while declaring (a reminder naming a schedule the stack lacks) leaves registrations in flight:
    // let them land before reporting it, or the next stack's mocks see this one's leftovers.
    await drain(recorder).catch(() => undefined);
    throw e;
  }
  await drain(recorder);
  return {
    plan: toPlan(stack, recorder.resources),
    config,
    outputs,
    // Only the secrets this stack's settings need (no chat webhook when no channel uses chat).
    missingSecrets: source.missingSecrets.filter((k) =>
      requiredSecrets(config).some((name) => k === `${NAMESPACE}:${name}`),
    ),
    resources: recorder.resources,
  };
}
