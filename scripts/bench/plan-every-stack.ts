// One fresh process of the plan benchmark, started through scripts/ts-launch.cjs as `npm run plan` starts it:
// this tree's runPlan, as `npm run plan -- --check` runs it (plan-report.ts).
import { runPlan } from "../lib/plan-command";
import { reportPlan } from "./plan-report";

reportPlan(runPlan);
