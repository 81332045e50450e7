// The logical dump job's container image (infra/core/job-image.ts): built from lambdas/logical-backup/Dockerfile,
// run by the dump and verification Lambdas and the dump and drill Fargate tasks.
import * as pulumi from "@pulumi/pulumi";
import { declareJobImage } from "../core/job-image";

/** The image's entries: the dump handler (Lambda), the verification handler (Lambda), the Fargate entry. */
export const DUMP_IMAGE_ENTRIES = {
  index: "handler.ts",
  verify: "verify-handler.ts",
  main: "main.ts",
  drill: "drill-main.ts",
} as const;

/** Lambda image config commands and the Fargate entry point, one code path in one image. */
export const DUMP_COMMANDS = {
  lambdaDump: ["index.handler"],
  lambdaVerify: ["verify.handler"],
  // The Lambda base image's node; /var/task is LAMBDA_TASK_ROOT, where the Dockerfile copies the bundles.
  fargate: ["/var/lang/bin/node", "/var/task/main.js"],
  // The restore drill (Fargate, beside its database sidecar).
  fargateDrill: ["/var/lang/bin/node", "/var/task/drill.js"],
} as const;

export interface DumpImageArgs {
  readonly namePrefix: string;
  /** Tagged images kept (each deploy of changed code pushes one). @default 10 */
  readonly keepTagged?: number;
  readonly protect: boolean;
  readonly tags?: Record<string, string>;
}

export class DumpImage extends pulumi.ComponentResource {
  /** `<repository>@sha256:<digest>`: what Lambda and the task definition run. */
  readonly uri: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** Content hash of the build context (bundles + Dockerfile), the image tag. */
  readonly contentHash: string;

  constructor(name: string, args: DumpImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:backups:DumpImage", name, {}, opts);
    const built = declareJobImage(this, name, {
      ...args,
      job: "logical-backup",
      entries: DUMP_IMAGE_ENTRIES,
      // The dump and verification jobs run it as image Lambdas.
      lambdaPulls: true,
    });
    this.uri = built.uri;
    this.repositoryArn = built.repositoryArn;
    this.contentHash = built.contentHash;
    this.registerOutputs({ uri: this.uri, repositoryArn: this.repositoryArn });
  }
}
