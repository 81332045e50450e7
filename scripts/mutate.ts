// `npm run mutate [module...] [--report]`: mutation testing of the safety logic; every run folds its modules into the
// record (dist/mutation-record.json) and writes docs/mutation.md from it. `--report` re-renders it (after editing reasons).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { MODULES, type MutationModule } from "./mutate/modules";
import {
  lostFromReport,
  type MeasuredOutcome,
  type ModuleOutcome,
  type RunHeader,
  renderReport,
  summarise,
} from "./mutate/report";
import { mutateModule } from "./mutate/run";

const ROOT = join(__dirname, "..");
// The CPU is shared: two test processes at most (issue 22).
const CONCURRENCY = 2;
/** Every module's latest measurement, each with the run that made it: what docs/mutation.md is rendered from. */
const RECORD = join(ROOT, "dist", "mutation-record.json");
/** The record's earlier form: one run's header and outcomes (read once, when no record exists yet). */
const LEGACY = join(ROOT, "dist", "mutation-results.json");
const REPORT = join(ROOT, "docs", "mutation.md");

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

/** The commit measured; "+changes" when the sources or tests differed from it (a measurement of work in progress). */
function commit() {
  const git = (...a: string[]) => execFileSync("git", a, { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = git("status", "--porcelain", "--", "lambdas", "infra", "test").length > 0;
  return `${git("rev-parse", "--short", "HEAD")}${dirty ? "+changes" : ""}`;
}

function readRecord(): MeasuredOutcome[] {
  if (existsSync(RECORD)) return JSON.parse(readFileSync(RECORD, "utf8")) as MeasuredOutcome[];
  if (!existsSync(LEGACY)) return [];
  const old = JSON.parse(readFileSync(LEGACY, "utf8")) as { header: RunHeader; outcomes: ModuleOutcome[] };
  return old.outcomes.map((o) => ({ ...o, run: old.header }));
}

/** Replaces the measured modules' rows (read afresh: another run may have folded its own modules in meanwhile). */
function fold(measured: readonly MeasuredOutcome[]) {
  const byName = new Map(readRecord().map((o) => [o.module.name, o] as const));
  for (const o of measured) byName.set(o.module.name, o);
  // In MODULES order, each with its current definition (threshold, files) from modules.ts.
  const record = MODULES.flatMap((m) => {
    const o = byName.get(m.name);
    return o ? [{ ...o, module: m }] : [];
  });
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  writeFileSync(RECORD, `${JSON.stringify(record, null, 1)}\n`);
  return write(record);
}

/**
 * Writes docs/mutation.md from the record, unless the record (machine-local, in dist/) lacks modules the committed
 * report shows: a single-module run on a fresh clone would otherwise erase every other module's measurement. Then
 * the report goes to dist/mutation.md and the run fails, naming what to measure too.
 */
function write(record: readonly MeasuredOutcome[]) {
  const { markdown, failures } = renderReport(record);
  const lost = existsSync(REPORT) ? lostFromReport(readFileSync(REPORT, "utf8"), record) : [];
  if (lost.length === 0) {
    writeFileSync(REPORT, markdown);
    return { failures, wrote: REPORT };
  }
  const partial = join(ROOT, "dist", "mutation.md");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  writeFileSync(partial, markdown);
  const why =
    `${relative(ROOT, REPORT)} left unchanged: the record (${relative(ROOT, RECORD)}) has no measurement of ` +
    `${lost.join(", ")}, which it shows; run them too (npm run mutate ${lost.join(" ")} ...) or every module`;
  return { failures: [...failures, why], wrote: partial };
}

async function run(names: string[]) {
  const measured: MeasuredOutcome[] = [];
  let result = { failures: [] as string[], wrote: REPORT };
  for (const mod of pick(names)) {
    process.stderr.write(`mutate: ${mod.name} (${mod.mutate.join(", ")}) against ${mod.tests.join(", ")}\n`);
    const t0 = Date.now();
    const [started, at] = [stamp(), commit()];
    const sources = new Map(mod.mutate.map((f) => [f, readFileSync(join(ROOT, f), "utf8")] as const));
    // Stryker names files by absolute path; the report and the reasons name them from the repository root.
    const mutants = (await mutateModule(mod, CONCURRENCY)).map((m) => ({
      ...m,
      fileName: relative(ROOT, m.fileName),
    }));
    const run: RunHeader = {
      started,
      finished: stamp(),
      versions: `StrykerJS ${version("@stryker-mutator/core")} (jest runner ${version("@stryker-mutator/jest-runner")}), jest ${version("jest")}, Node ${process.version}`,
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"})`,
      concurrency: CONCURRENCY,
      commit: at,
    };
    measured.push({ ...summarise(mod, mutants, sources, (Date.now() - t0) / 1000), run });
    // Folded in after each module, so a long run shows its results as it goes and a stopped one keeps them.
    result = fold(measured);
  }
  return result;
}

async function main() {
  const args = process.argv.slice(2);
  const report = args.includes("--report");
  const names = args.filter((a) => a !== "--report");
  if (report && names.length) throw new Error("--report re-renders the record as it is; give no modules");
  const { failures, wrote } = report ? write(readRecord()) : await run(names);
  process.stderr.write(`mutate: wrote ${relative(ROOT, wrote)}\n`);
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
