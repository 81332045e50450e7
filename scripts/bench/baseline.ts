// The "before" side of a benchmark, measured in the same run: the tree of a base commit (git archive) in a temporary
// folder that shares this checkout's node_modules, so its code runs on the same machine, data and dependencies.
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

/**
 * main before issue 18 (zstd dumps, the faster plan): what `npm run bench` compares against. A clone without that
 * commit (a shallow CI checkout) gets null, and the benchmark says the before side was not measured.
 */
export const BASELINE_REF = "fd1d3cb";

export function baselineTree(ref = BASELINE_REF): string | null {
  try {
    execFileSync("git", ["cat-file", "-e", `${ref}^{commit}`], { cwd: ROOT, stdio: "ignore" });
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-baseline-"));
  execFileSync("bash", ["-c", `git archive ${ref} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}
