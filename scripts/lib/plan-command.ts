// The offline plan as a function (write, --check, --diff), so the CLI and the tests run the same code.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../../infra/config";
import { estimateCost, sizesFromConfig } from "../cost/estimate";
import { diffPlans, type StackDiff } from "../plan/diff";
import { renderMarkdown, renderText } from "../plan/markdown";
import { type Plan, planText, recordStack } from "./record-stack";
import { listStacks, STACKS_DIR } from "./stack-files";
import { summarize } from "./summary";
import { coverage, loadTraceability, missingFromPlan } from "./traceability";

const ROOT = join(__dirname, "..", "..");

export interface PlanOptions {
  readonly stacks: readonly string[];
  readonly check?: boolean;
  readonly diff?: boolean;
  /**
   * With diff: compare against `git show <base>:plan/<stack>.json`; without it, against `planDir` on disk (the CLI
   * always passes one: HEAD by default, see parsePlanArgs).
   */
  readonly base?: string;
  readonly stacksDir?: string;
  readonly planDir?: string;
  readonly markdownFile?: string;
  /** Where lines go (stdout in the CLI, an array in tests). */
  readonly log?: (line: string) => void;
  readonly progress?: (line: string) => void;
}

/**
 * `npm run plan` arguments. `--diff` compares with the plans committed at `HEAD` unless `--base` names another ref,
 * so right after `npm run plan` the diff still shows what the branch changes (plan/ on disk already holds it).
 */
export function parsePlanArgs(argv: readonly string[]): PlanOptions & { stacks: string[] } {
  const args = { stacks: [] as string[], check: false, diff: false, base: undefined as string | undefined };
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
  if (args.check && args.diff) throw new Error("use either --check or --diff");
  if (args.base && !args.diff) throw new Error("--base goes with --diff");
  if (args.diff && !args.base) args.base = "HEAD";
  return args;
}

export interface PlanResult {
  readonly code: number;
  readonly stale: string[];
  readonly failed: string[];
  readonly diffs: StackDiff[];
}

export const DEFAULT_PLAN_DIR = join(ROOT, "plan");
export const DEFAULT_DIFF_MARKDOWN = join(ROOT, "dist", "plan-diff.md");

function committedPlan(planDir: string, stack: string, base?: string): Plan | undefined {
  if (base) {
    try {
      const text = execFileSync("git", ["show", `${base}:plan/${stack}.json`], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      return JSON.parse(text) as Plan;
    } catch {
      return undefined; // the stack is new at that ref
    }
  }
  const file = join(planDir, `${stack}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Plan) : undefined;
}

export async function runPlan(options: PlanOptions): Promise<PlanResult> {
  const stacksDir = options.stacksDir ?? STACKS_DIR;
  const planDir = options.planDir ?? DEFAULT_PLAN_DIR;
  const log = options.log ?? ((line: string) => console.log(line));
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const all = listStacks(stacksDir);
  const stacks = options.stacks.length ? [...options.stacks] : all;
  const unknown = stacks.filter((s) => !all.includes(s));
  if (unknown.length) throw new Error(`unknown stack(s) ${unknown.join(", ")}; stacks: ${all.join(", ")}`);

  const stale: string[] = [];
  const failed: string[] = [];
  const diffs: StackDiff[] = [];
  // Parsed once for the run, not once per stack (six parses of every file were a tenth of a second), and only once a
  // stack has been planned, as before: a bad file still stops the run after the first stack's plan is written.
  let traceability: ReturnType<typeof loadTraceability> | undefined;
  for (const [i, stack] of stacks.entries()) {
    progress(`[${i + 1}/${stacks.length}] planning ${stack} ...`);
    let recorded: Awaited<ReturnType<typeof recordStack>>;
    try {
      recorded = await recordStack(stack, stacksDir);
    } catch (e) {
      failed.push(stack);
      log(e instanceof ConfigError ? e.message : `${stack}: ${(e as Error).stack ?? String(e)}`);
      continue;
    }
    const text = planText(recorded.plan);
    const file = join(planDir, `${stack}.json`);
    if (options.check) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) stale.push(stack);
    } else if (options.diff) {
      const before = committedPlan(planDir, stack, options.base);
      diffs.push({
        ...diffPlans(before, recorded.plan),
        // Both sides priced with this branch's sizes, so the change shows what the plan changes.
        cost: {
          before: before ? estimateCost(before, sizesFromConfig(recorded.config)).usd : 0,
          after: estimateCost(recorded.plan, sizesFromConfig(recorded.config)).usd,
        },
      });
    } else {
      mkdirSync(planDir, { recursive: true });
      writeFileSync(file, text);
    }
    log(summarize(recorded));
    traceability ??= loadTraceability();
    for (const doc of traceability.filter((d) => d.stack === stack)) {
      log(coverage(doc));
      for (const m of missingFromPlan(doc, recorded.plan)) log(`WARNING: traceability/${doc.app}.yaml: ${m}`);
    }
  }
  if (options.diff) {
    log(renderText(diffs));
    const md = options.markdownFile ?? DEFAULT_DIFF_MARKDOWN;
    mkdirSync(dirname(md), { recursive: true });
    writeFileSync(md, renderMarkdown(diffs, { limit: 60_000 }));
    progress(`wrote ${md}`);
  }
  if (stale.length) {
    log(
      `plan/ is out of date for: ${stale.join(", ")}. Run \`npm run plan\` and commit plan/ so reviewers see the change.`,
    );
  }
  return { code: stale.length || failed.length ? 1 : 0, stale, failed, diffs };
}
