// `npm run calendar [-- --check] [--from YYYY-MM-DD]`: the maintenance calendar of every stack from the recorded plans.
import { runCalendar } from "./lib/calendar-command";

function parseArgs(argv: string[]) {
  const args = { check: false, from: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--check") args.check = true;
    else if (a === "--from") {
      const v = argv[++i];
      if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error("--from needs a date YYYY-MM-DD");
      args.from = v;
    } else throw new Error(`unknown option ${a}; use --check or --from YYYY-MM-DD`);
  }
  return args;
}

// process.exitCode, not process.exit(): tsx's transform cache is written before the process ends (as in plan.ts).
try {
  process.exitCode = runCalendar(parseArgs(process.argv.slice(2))).code;
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 2;
}
