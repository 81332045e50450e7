// One fresh process of the plan benchmark: records every stack as `npm run plan` does (through scripts/ts-launch.cjs)
// and prints its own CPU time, peak memory, and what it planned, as one JSON line.
import { recordStack } from "../lib/record-stack";
import { listStacks } from "../lib/stack-files";

(async () => {
  let resources = 0;
  const stacks = listStacks();
  for (const s of stacks) resources += (await recordStack(s)).plan.resources.length;
  const u = process.resourceUsage();
  const extra = { stacks: stacks.length, resources };
  console.log(JSON.stringify({ maxRssKB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime, extra }));
})();
