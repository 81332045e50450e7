// Measures the offline plan: time and peak memory to plan every stack in one process, against loading @pulumi/aws alone.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

export interface ProcessCost {
  readonly ms: number;
  readonly peakRssMB: number;
}

export interface PlanCost {
  readonly stacks: number;
  readonly resources: number;
  readonly plan: ProcessCost;
  readonly loadAws: ProcessCost;
  readonly emptyNode: ProcessCost;
}

/** Runs `node <args>` in a fresh process: wall time from spawn to exit, peak RSS as the child reports it. */
function measure(args: string[]): ProcessCost & { extra: Record<string, unknown> } {
  const start = process.hrtime.bigint();
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const last = out.trim().split("\n").pop() ?? "{}";
  const parsed = JSON.parse(last) as { maxRssKB: number; extra?: Record<string, unknown> };
  return { ms, peakRssMB: Math.round(parsed.maxRssKB / 1024), extra: parsed.extra ?? {} };
}

const REPORT = "console.log(JSON.stringify({maxRssKB: process.resourceUsage().maxRSS, extra}))";

export async function benchPlanCost(runs = 3): Promise<PlanCost> {
  const median = (xs: ProcessCost[]) => {
    const byMs = [...xs].sort((a, b) => a.ms - b.ms);
    return byMs[Math.floor(byMs.length / 2)]!;
  };
  const plans: Array<ProcessCost & { extra: Record<string, unknown> }> = [];
  const loads: ProcessCost[] = [];
  const empties: ProcessCost[] = [];
  for (let i = 0; i < runs; i++) {
    empties.push(measure(["-e", `const extra = {}; ${REPORT}`]));
    loads.push(measure(["-e", `require("@pulumi/aws"); const extra = {}; ${REPORT}`]));
    plans.push(
      measure([
        "--import",
        "tsx",
        "-e",
        `const { recordStack } = require("./scripts/lib/record-stack");
         const { listStacks } = require("./scripts/lib/stack-files");
         (async () => {
           let resources = 0; const stacks = listStacks();
           for (const s of stacks) resources += (await recordStack(s)).plan.resources.length;
           const extra = { stacks: stacks.length, resources };
           ${REPORT}
         })();`,
      ]),
    );
  }
  const plan = median(plans);
  const last = plans[plans.length - 1]!;
  return {
    stacks: Number(last.extra.stacks),
    resources: Number(last.extra.resources),
    plan: { ms: plan.ms, peakRssMB: plan.peakRssMB },
    loadAws: median(loads),
    emptyNode: median(empties),
  };
}
