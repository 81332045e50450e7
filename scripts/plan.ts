// `npm run plan [-- <stack>...] [--check] [--diff [--base <ref>]]`: the offline plan of every stack, no cloud needed.
import { parsePlanArgs, runPlan } from "./lib/plan-command";

Promise.resolve()
  .then(() => runPlan(parsePlanArgs(process.argv.slice(2))))
  .then(
    (result) => process.exit(result.code),
    (e) => {
      console.error((e as Error).message);
      process.exit(2);
    },
  );
