// The offline plan is byte-stable, --check catches any edit to a stack file, and --diff names exactly what changed.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlan } from "../../scripts/lib/plan-command";
import { planText, recordStack, withCheapStacks } from "../../scripts/lib/record-stack";
import { STACKS_DIR } from "../../scripts/lib/stack-files";

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), "plan-"));
  const stacksDir = join(dir, "stacks");
  cpSync(STACKS_DIR, stacksDir, { recursive: true });
  return { stacksDir, planDir: join(dir, "plan"), markdownFile: join(dir, "diff.md") };
}

const quiet = { log: () => {}, progress: () => {} };

describe("offline plan", () => {
  it("is byte-identical across two runs", async () => {
    const a = planText((await recordStack("dev")).plan);
    const b = planText((await recordStack("dev")).plan);
    expect(b).toBe(a);
    expect(JSON.parse(a).resources.length).toBeGreaterThan(20);
  });

  it("--check passes on fresh plans and fails after an edit to a stack file", async () => {
    const ws = workspace();
    expect((await runPlan({ stacks: ["dev"], ...ws, ...quiet })).code).toBe(0);
    expect(await runPlan({ stacks: ["dev"], check: true, ...ws, ...quiet })).toMatchObject({
      code: 0,
      stale: [],
    });
    const file = join(ws.stacksDir, "Pulumi.dev.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("owner: platform@example.com", "owner: ops@example.com"),
    );
    expect(await runPlan({ stacks: ["dev"], check: true, ...ws, ...quiet })).toMatchObject({
      code: 1,
      stale: ["dev"],
    });
  });

  it("--diff shows a changed schedule as an update of exactly that property", async () => {
    const ws = workspace();
    await runPlan({ stacks: ["dev"], ...ws, ...quiet });
    const file = join(ws.stacksDir, "Pulumi.dev.yaml");
    const before = readFileSync(file, "utf8");
    const after = before.replace(/cron\(0 2 \* \* \? \*\)/, "cron(30 1 * * ? *)");
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    const result = await runPlan({ stacks: ["dev"], diff: true, ...ws, ...quiet });
    const changes = result.diffs[0]!.changes.filter((c) => c.kind !== "same");
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: "update",
      type: "aws:scheduler/schedule:Schedule",
      properties: ["scheduleExpression"],
    });
    expect(readFileSync(ws.markdownFile, "utf8")).toContain("scheduleExpression");
  });

  it("records without stack frames or source maps, and restores both afterwards, after a failure too", async () => {
    const limit = Error.stackTraceLimit;
    const maps = process.sourceMapsEnabled;
    const inside = await withCheapStacks(async () => ({
      stack: new Error("x").stack,
      limit: Error.stackTraceLimit,
      maps: process.sourceMapsEnabled,
    }));
    expect(inside).toEqual({ stack: "Error: x", limit: 0, maps: false });
    expect([Error.stackTraceLimit, process.sourceMapsEnabled]).toEqual([limit, maps]);
    await expect(
      withCheapStacks(async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect([Error.stackTraceLimit, process.sourceMapsEnabled]).toEqual([limit, maps]);
    // An error made outside still says where it came from.
    expect(new Error("y").stack).toMatch(/plan\.test\.ts/);
  });

  it("--diff shows a shortened retention inside a job's JOB_CONFIG with both values, flagged for a second reviewer", async () => {
    const ws = workspace();
    await runPlan({ stacks: ["dev"], ...ws, ...quiet });
    const file = join(ws.stacksDir, "Pulumi.dev.yaml");
    const before = readFileSync(file, "utf8");
    const after = before
      .replace(
        "daily: { expression: cron(30 2 * * ? *), retention: 7d }",
        "daily: { expression: cron(30 2 * * ? *), retention: 3d }",
      )
      .replace("hotRetentionDays: 14", "hotRetentionDays: 7");
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    const result = await runPlan({ stacks: ["dev"], diff: true, ...ws, ...quiet });
    const changes = result.diffs[0]!.changes;
    const verify = changes.find((c) => c.name === "dev-dumps-verify-fn")!;
    expect(verify.values).toEqual([
      { path: "environment.variables.JOB_CONFIG.databases[app].retentionDays.daily", before: 7, after: 3 },
    ]);
    expect(verify.dangers).toEqual([
      "environment.variables.JOB_CONFIG.databases[app].retentionDays.daily shortened from 7 to 3",
    ]);
    const archive = changes.find((c) => c.name === "dev-logs-export-fn")!;
    expect(archive.dangers).toEqual([
      "environment.variables.JOB_CONFIG.retentionDays shortened from 14 to 7",
    ]);
    const md = readFileSync(ws.markdownFile, "utf8");
    const flagged = md.slice(md.indexOf("**Needs a second reviewer**"), md.indexOf("### dev"));
    expect(flagged).toContain(
      "- **dev** `dev-dumps-verify-fn`: environment.variables.JOB_CONFIG.databases[app].retentionDays.daily shortened from 7 to 3",
    );
    expect(flagged).toContain("environment.variables.JOB_CONFIG.retentionDays shortened from 14 to 7");
    expect(md).toContain("environment.variables.JOB_CONFIG.databases[app].retentionDays.daily: 7 => 3");
  });
});
