// `npm run plan [-- <stack>...] [--check] [--diff [--base <ref>]]`: the offline plan of every stack, no cloud needed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../infra/config";
import { type Plan, planText, recordStack } from "./lib/record-stack";
import { listStacks } from "./lib/stack-files";
import { summarize } from "./lib/summary";
import { diffPlans } from "./plan/diff";
import { renderMarkdown, renderText } from "./plan/markdown";

const ROOT = join(__dirname, "..");
export const PLAN_DIR = join(ROOT, "plan");
export const DIFF_MARKDOWN = join(ROOT, "dist", "plan-diff.md");

interface Args {
  stacks: string[];
  check: boolean;
  diff: boolean;
  base?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { stacks: [], check: false, diff: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--check") args.check = true;
    else if (a === "--diff") args.diff = true;
    else if (a === "--base") {
      const ref = argv[++i];
      if (!ref) throw new Error("--base needs a git ref, e.g. --base origin/main");
      args.base = ref;
    } else if (a.startsWith("--")) throw new Error(`unknown option ${a}; use --check, --diff, --base <ref>`);
    else args.stacks.push(a);
  }
  return args;
}

/** The committed plan of a stack: from the work tree, or from `git show <ref>:plan/<stack>.json`. */
function committedPlan(stack: string, base?: string): Plan | undefined {
  if (base) {
    try {
      return JSON.parse(
        execFileSync("git", ["show", `${base}:plan/${stack}.json`], {
          cwd: ROOT,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }),
      );
    } catch {
      return undefined;
    }
  }
  const file = join(PLAN_DIR, `${stack}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = listStacks();
  const stacks = args.stacks.length ? args.stacks : all;
  const unknown = stacks.filter((s) => !all.includes(s));
  if (unknown.length) throw new Error(`unknown stack(s) ${unknown.join(", ")}; stacks: ${all.join(", ")}`);

  const stale: string[] = [];
  const diffs = [];
  let failed = 0;
  for (const [i, stack] of stacks.entries()) {
    process.stderr.write(`[${i + 1}/${stacks.length}] planning ${stack} ...\n`);
    let recorded: Awaited<ReturnType<typeof recordStack>>;
    try {
      recorded = await recordStack(stack);
    } catch (e) {
      failed++;
      console.error(e instanceof ConfigError ? e.message : `${stack}: ${(e as Error).stack ?? e}`);
      continue;
    }
    const text = planText(recorded.plan);
    const file = join(PLAN_DIR, `${stack}.json`);
    if (args.check) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) stale.push(stack);
    } else if (args.diff) {
      diffs.push(diffPlans(committedPlan(stack, args.base), recorded.plan));
    } else {
      mkdirSync(PLAN_DIR, { recursive: true });
      writeFileSync(file, text);
    }
    console.log(summarize(recorded));
  }
  if (args.diff) {
    console.log(renderText(diffs));
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    writeFileSync(DIFF_MARKDOWN, renderMarkdown(diffs, { limit: 60_000 }));
    process.stderr.write(`wrote ${DIFF_MARKDOWN}\n`);
  }
  if (stale.length) {
    console.error(
      `plan/ is out of date for: ${stale.join(", ")}. Run \`npm run plan\` and commit plan/ so reviewers see the change.`,
    );
    return 1;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
