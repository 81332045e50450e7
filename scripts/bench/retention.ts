// Measures the retention planner on 100,000 snapshots (issue 4): the pruner must stay fast on long histories.
import { planRetention } from "../../lambdas/backup/retention";

export function benchRetention(count = 100_000, runs = 5): { count: number; medianMs: number; kept: number } {
  const start = Date.UTC(2015, 0, 1);
  // One snapshot every 40 minutes: 100,000 span about 7.6 years.
  const snapshots = Array.from({ length: count }, (_, i) => ({
    id: `s${i}`,
    createdAt: new Date(start + i * 40 * 60_000),
  }));
  const policy = {
    keepLast: 3,
    keepWithinDaily: "30d",
    keepWithinWeekly: "90d",
    keepWithinMonthly: "1y",
    keepWithinYearly: "7y",
  };
  const times: number[] = [];
  let kept = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    kept = planRetention(snapshots, policy).keep.length;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { count, medianMs: times[Math.floor(runs / 2)]!, kept };
}
