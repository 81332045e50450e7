// `npm run plan [-- <stack>...] [--check] [--diff [--base <ref>]]`: the offline plan of every stack, no cloud needed.
import { parsePlanArgs, runPlan } from "./lib/plan-command";

// process.exitCode, not process.exit(): the process ends once its writes are done, tsx's transform cache among them
// (an exit cut them off, leaving empty cache files, so every plan compiled this repository's TypeScript again).
Promise.resolve()
  .then(() => runPlan(parsePlanArgs(process.argv.slice(2))))
  .then(
    (result) => {
      process.exitCode = result.code;
    },
    (e) => {
      console.error((e as Error).message);
      process.exitCode = 2;
    },
  );
