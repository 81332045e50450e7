// The RDS snapshot quota is checked at preview: the steady-state snapshot count per database, and a clear error over it.
import { checkSnapshotQuota, steadyStateSnapshots } from "../../../infra/backups/database-backups";

describe("RDS snapshot quota at preview", () => {
  const skillswap = {
    keepWithinDaily: "30d",
    keepWithinWeekly: "90d",
    keepWithinMonthly: "1y",
    keepWithinYearly: "7y",
  };

  it("counts SkillSwap's steady state: below 30 + 13 + 12 + 8, since buckets overlap (a daily can be a weekly too)", () => {
    const n = steadyStateSnapshots(
      [{ expression: "cron(0 2 * * ? *)", timezone: "Asia/Kolkata" }],
      skillswap,
      3,
    );
    // 30 daily, then ~9 older weeks, ~9 older months and ~6-7 older years.
    expect(n).toBeGreaterThanOrEqual(30 + 8 + 8 + 6);
    expect(n).toBeLessThanOrEqual(30 + 13 + 12 + 8);
  });

  it("fails with a clear error when databases x steady state exceed the quota", () => {
    const config = {
      databases: [
        { name: "a", kind: "rds-instance" as const, engine: "postgres" as const, identifier: "a" },
        { name: "b", kind: "rds-instance" as const, engine: "postgres" as const, identifier: "b" },
      ],
      schedules: [{ name: "daily", expression: "cron(0 2 * * ? *)" }],
      retention: skillswap,
      rpoHours: 26,
      keepLastFloor: 3,
      freshnessHours: 48,
      maxDeletesPerRun: 20,
      dryRun: false,
      snapshotQuota: 100,
      copyToDr: false,
    };
    expect(() => checkSnapshotQuota({ config, timezone: "UTC", region: "ap-south-1" })).toThrow(
      /keeps about \d+ manual snapshots per database, \d+ for 2 RDS database\(s\) in ap-south-1, over the quota of 100 per region/,
    );
    expect(
      checkSnapshotQuota({ config: { ...config, snapshotQuota: 200 }, timezone: "UTC", region: "ap-south-1" })
        .perRegion,
    ).toBeLessThanOrEqual(200);
  });
});
