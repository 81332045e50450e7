// Runs one of the project's TypeScript commands (`node scripts/ts-launch.cjs scripts/plan.ts --check`): the Pulumi
// SDKs, plain JavaScript, load before tsx's hooks, which then only compile this repository's TypeScript (loaded
// through the hooks, their thousands of files cost the offline plan about 0.3 s of CPU; docs/benchmarks.md).
require("@pulumi/pulumi");
require("@pulumi/aws");
require("tsx/cjs/api").register();
const [script, ...args] = process.argv.slice(2);
if (!script) throw new Error("usage: node scripts/ts-launch.cjs <file.ts> [args...]");
process.argv = [process.argv[0], script, ...args];
require(require("node:path").resolve(script));
