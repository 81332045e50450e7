// The plan benchmark starts the plan with `npm run plan`'s own Node flags, read from package.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planNodeFlags } from "../../scripts/bench/plan-cost";

describe("planNodeFlags", () => {
  it("reads the flags between node and the launcher from the real package.json", () => {
    const { scripts } = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
      scripts: { plan: string };
    };
    expect(planNodeFlags(scripts.plan)).toEqual(["--min-semi-space-size=64", "--max-semi-space-size=128"]);
    expect(planNodeFlags("node scripts/ts-launch.cjs scripts/plan.ts")).toEqual([]);
  });

  it("refuses a plan script of another shape instead of measuring something else", () => {
    for (const script of [
      "tsx scripts/plan.ts",
      "node scripts/plan.cjs",
      "node x scripts/ts-launch.cjs scripts/plan.ts",
    ])
      expect(() => planNodeFlags(script)).toThrow(/scripts\.plan is not/);
  });
});
