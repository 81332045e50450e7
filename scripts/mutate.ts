// `npm run mutate [module...]`: mutation testing of the safety logic; with no module it runs all and writes docs/mutation.md.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { MODULES, type MutationModule } from "./mutate/modules";
import { type ModuleOutcome, renderReport } from "./mutate/report";
import { mutateModule } from "./mutate/run";

const ROOT = join(__dirname, "..");
// The CPU is shared: two test processes at most (issue 22).
const CONCURRENCY = 2;

function pick(names: string[]): MutationModule[] {
  if (names.length === 0) return [...MODULES];
  return names.map((n) => {
    const m = MODULES.find((x) => x.name === n);
    if (!m) throw new Error(`unknown module "${n}"; modules are ${MODULES.map((x) => x.name).join(", ")}`);
    return m;
  });
}

function version(pkg: string) {
  return (
    JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }
  ).version;
}

async function main() {
  const names = process.argv.slice(2);
  const modules = pick(names);
  const outcomes: ModuleOutcome[] = [];
  // Only a run of every module is the record; a partial run (while working on one module) goes to dist/.
  const out = names.length === 0 ? join(ROOT, "docs", "mutation.md") : join(ROOT, "dist", "mutation.md");
  mkdirSync(join(out, ".."), { recursive: true });
  let result = { failures: [] as string[], stale: [] as string[] };
  for (const mod of modules) {
    process.stderr.write(`mutate: ${mod.name} (${mod.mutate.join(", ")}) against ${mod.tests.join(", ")}\n`);
    const t0 = Date.now();
    // Stryker names files by absolute path; the report and the reasons name them from the repository root.
    const mutants = (await mutateModule(mod, CONCURRENCY)).map((m) => ({
      ...m,
      fileName: relative(ROOT, m.fileName),
    }));
    outcomes.push({ module: mod, mutants, seconds: (Date.now() - t0) / 1000 });
    const sources = new Map(
      outcomes.flatMap((o) => o.module.mutate).map((f) => [f, readFileSync(join(ROOT, f), "utf8")] as const),
    );
    // Written after each module, so a long run shows its results as it goes.
    const { markdown, ...rest } = renderReport(outcomes, sources, {
      date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      versions: `StrykerJS ${version("@stryker-mutator/core")} (jest runner ${version("@stryker-mutator/jest-runner")}), jest ${version("jest")}, Node ${process.version}`,
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"})`,
      concurrency: CONCURRENCY,
    });
    writeFileSync(out, markdown);
    result = rest;
  }
  process.stderr.write(`mutate: wrote ${out}\n`);
  const { failures, stale } = result;
  for (const s of stale) process.stderr.write(`mutate: warning: ${s}\n`);
  for (const f of failures) process.stderr.write(`mutate: FAIL ${f}\n`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).stack ?? e);
    process.exit(2);
  },
);
