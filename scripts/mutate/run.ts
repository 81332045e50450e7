// Runs StrykerJS with the jest runner on one module, limited to that module's own tests, and returns its mutants.
import type { LogLevel, MutantResult } from "@stryker-mutator/api/core";
import type { MutationModule } from "./modules";

export async function mutateModule(mod: MutationModule, concurrency: number): Promise<MutantResult[]> {
  // Stryker is ESM-only; this script runs as CommonJS under tsx.
  const { Stryker } = await import("@stryker-mutator/core");
  const stryker = new Stryker({
    mutate: [...mod.mutate],
    testRunner: "jest",
    jest: {
      projectType: "custom",
      configFile: "jest.config.js",
      // Only the module's own tests: the contract tests plan every stack and would make one mutant take a minute.
      config: { testMatch: mod.tests.map((t) => `<rootDir>/${t}`) },
      enableFindRelatedTests: false,
    },
    coverageAnalysis: "perTest",
    concurrency,
    reporters: ["progress"],
    tempDirName: ".stryker-tmp",
    ignorePatterns: ["dist", "bin", "coverage", "plan", ".stryker-tmp"],
    incremental: false,
    // Stryker's default (5 s over 1.5x the unmutated run) reads a slow run on a loaded shared machine as a timeout,
    // which counts as killed; a wider margin keeps "timed out" for mutants that really hang.
    timeoutMS: 20_000,
    // LogLevel is a string enum in an ESM-only package: its values are these strings.
    fileLogLevel: "off" as LogLevel,
    logLevel: "warn" as LogLevel,
  });
  return stryker.runMutationTest();
}
