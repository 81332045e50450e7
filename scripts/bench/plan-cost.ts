// Measures the offline plan: time and peak memory to plan every stack in one process, against loading @pulumi/aws
// alone, for this tree (bundle cache warm, then cold) and for the baseline commit, side by side in one run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

export interface ProcessCost {
  readonly ms: number;
  /** CPU time of the process itself (user + system; not the esbuild child a cold bundle starts). */
  readonly cpuMs: number;
  readonly peakRssMB: number;
}

export interface PlanCost {
  readonly stacks: number;
  readonly resources: number;
  /** Bundles cached from an earlier run with the same inputs: what a reviewer re-planning gets. */
  readonly plan: ProcessCost;
  /** dist/.bundle-cache removed and an empty TMPDIR (no tsx transform cache) for each run: a fresh clone's first plan. */
  readonly planCold: ProcessCost;
  /** The baseline commit's plan (scripts/bench/baseline.ts), when that commit is in the clone. */
  readonly planBefore: ProcessCost | null;
  readonly loadAws: ProcessCost;
  readonly emptyNode: ProcessCost;
}

/** Runs `node <args>` in a fresh process: wall time from spawn to exit, CPU and peak RSS as the child reports them. */
function measure(
  args: string[],
  cwd = ROOT,
  env: NodeJS.ProcessEnv = process.env,
): ProcessCost & { extra: Record<string, unknown> } {
  const start = process.hrtime.bigint();
  const out = execFileSync(process.execPath, args, {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const last = out.trim().split("\n").pop() ?? "{}";
  const parsed = JSON.parse(last) as { maxRssKB: number; cpuUs: number; extra?: Record<string, unknown> };
  return {
    ms,
    cpuMs: parsed.cpuUs / 1000,
    peakRssMB: Math.round(parsed.maxRssKB / 1024),
    extra: parsed.extra ?? {},
  };
}

const REPORT =
  "const u = process.resourceUsage(); console.log(JSON.stringify({maxRssKB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime, extra}))";

/**
 * The Node flags of `npm run plan` (package.json), so the benchmark starts the plan exactly as reviewers do: its young
 * generation is sized for a process whose young objects mostly survive a scavenge (a stack's resources, promises and
 * outputs live until the stack is recorded): with V8's default 1 to 16 MiB semi-spaces the plan ran 88 scavenges,
 * 0.54 s; with 16 to 64 MiB, 22 (0.39 s); with 64 to 128 MiB, 10 (0.23 s; `node --trace-gc`, 2026-12-02).
 */
export function planNodeFlags(script: string): string[] {
  const words = script.trim().split(/\s+/);
  const launcher = words.indexOf("scripts/ts-launch.cjs");
  if (words[0] !== "node" || launcher < 1 || words.slice(1, launcher).some((w) => !w.startsWith("--")))
    throw new Error(`package.json scripts.plan is not "node [--flags] scripts/ts-launch.cjs ...": ${script}`);
  return words.slice(1, launcher);
}
export const PLAN_FLAGS = planNodeFlags(
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { plan: string } }).scripts
    .plan,
);
/** This tree's plan, started as `npm run plan` starts it. */
const PLAN_EVERY_STACK = [...PLAN_FLAGS, "scripts/ts-launch.cjs", "scripts/bench/plan-every-stack.ts"];
/** The baseline's runPlan, the same way (its `npm run plan` was the tsx CLI, one process more). */
const PLAN_BEFORE = [
  "--import",
  "tsx",
  "-e",
  `require(${JSON.stringify(join(__dirname, "plan-report.ts"))}).reportPlan(require("./scripts/lib/plan-command").runPlan)`,
];

/** Median by wall time, with the CPU time of the same run. */
const median = (xs: readonly ProcessCost[]): ProcessCost => {
  const byMs = [...xs].sort((a, b) => a.ms - b.ms);
  const m = byMs[Math.floor(byMs.length / 2)]!;
  return { ms: m.ms, cpuMs: m.cpuMs, peakRssMB: m.peakRssMB };
};

export async function benchPlanCost(baseline: string | null, runs = 3): Promise<PlanCost> {
  const plans: Array<ProcessCost & { extra: Record<string, unknown> }> = [];
  const colds: ProcessCost[] = [];
  const befores: ProcessCost[] = [];
  const loads: ProcessCost[] = [];
  const empties: ProcessCost[] = [];
  // Interleaved, so a change in the machine's load touches every row alike.
  measure(PLAN_EVERY_STACK); // fills the bundle cache for the warm runs
  if (baseline) measure(PLAN_BEFORE, baseline); // and tsx's transform cache for the baseline's files
  for (let i = 0; i < runs; i++) {
    empties.push(measure(["-e", `const extra = {}; ${REPORT}`]));
    loads.push(measure(["-e", `require("@pulumi/aws"); const extra = {}; ${REPORT}`]));
    plans.push(measure(PLAN_EVERY_STACK));
    if (baseline) befores.push(measure(PLAN_BEFORE, baseline));
    // A fresh clone's first plan: no bundles, and tsx's transform cache (under TMPDIR) empty too.
    rmSync(join(ROOT, "dist", ".bundle-cache"), { recursive: true, force: true });
    const tmp = mkdtempSync(join(tmpdir(), "plan-cold-"));
    colds.push(measure(PLAN_EVERY_STACK, ROOT, { ...process.env, TMPDIR: tmp }));
    rmSync(tmp, { recursive: true, force: true });
  }
  const last = plans[plans.length - 1]!;
  return {
    stacks: Number(last.extra.stacks),
    resources: Number(last.extra.resources),
    plan: median(plans),
    planCold: median(colds),
    planBefore: baseline ? median(befores) : null,
    loadAws: median(loads),
    emptyNode: median(empties),
  };
}
