// A job's container image, built from lambdas/<job>/Dockerfile and that job's bundles: an ECR repository that scans
// on push and expires old images, and the image built with @pulumi/docker, tagged by its content hash and used by
// digest; when Lambda runs it too, the repository policy that lets this account's functions pull.
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { imageContext } from "./lambda-bundle";
import { physicalName } from "./naming";
import { ecrLifecyclePolicy } from "./policies/ecr-lifecycle";
import { lambdaPullPolicy } from "./policies/service-access";

export interface JobImageArgs {
  readonly namePrefix: string;
  /** The directory under lambdas/ holding the Dockerfile and the entries; also the repository's name. */
  readonly job: string;
  /** Bundle name (without .js) to entry file under lambdas/<job>/. */
  readonly entries: Readonly<Record<string, string>>;
  /** Lambda runs the image too (a Fargate task pulls with its execution role instead). */
  readonly lambdaPulls: boolean;
  /** Tagged images kept (each deploy of changed code pushes one). @default 10 */
  readonly keepTagged?: number;
  readonly protect: boolean;
  readonly tags?: Record<string, string>;
}

export interface BuiltJobImage {
  /** `<repository>@sha256:<digest>`: what Lambda and the task definition run. */
  readonly uri: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** Content hash of the build context (bundles + Dockerfile), the image tag. */
  readonly contentHash: string;
}

/** Declares the image's resources as children of `owner`, named `${name}-repo`, `-lifecycle`, `-policy`, `-image`. */
export function declareJobImage(
  owner: pulumi.ComponentResource,
  name: string,
  args: JobImageArgs,
): BuiltJobImage {
  const policy = ecrLifecyclePolicy(args.keepTagged ?? 10);
  const context = imageContext(args.job, args.entries);
  const parent = { parent: owner };
  const repo = new aws.ecr.Repository(
    `${name}-repo`,
    {
      name: physicalName("ecrRepository", args.namePrefix, args.job),
      // Tags name the content hash of the build context, but package layers are not byte-reproducible: rebuilding an
      // older commit (a rollback) must be able to push its tag again. What runs is pinned by digest, not by tag.
      imageTagMutability: "MUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      // Code and client tools only, no data: AES256 (ECR's default) needs no key-policy grant for ECR.
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: false,
      tags: args.tags,
    },
    { parent: owner, protect: args.protect },
  );
  new aws.ecr.LifecyclePolicy(
    `${name}-lifecycle`,
    { repository: repo.name, policy: JSON.stringify(policy) },
    parent,
  );
  // Lambda pulls the image as the Lambda service: allow it for this account's functions only, declared here rather
  // than added by Lambda itself on first deploy (drift) or refused to a deployer without ecr:SetRepositoryPolicy.
  // https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#configuration-images-permissions
  if (args.lambdaPulls) {
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
  }
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, parent);
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
  return { uri: image.repoDigest, repositoryArn: repo.arn, contentHash: context.hash };
}
