// `npm run plan` as reviewers start it: its exit code, and the compiled TypeScript it leaves for the next run.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { planNodeFlags } from "../../scripts/bench/plan-cost";

const ROOT = join(__dirname, "..", "..");
const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: { plan: string };
};

/** The plan script of package.json, with its own flags, in a TMPDIR of its own (tsx keeps its cache under it). */
async function plan(args: string[], tmp: string): Promise<{ code: number; stdout: string }> {
  const argv = [...planNodeFlags(scripts.plan), "scripts/ts-launch.cjs", "scripts/plan.ts", ...args];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
    });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "plan-cli-"));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("npm run plan (the CLI)", () => {
  it("leaves tsx's transform cache complete, so the next plan does not compile the repository again", async () => {
    const tmp = tempDir();
    expect(await plan(["dev", "--check"], tmp)).toMatchObject({ code: 0 });
    const [cacheDir] = readdirSync(tmp).filter((d) => d.startsWith("tsx-"));
    expect(cacheDir).toBeDefined();
    const files = readdirSync(join(tmp, cacheDir!));
    // One entry per TypeScript file the plan loads (scripts, infra, lambdas' config): well over fifty.
    expect(files.length).toBeGreaterThan(50);
    // An exit before the writes finish leaves the files created but empty, and tsx misses on every one.
    expect(files.filter((f) => statSync(join(tmp, cacheDir!, f)).size === 0)).toEqual([]);
  }, 60_000);

  it("exits 2 with the message on a bad argument", async () => {
    const tmp = tempDir();
    expect(await plan(["--bogus"], tmp)).toMatchObject({ code: 2 });
  }, 60_000);
});
