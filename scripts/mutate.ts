// `npm run mutate [module...] [--report]`: mutation testing of the safety logic; a run of every module writes
// docs/mutation.md. `--report` re-renders the last run's report from its saved results (after editing the reasons).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { MODULES, type MutationModule } from "./mutate/modules";
import { type ModuleOutcome, type RunHeader, renderReport, summarise } from "./mutate/report";
import { mutateModule } from "./mutate/run";

const ROOT = join(__dirname, "..");
// The CPU is shared: two test processes at most (issue 22).
const CONCURRENCY = 2;
/** The results of the last run of every module (what --report re-renders), and of the last partial run. */
const saved = (complete: boolean) =>
  join(ROOT, "dist", complete ? "mutation-results.json" : "mutation-partial.json");

interface SavedRun {
  readonly complete: boolean;
  readonly header: RunHeader;
  readonly outcomes: ModuleOutcome[];
}

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

const stamp = () => `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** Only a run of every module is the record; a partial run (while working on one module) goes to dist/. */
const target = (complete: boolean) => join(ROOT, complete ? "docs" : "dist", "mutation.md");

function write(run: SavedRun) {
  const { markdown, failures, stale } = renderReport(run.outcomes, run.header);
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  writeFileSync(target(run.complete), markdown);
  writeFileSync(saved(run.complete), `${JSON.stringify(run, null, 1)}\n`);
  return { failures, stale };
}

async function run(names: string[]): Promise<SavedRun> {
  const modules = pick(names);
  const outcomes: ModuleOutcome[] = [];
  const started = stamp();
  let saved: SavedRun | undefined;
  for (const mod of modules) {
    process.stderr.write(`mutate: ${mod.name} (${mod.mutate.join(", ")}) against ${mod.tests.join(", ")}\n`);
    const t0 = Date.now();
    const sources = new Map(mod.mutate.map((f) => [f, readFileSync(join(ROOT, f), "utf8")] as const));
    // Stryker names files by absolute path; the report and the reasons name them from the repository root.
    const mutants = (await mutateModule(mod, CONCURRENCY)).map((m) => ({
      ...m,
      fileName: relative(ROOT, m.fileName),
    }));
    outcomes.push(summarise(mod, mutants, sources, (Date.now() - t0) / 1000));
    saved = {
      complete: names.length === 0 && outcomes.length === MODULES.length,
      header: {
        started,
        finished: stamp(),
        versions: `StrykerJS ${version("@stryker-mutator/core")} (jest runner ${version("@stryker-mutator/jest-runner")}), jest ${version("jest")}, Node ${process.version}`,
        machine: `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"})`,
        concurrency: CONCURRENCY,
      },
      outcomes: [...outcomes],
    };
    // Written after each module, so a long run shows its results as it goes.
    write(saved);
  }
  return saved!;
}

async function main() {
  const args = process.argv.slice(2);
  const report = args.includes("--report");
  const names = args.filter((a) => a !== "--report");
  if (report && names.length) throw new Error("--report re-renders the last run as it was; give no modules");
  const result = report ? (JSON.parse(readFileSync(saved(true), "utf8")) as SavedRun) : await run(names);
  // --report always writes the record: a run of every modules that was cut short says which modules it lacks.
  const { failures, stale } = write(report ? { ...result, complete: true } : result);
  process.stderr.write(`mutate: wrote ${relative(ROOT, target(report || result.complete))}\n`);
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
