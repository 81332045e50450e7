// Turns Stryker's mutant results into docs/mutation.md: the score per module and every survivor with why it may stay.
import type { MutantResult } from "@stryker-mutator/api/core";
import type { MutationModule } from "./modules";
import { type SurvivorReason, SURVIVOR_REASONS } from "./reasons";

export interface ModuleOutcome {
  readonly module: MutationModule;
  readonly mutants: readonly MutantResult[];
  readonly seconds: number;
}

export interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: string;
  readonly reason: string | undefined;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** Stryker's mutation score: detected (killed, timed out) over valid (detected + survived + no coverage). */
export function score(mutants: readonly MutantResult[]) {
  const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count("Killed");
  const timeout = count("Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const valid = killed + timeout + survived + noCoverage;
  return {
    killed,
    timeout,
    survived,
    noCoverage,
    invalid: count("CompileError", "RuntimeError"),
    percent: valid === 0 ? 100 : (100 * (killed + timeout)) / valid,
  };
}

/** The text a mutant replaced, cut from the source Stryker hands back (locations are 1-based lines, 0-based columns). */
function originalText(source: string, m: MutantResult): string {
  const lines = source.split("\n");
  const { start, end } = m.location;
  if (start.line === end.line) return lines[start.line - 1]?.slice(start.column, end.column) ?? "";
  return [
    lines[start.line - 1]?.slice(start.column) ?? "",
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1]?.slice(0, end.column) ?? "",
  ].join("\n");
}

export function matchReason(
  reasons: readonly SurvivorReason[],
  s: Omit<Survivor, "reason" | "status" | "line">,
): SurvivorReason | undefined {
  return reasons.find(
    (r) =>
      r.file === s.file &&
      r.mutator === s.mutator &&
      squash(s.original).includes(r.original) &&
      squash(s.replacement).includes(r.replacement),
  );
}

export function survivors(
  outcome: ModuleOutcome,
  sources: ReadonlyMap<string, string>,
  used: Set<SurvivorReason>,
) {
  return outcome.mutants
    .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
    .map((m): Survivor => {
      const file = m.fileName;
      const base = {
        file,
        mutator: m.mutatorName,
        original: originalText(sources.get(file) ?? "", m),
        replacement: m.replacement ?? "",
      };
      const r = matchReason(SURVIVOR_REASONS, base);
      if (r) used.add(r);
      return { ...base, line: m.location.start.line, status: m.status, reason: r?.reason };
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

const cell = (s: string, max = 70) => {
  const t = squash(s);
  return `\`${(t.length > max ? `${t.slice(0, max - 1)}…` : t).replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
};

export function renderReport(
  outcomes: readonly ModuleOutcome[],
  sources: ReadonlyMap<string, string>,
  header: { date: string; versions: string; machine: string; concurrency: number },
) {
  const used = new Set<SurvivorReason>();
  const perModule = outcomes.map((o) => ({ o, s: score(o.mutants), survivors: survivors(o, sources, used) }));
  const out: string[] = [
    "# Mutation testing",
    "",
    "What the tests really pin in the code that decides what to delete, what pages and when it runs. Written by",
    "`npm run mutate` (scripts/mutate.ts): StrykerJS with the jest runner, each module against its own tests only.",
    "A survivor is a change to the code that no test notices; each one left is listed with why it may stay.",
    "",
    `Run: ${header.date}, ${header.versions}, ${header.machine}, concurrency ${header.concurrency}.`,
    "",
    "| module | files | tests | mutants | killed | timeout | survived | no coverage | score | required | time |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { o, s } of perModule) {
    const ok = s.percent >= o.module.threshold ? "" : " **below**";
    out.push(
      `| ${o.module.name} | ${o.module.mutate.map((f) => `\`${f}\``).join(", ")} | ${o.module.tests.map((f) => `\`${f}\``).join(", ")} | ${o.mutants.length} | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | ${s.percent.toFixed(2)} %${ok} | ${o.module.threshold} % | ${Math.round(o.seconds)} s |`,
    );
  }
  for (const { o, survivors: list } of perModule) {
    out.push("", `## ${o.module.name}`, "");
    if (list.length === 0) {
      out.push("No survivors.");
      continue;
    }
    out.push("| where | mutator | original | mutant | why it may stay |", "|---|---|---|---|---|");
    for (const s of list) {
      out.push(
        `| ${s.file}:${s.line} | ${s.mutator}${s.status === "NoCoverage" ? " (no coverage)" : ""} | ${cell(s.original)} | ${cell(s.replacement)} | ${s.reason ?? "**no reason recorded**"} |`,
      );
    }
  }
  const failures = [
    ...perModule
      .filter(({ o, s }) => s.percent < o.module.threshold)
      .map(
        ({ o, s }) => `${o.module.name}: score ${s.percent.toFixed(2)} % is below ${o.module.threshold} %`,
      ),
    ...perModule.flatMap(({ o, survivors: list }) =>
      list
        .filter((s) => s.reason === undefined)
        .map((s) => `${o.module.name}: survivor without a reason at ${s.file}:${s.line} (${s.mutator})`),
    ),
  ];
  const ran = new Set(outcomes.flatMap((o) => o.module.mutate));
  const stale = SURVIVOR_REASONS.filter((r) => ran.has(r.file) && !used.has(r)).map(
    (r) => `reason no survivor needs any more: ${r.file} ${r.mutator} ${JSON.stringify(r.original)}`,
  );
  return { markdown: `${out.join("\n")}\n`, failures, stale };
}
