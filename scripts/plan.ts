// `npm run plan [-- <stack>...] [--check] [--diff [--base <ref>]]`: the offline plan of every stack, no cloud needed.
import { runPlan } from "./lib/plan-command";

function parseArgs(argv: string[]) {
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
  return args;
}

runPlan(parseArgs(process.argv.slice(2))).then(
  (result) => process.exit(result.code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
