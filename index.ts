// Pulumi entry point: validate the stack's config once, then build every component from it.
import { loadConfig, pulumiConfigSource } from "./infra/config";
import { buildStack } from "./infra/program";

const config = loadConfig(pulumiConfigSource());
const outputs = buildStack(config);

export const warnings = outputs.warnings;
