// Turns one run's mutant results into docs/mutation.md: the score per module and every survivor with why it may stay.
import type { MutantResult } from "@stryker-mutator/api/core";
import { MODULES, type MutationModule } from "./modules";
import { type SurvivorReason, SURVIVOR_REASONS } from "./reasons";

/** A mutant no test noticed, as the run saw it (the original text is cut from the source at run time). */
export interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: "Survived" | "NoCoverage";
  /** The mutant's first source line (whitespace squashed), for reasons that must tell equal texts apart. */
  readonly context?: string;
}

/** What a run keeps of one module: the counts by status and the survivors (saved, so reasons can be re-attached). */
export interface ModuleOutcome {
  readonly module: MutationModule;
  readonly counts: Readonly<Record<string, number>>;
  readonly survivors: readonly Survivor[];
  readonly seconds: number;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** The text a mutant replaced (Stryker's reported locations are 1-based in lines and columns). */
function originalText(source: string, m: MutantResult): string {
  const lines = source.split("\n");
  const { start, end } = m.location;
  const [from, to] = [start.column - 1, end.column - 1];
  if (start.line === end.line) return lines[start.line - 1]?.slice(from, to) ?? "";
  return [
    lines[start.line - 1]?.slice(from) ?? "",
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1]?.slice(0, to) ?? "",
  ].join("\n");
}

export function summarise(
  module: MutationModule,
  mutants: readonly MutantResult[],
  sources: ReadonlyMap<string, string>,
  seconds: number,
): ModuleOutcome {
  const counts: Record<string, number> = {};
  for (const m of mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const survivors = mutants
    .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
    .map(
      (m): Survivor => ({
        file: m.fileName,
        line: m.location.start.line,
        mutator: m.mutatorName,
        original: squash(originalText(sources.get(m.fileName) ?? "", m)),
        replacement: squash(m.replacement ?? ""),
        status: m.status as Survivor["status"],
        context: squash(sources.get(m.fileName)?.split("\n")[m.location.start.line - 1] ?? ""),
      }),
    )
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { module, counts, survivors, seconds };
}

/**
 * Stryker's mutation score: detected (killed, timed out) over valid (detected + survived + no coverage); with
 * `equivalent`, that many survivors proven equivalent are set aside from the valid ones.
 */
export function score(counts: Readonly<Record<string, number>>, equivalent = 0): number {
  const n = (s: string) => counts[s] ?? 0;
  const detected = n("Killed") + n("Timeout");
  const valid = detected + n("Survived") + n("NoCoverage") - equivalent;
  return valid === 0 ? 100 : (100 * detected) / valid;
}

export function matchReason(
  reasons: readonly SurvivorReason[],
  s: Pick<Survivor, "file" | "mutator" | "original" | "replacement" | "context">,
): SurvivorReason | undefined {
  return reasons.find(
    (r) =>
      r.file === s.file &&
      r.mutator === s.mutator &&
      s.original.includes(r.original) &&
      s.replacement.includes(r.replacement) &&
      (r.near === undefined || (s.context ?? "").includes(r.near)),
  );
}

const cell = (s: string, max = 80) => {
  const t = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  return `\`${t.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
};

export interface RunHeader {
  readonly started: string;
  readonly finished: string;
  readonly versions: string;
  readonly machine: string;
  readonly concurrency: number;
  /** The commit the run measured (with "+changes" when the work tree differed from it); runs before it was kept lack it. */
  readonly commit?: string;
}

/** One module's latest measurement, and the run that made it (a module is re-measured alone while working on it). */
export interface MeasuredOutcome extends ModuleOutcome {
  readonly run: RunHeader;
}

const runLine = (h: RunHeader) =>
  `${h.started} to ${h.finished}${h.commit ? ` at ${h.commit}` : ""}: ${h.versions}; ${h.machine}; concurrency ${h.concurrency}`;

/**
 * docs/mutation.md from the record, and what fails the command: a module below its bar or never measured, a survivor
 * without a reason, and a reason no recorded survivor of its file needs any more (stale: the code or tests moved on,
 * so it must be removed or re-aimed, or reasons pile up and start matching survivors they were not written for).
 */
export function renderReport(
  outcomes: readonly MeasuredOutcome[],
  reasons: readonly SurvivorReason[] = SURVIVOR_REASONS,
) {
  const missing = MODULES.filter((m) => !outcomes.some((o) => o.module.name === m.name)).map((m) => m.name);
  const runs = [...new Set(outcomes.map((o) => runLine(o.run)))];
  const used = new Set<SurvivorReason>();
  const reasonOf = (s: Survivor) => {
    const r = matchReason(reasons, s);
    if (r) used.add(r);
    return r;
  };
  const equivalents = (o: ModuleOutcome) =>
    o.survivors.filter((s) => reasonOf(s)?.kind === "equivalent").length;
  const n = (o: ModuleOutcome, s: string) => o.counts[s] ?? 0;
  const out: string[] = [
    "# Mutation testing",
    "",
    "What the tests really pin in the code that decides what to delete, what pages and when it runs. Written by",
    "`npm run mutate` (scripts/mutate.ts): StrykerJS with the jest runner, each module against its own tests only",
    "(scripts/mutate/modules.ts). A survivor is a change to the code that no test notices; each one left is listed with",
    "why it may stay (scripts/mutate/reasons.ts). Score = (killed + timed out) / (killed + timed out + survived + no",
    "coverage), Stryker's own; mutants that do not compile or crash the run are not counted. The bar is checked",
    "against the score with the survivors proven equivalent (no input can tell them from the original) set aside, as",
    "Stryker's `// Stryker disable` comments would do in the source; harmless survivors still count.",
    "",
    "Each module's row is its latest measurement; the column `run` names the run that made it (runs are listed below).",
    "",
    ...runs.map((r, i) => `${i + 1}. ${r}.`),
    ...(missing.length
      ? ["", `**Never measured (no run finished these modules): ${missing.join(", ")}.**`]
      : []),
    "",
    "| module | run | files | tests | mutants | killed | timed out | survived | no coverage | score | equivalent | score without them | required | time |",
    "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const o of outcomes) {
    const total = Object.values(o.counts).reduce((a, b) => a + b, 0);
    const sc = score(o.counts, equivalents(o));
    out.push(
      `| ${o.module.name} | ${runs.indexOf(runLine(o.run)) + 1} | ${o.module.mutate.map((f) => `\`${f}\``).join(", ")} | ${o.module.tests.map((f) => `\`${f}\``).join(", ")} | ${total} | ${n(o, "Killed")} | ${n(o, "Timeout")} | ${n(o, "Survived")} | ${n(o, "NoCoverage")} | ${score(o.counts).toFixed(2)} % | ${equivalents(o)} | ${sc.toFixed(2)} %${sc >= o.module.threshold ? "" : " **below**"} | ${o.module.threshold} % | ${Math.round(o.seconds)} s |`,
    );
  }
  const failures: string[] = missing.map((m) => `${m}: never measured`);
  for (const o of outcomes) {
    const sc = score(o.counts, equivalents(o));
    if (sc < o.module.threshold)
      failures.push(`${o.module.name}: score ${sc.toFixed(2)} % is below ${o.module.threshold} %`);
    out.push("", `## ${o.module.name}`, "");
    if (o.survivors.length === 0) {
      out.push("No survivors.");
      continue;
    }
    out.push("| where | mutator | original | mutant | kind | why it may stay |", "|---|---|---|---|---|---|");
    for (const s of o.survivors) {
      const reason = reasonOf(s);
      if (reason === undefined)
        failures.push(`${o.module.name}: survivor without a reason at ${s.file}:${s.line} (${s.mutator})`);
      out.push(
        `| ${s.file}:${s.line} | ${s.mutator}${s.status === "NoCoverage" ? " (no coverage)" : ""} | ${cell(s.original)} | ${cell(s.replacement)} | ${reason?.kind ?? ""} | ${reason?.reason ?? "**no reason recorded**"} |`,
      );
    }
  }
  const ran = new Set(outcomes.flatMap((o) => o.module.mutate));
  const stale = reasons
    .filter((r) => ran.has(r.file) && !used.has(r))
    .map(
      (r) =>
        `stale reason (no survivor needs it any more; remove it from scripts/mutate/reasons.ts): ${r.file} ${r.mutator} ${JSON.stringify(r.original)} -> ${JSON.stringify(r.replacement)}`,
    );
  return { markdown: `${out.join("\n")}\n`, failures: [...failures, ...stale] };
}

/**
 * Modules a committed report shows a measurement for (its table's rows) that the record lacks: writing the record over
 * that report would erase them (the record is machine-local, in dist/; a fresh clone's first single-module run has
 * only its own module).
 */
export function lostFromReport(report: string, record: readonly MeasuredOutcome[]): string[] {
  const names = MODULES.map((m) => m.name);
  return [...report.matchAll(/^\| ([a-z-]+) \| \d+ \|/gm)]
    .map((m) => m[1]!)
    .filter((n) => names.includes(n) && !record.some((o) => o.module.name === n));
}
