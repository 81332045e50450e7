// `npm run plan` and `npm run calendar` as reviewers and CI start them: their exit codes, and the compiled TypeScript
// they leave for the next run.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { planNodeFlags } from "../../scripts/bench/plan-cost";

const ROOT = join(__dirname, "..", "..");
const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: { plan: string; calendar: string };
};

/** The command line package.json gives, as node arguments (the calendar's `tsx` is its CLI script). */
const COMMANDS = {
  plan: [...planNodeFlags(scripts.plan), "scripts/ts-launch.cjs", "scripts/plan.ts"],
  calendar: (() => {
    const [bin, ...rest] = scripts.calendar.split(/\s+/);
    if (bin !== "tsx") throw new Error(`package.json scripts.calendar is not "tsx ...": ${scripts.calendar}`);
    return [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), ...rest];
  })(),
};

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-"));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** One command in a TMPDIR of its own (tsx keeps its cache under it). */
async function run(command: keyof typeof COMMANDS, args: string[], tmp: string): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, [...COMMANDS[command], ...args], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
    });
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  }
}

/** tsx's cache files under `tmp`: an exit before its writes finish leaves them created but empty, and tsx misses. */
function cacheFiles(tmp: string): { all: number; empty: string[] } {
  const dirs = readdirSync(tmp).filter((d) => d.startsWith("tsx-"));
  const files = dirs.flatMap((d) => readdirSync(join(tmp, d)).map((f) => join(tmp, d, f)));
  return { all: files.length, empty: files.filter((f) => statSync(f).size === 0) };
}

describe.each([
  // One entry per TypeScript file the command loads: the plan loads scripts, infra and the jobs' config.
  { command: "plan" as const, args: ["dev", "--check"], atLeast: 50 },
  { command: "calendar" as const, args: ["--check"], atLeast: 5 },
])("npm run $command", ({ command, args, atLeast }) => {
  it("leaves tsx's transform cache complete, so the next run does not compile the repository again", async () => {
    const tmp = tempDir();
    expect(await run(command, args, tmp)).toBe(0);
    const { all, empty } = cacheFiles(tmp);
    expect(all).toBeGreaterThanOrEqual(atLeast);
    expect(empty).toEqual([]);
  }, 60_000);

  it("exits 2 on a bad argument", async () => {
    expect(await run(command, ["--bogus"], tempDir())).toBe(2);
  }, 60_000);
});
