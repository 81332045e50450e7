// docs/mutation.md's verdict: a module below its bar, a survivor without a reason and a stale reason each fail the run.
import type { MeasuredOutcome } from "../../scripts/mutate/report";
import { readFileSync } from "node:fs";
import { lostFromReport, renderReport } from "../../scripts/mutate/report";
import { MODULES } from "../../scripts/mutate/modules";
import type { SurvivorReason } from "../../scripts/mutate/reasons";

const FILE = "lambdas/backup/retention.ts";
const run = {
  started: "2026-12-01 19:00 UTC",
  finished: "2026-12-01 19:01 UTC",
  versions: "StrykerJS 9.6.1",
  machine: "2 cores",
  concurrency: 2,
  commit: "abc1234",
};
const survivor = {
  file: FILE,
  line: 10,
  mutator: "EqualityOperator",
  original: "a < b",
  replacement: "a <= b",
  status: "Survived" as const,
};
const reason = (over: Partial<SurvivorReason> = {}): SurvivorReason => ({
  file: FILE,
  mutator: "EqualityOperator",
  original: "a < b",
  replacement: "a <= b",
  kind: "equivalent",
  reason: "ids are unique",
  ...over,
});
/** Every module measured, the first with `killed` of 100 mutants killed and one survivor (the rest survived-free). */
const record = (killed: number): MeasuredOutcome[] =>
  MODULES.map((m, i) => ({
    module: m,
    counts: (i === 0 ? { Killed: killed, Survived: 100 - killed } : { Killed: 10 }) as Record<string, number>,
    survivors: i === 0 ? [survivor] : [],
    seconds: 1,
    run,
  }));

describe("renderReport", () => {
  it("passes when every survivor has its reason and every reason its survivor", () => {
    const { markdown, failures } = renderReport(record(99), [reason()]);
    expect(failures).toEqual([]);
    expect(markdown).toContain(
      "| lambdas/backup/retention.ts:10 | EqualityOperator | `a < b` | `a <= b` | equivalent | ids are unique |",
    );
  });

  it("fails on a stale reason: one that no recorded survivor of its file matches any more", () => {
    const { failures } = renderReport(record(99), [
      reason(),
      reason({ original: "x > y", replacement: "x >= y" }),
      // A file no module measures is not judged here.
      reason({ file: "lambdas/elsewhere.ts" }),
    ]);
    expect(failures).toEqual([
      'stale reason (no survivor needs it any more; remove it from scripts/mutate/reasons.ts): lambdas/backup/retention.ts EqualityOperator "x > y" -> "x >= y"',
    ]);
  });

  it("fails on a survivor without a reason, and on a module below its bar (equivalents set aside)", () => {
    const bar = MODULES[0]!.threshold;
    // One survivor of 100, equivalent: 99 of 99 counted.
    expect(renderReport(record(99), [reason()]).failures).toEqual([]);
    const harmless = [reason({ kind: "harmless" })];
    const below = 100 - bar + 1; // survivors beyond the bar, the recorded one harmless
    expect(renderReport(record(100 - below), harmless).failures).toEqual([
      `${MODULES[0]!.name}: score ${(100 - below).toFixed(2)} % is below ${bar} %`,
    ]);
    expect(renderReport(record(99), []).failures).toEqual([
      `${MODULES[0]!.name}: survivor without a reason at lambdas/backup/retention.ts:10 (EqualityOperator)`,
    ]);
  });

  it("tells equal texts apart by their source line when a reason says near what it belongs", () => {
    const near = (context: string) =>
      renderReport(
        record(99).map((o, i) => (i === 0 ? { ...o, survivors: [{ ...survivor, context }] } : o)),
        [reason({ near: "return a < b;" })],
      ).failures;
    expect(near("if (x) return a < b;")).toEqual([]);
    expect(near("const y = a < b;")).toEqual([
      `${MODULES[0]!.name}: survivor without a reason at lambdas/backup/retention.ts:10 (EqualityOperator)`,
      'stale reason (no survivor needs it any more; remove it from scripts/mutate/reasons.ts): lambdas/backup/retention.ts EqualityOperator "a < b" -> "a <= b"',
    ]);
  });
});

describe("lostFromReport: a run never erases what the committed report measured", () => {
  it("names the modules the report shows that the record lacks, and none when the record has them all", () => {
    const { markdown } = renderReport(record(99), [reason()]);
    const hostOnly = record(99).filter((o) => o.module.name === "host-scripts");
    expect(lostFromReport(markdown, hostOnly)).toEqual(
      MODULES.map((m) => m.name).filter((n) => n !== "host-scripts"),
    );
    expect(lostFromReport(markdown, record(99))).toEqual([]);
    // The committed report itself: every module it lists is one of MODULES, so a full record loses nothing.
    expect(lostFromReport(readFileSync("docs/mutation.md", "utf8"), record(99))).toEqual([]);
    expect(lostFromReport(readFileSync("docs/mutation.md", "utf8"), [])).toEqual(MODULES.map((m) => m.name));
  });
});
