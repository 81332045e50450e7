// What one fresh process of the plan benchmark prints (plan-cost.ts reads it): `npm run plan -- --check`'s own work
// (runPlan: every stack recorded, summarized with its schedules, alarms and cost, traced, and its plan text compared
// with plan/), then the process's CPU time, peak memory and what it planned, as one JSON line. No imports, so the
// baseline's process loads only the baseline's code.
type RunPlan = (o: {
  stacks: string[];
  check: boolean;
  log: (line: string) => void;
  progress: (line: string) => void;
}) => Promise<{ failed: string[]; stale: string[] }>;

export async function reportPlan(run: RunPlan): Promise<void> {
  const lines: string[] = [];
  const result = await run({ stacks: [], check: true, log: (l) => lines.push(l), progress: () => {} });
  if (result.failed.length) throw new Error(`plan failed for ${result.failed.join(", ")}`);
  let stacks = 0;
  let resources = 0;
  for (const l of lines) {
    const m = /^== .*: (\d+) resources ==$/m.exec(l);
    if (m) {
      stacks++;
      resources += Number(m[1]);
    }
  }
  const u = process.resourceUsage();
  const extra = { stacks, resources, stale: result.stale.length };
  console.log(JSON.stringify({ maxRssKB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime, extra }));
}
