// `npm run bench`: measures what the project promises about speed and size and writes docs/benchmarks.md.
import { cpus, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchPlanCost } from "./bench/plan-cost";

const OUT = join(__dirname, "..", "docs", "benchmarks.md");

async function main() {
  const sections: string[] = [];
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

  process.stderr.write("bench: offline plan ...\n");
  const plan = await benchPlanCost();
  sections.push(
    [
      "## Offline plan",
      "",
      `Every stack (${plan.stacks} stacks, ${plan.resources} resources) planned in one process, median of 3 fresh processes.`,
      "",
      "| what | wall time | peak RSS |",
      "|---|---:|---:|",
      `| empty \`node\` start | ${plan.emptyNode.ms.toFixed(0)} ms | ${plan.emptyNode.peakRssMB} MB |`,
      `| \`require("@pulumi/aws")\` alone | ${plan.loadAws.ms.toFixed(0)} ms | ${plan.loadAws.peakRssMB} MB |`,
      `| plan every stack (incl. loading TypeScript via tsx, Pulumi, the AWS SDK-free program) | ${plan.plan.ms.toFixed(0)} ms | ${plan.plan.peakRssMB} MB |`,
      "",
      `Planning every stack costs ${(plan.plan.ms / plan.loadAws.ms).toFixed(1)}x the time and ${(plan.plan.peakRssMB / plan.loadAws.peakRssMB).toFixed(1)}x the memory of loading @pulumi/aws alone.`,
    ].join("\n"),
  );

  const doc = [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\` (scripts/bench.ts); do not edit by hand. Machine: ${machine}. Measured ${new Date().toISOString().slice(0, 10)}.`,
    "",
    ...sections.flatMap((s) => [s, ""]),
  ].join("\n");
  writeFileSync(OUT, doc);
  process.stderr.write(`wrote ${OUT}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
