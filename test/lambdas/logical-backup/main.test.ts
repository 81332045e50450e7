// The Fargate entry of the dump image: the event from the JOB_EVENT container override, the exit code as the result.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fargateEvent } from "../../../lambdas/logical-backup/main";
import { imageContext } from "../../../infra/lambda-bundle";
import { DUMP_IMAGE_ENTRIES } from "../../../infra/dump-image";

describe("Fargate entry", () => {
  const now = new Date("2027-03-09T20:30:41.123Z");

  it("passes the scheduler's event through", () => {
    const raw = JSON.stringify({ tier: "weekly", scheduledTime: "2027-03-07T20:50:00Z" });
    expect(fargateEvent(raw, now)).toEqual({ tier: "weekly", scheduledTime: "2027-03-07T20:50:00Z" });
  });

  it("uses the current minute when the scheduled-time placeholder reached the task unsubstituted", () => {
    const raw = JSON.stringify({ tier: "daily", scheduledTime: "<aws.scheduler.scheduled-time>" });
    expect(fargateEvent(raw, now)).toEqual({ tier: "daily", scheduledTime: "2027-03-09T20:30:00.000Z" });
  });

  it("refuses to run without an event", () => {
    expect(() => fargateEvent(undefined, now)).toThrow(/JOB_EVENT is not set/);
  });

  it("the bundled main.js exits 1 and says why when its config or event is missing", () => {
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    const run = spawnSync(process.execPath, [join(ctx.dir, "main.js")], {
      env: {
        PATH: process.env.PATH,
        JOB_EVENT: JSON.stringify({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }),
      },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JOB_CONFIG is not set/);
    expect(() =>
      execFileSync(process.execPath, [join(ctx.dir, "main.js")], {
        env: { PATH: process.env.PATH },
        stdio: "pipe",
      }),
    ).toThrow();
  });
});
