// Runs the real program for one stack under the recording mock engine and returns its plan: every resource, sorted.
import { loadConfig, NAMESPACE, requiredSecrets, type StackConfig } from "../../infra/config";
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
  const source = readStackFile(stack, stacksDir);
  const entries = source.entries();
  const secretKeys = Object.keys(entries).filter((k) => source.isSecret(k));
  const recorder = await installMocks(
    { stack, region: entries["aws:region"] ?? "us-east-1" },
    entries,
    secretKeys,
  );
  const config = loadConfig(source);
  const outputs = buildStack(config);
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
