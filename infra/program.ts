// Composes a stack's components from its validated config; shared by index.ts (pulumi up) and the offline plan.
import type { StackConfig } from "./config";

export interface StackOutputs {
  /** Things a reviewer must see (DST-gap schedules, databases without automated backup); the plan prints them. */
  readonly warnings: string[];
}

export function buildStack(cfg: StackConfig): StackOutputs {
  const warnings: string[] = [];
  void cfg;
  return { warnings };
}
