// Measures each job's bundle (size, cold load) with the AWS SDK bundled and with it left to the Lambda runtime.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { bundleJob } from "../../infra/core/lambda-bundle";

export interface BundleFigures {
  readonly job: string;
  readonly bytesBundled: number;
  readonly bytesExternalSdk: number;
  readonly coldLoadMsBundled: number;
  readonly coldLoadMsExternalSdk: number;
}

const LAMBDAS = join(__dirname, "..", "..", "lambdas");

/** Median wall time of `node -e require(file)` over `runs` fresh processes. */
function coldLoad(file: string, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, ["-e", `require(${JSON.stringify(file)})`], { stdio: "ignore" });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export function benchBundles(): { jobs: BundleFigures[]; emptyNodeMs: number } {
  const jobs = readdirSync(LAMBDAS).filter(
    (d) => d !== "shared" && statSync(join(LAMBDAS, d, "handler.ts"), { throwIfNoEntry: false }),
  );
  // Inside the repo, so `require("@aws-sdk/...")` resolves from node_modules as the runtime's copy would.
  const external = join(__dirname, "..", "..", "dist", "bench-external-sdk");
  const figures = jobs.map((job) => {
    const bundled = bundleJob(job);
    // The runtime provides @aws-sdk/* (v3); an external bundle loads it from node_modules here, as Lambda would from
    // its own copy, so the comparison is load time with and without the SDK inlined.
    const ext = bundleJob(job, { outRoot: external, external: ["@aws-sdk/*"] });
    return {
      job,
      bytesBundled: bundled.bytes,
      bytesExternalSdk: ext.bytes,
      coldLoadMsBundled: coldLoad(bundled.file),
      coldLoadMsExternalSdk: coldLoad(ext.file),
    };
  });
  const emptyNodeMs = coldLoad(join(__dirname, "empty.js"));
  return { jobs: figures, emptyNodeMs };
}
