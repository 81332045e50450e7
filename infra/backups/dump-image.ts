// The logical dump job's container image: an ECR repository that scans on push and expires old images, and the image
// built from lambdas/logical-backup/Dockerfile with @pulumi/docker, tagged by its content hash and used by digest.
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { imageContext } from "../core/lambda-bundle";
import { physicalName } from "../core/naming";
import { lambdaPullPolicy } from "../core/policies/service-access";
import { ecrLifecyclePolicy } from "../core/policies/ecr-lifecycle";

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
    const policy = ecrLifecyclePolicy(args.keepTagged ?? 10);
    const context = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    super("maintenance:backups:DumpImage", name, {}, opts);
    const parent = { parent: this };
    const repo = new aws.ecr.Repository(
      `${name}-repo`,
      {
        name: physicalName("ecrRepository", args.namePrefix, "logical-backup"),
        // Tags name the content hash of the build context, but the dnf layer is not byte-reproducible: rebuilding an
        // older commit (a rollback) must be able to push its tag again. What runs is pinned by digest, not by tag.
        imageTagMutability: "MUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        // Code and client tools only, no data: AES256 (ECR's default) needs no key-policy grant for ECR.
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: false,
        tags: args.tags,
      },
      { parent: this, protect: args.protect },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      { repository: repo.name, policy: JSON.stringify(policy) },
      parent,
    );
    // Lambda pulls the image as the Lambda service: allow it for this account's functions only, declared here rather
    // than added by Lambda itself on first deploy (drift) or refused to a deployer without ecr:SetRepositoryPolicy.
    // https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#configuration-images-permissions
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    new aws.ecr.RepositoryPolicy(
      `${name}-policy`,
      {
        repository: repo.name,
        policy: pulumi
          .all([partition.partition, region.region, identity.accountId])
          .apply(([p, r, a]) => JSON.stringify(lambdaPullPolicy(p, r, a))),
      },
      parent,
    );
    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, parent);
    this.contentHash = context.hash;
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${repo.repositoryUrl}:${context.hash.slice(0, 16)}`,
        build: {
          context: context.relativeDir,
          dockerfile: context.relativeDockerfile,
          // Lambda and Fargate run it on arm64 (Graviton); Lambda rejects multi-platform manifest lists.
          platform: "linux/arm64",
        },
        registry: {
          server: repo.repositoryUrl,
          username: auth.userName,
          password: pulumi.secret(auth.password),
        },
        // A preview needs no Docker engine; `pulumi up` builds and pushes.
        buildOnPreview: false,
        skipPush: false,
      },
      parent,
    );
    this.uri = image.repoDigest;
    this.repositoryArn = repo.arn;
    this.registerOutputs({ uri: this.uri, repositoryArn: this.repositoryArn });
  }
}
