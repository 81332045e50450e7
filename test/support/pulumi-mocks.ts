// Recording mock engine: runs the real program under pulumi.runtime mocks and records every resource it declares.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import * as runtimeState from "@pulumi/pulumi/runtime/state";

/** One declared resource, as a reviewer would want to read it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** `type::name` of the parent resource, or null for top-level resources. */
  readonly parent: string | null;
  readonly urn: string;
  readonly custom: boolean;
  /** Inputs as declared; secrets replaced by "[secret]", archives by their content hash. */
  readonly inputs: Record<string, unknown>;
  /** The region the resource lands in (its provider's region, or the stack's). */
  readonly region: string;
  /** The ARN the mock answered with, when the resource has one (not written to plans; the contracts look up by it). */
  arn?: string;
}

export interface MockEnvironment {
  readonly project: string;
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** When true, outputs the mocks do not return stay unknown (like `pulumi preview`). */
  readonly preview: boolean;
}

export const SECRET_PLACEHOLDER = "[secret]";

export const defaultMockEnvironment: MockEnvironment = {
  project: "maintenance-stack",
  stack: "test",
  account: "123456789012",
  region: "eu-west-2",
  partition: "aws",
  preview: false,
};

const hash = (s: string, n = 8) => createHash("sha256").update(s).digest("hex").slice(0, n);

function isSecret(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig
  );
}

/**
 * Content hash of a file or directory tree (sorted paths), so the plan changes only when the code does. A tree whose
 * files all keep their inode, size and modification time is not read again in this process: every Lambda of every
 * stack archives one of a few bundles (about 1.3 MB each), and the bundler replaces a changed one by rename.
 */
const treeHashes = new Map<string, string>();
export function hashPath(path: string): string {
  const files: Array<{ rel: string; abs: string }> = [];
  let signature = path;
  const walk = (p: string, rel: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort()) walk(join(p, entry), rel ? `${rel}/${entry}` : entry);
    } else {
      files.push({ rel, abs: p });
      signature += `\0${rel}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
    }
  };
  walk(path, "");
  const known = treeHashes.get(signature);
  if (known) return known;
  const h = createHash("sha256");
  for (const f of files) {
    h.update(`${f.rel}\0`);
    h.update(readFileSync(f.abs));
    h.update("\0");
  }
  const hash = `sha256:${h.digest("hex")}`;
  treeHashes.set(signature, hash);
  return hash;
}

/** Makes inputs printable and stable: secrets hidden, archives hashed, keys sorted. */
export async function sanitize(value: unknown): Promise<unknown> {
  if (isSecret(value)) return SECRET_PLACEHOLDER;
  if (pulumi.asset.Archive.isInstance(value) || pulumi.asset.Asset.isInstance(value)) {
    // Under mocks the engine never opens the path, so a missing bundle would pass silently: hashing fails loudly.
    const path = await (value as unknown as { path?: Promise<string | undefined> | string }).path;
    if (typeof path !== "string")
      throw new Error("the plan supports file archives only; bundle the Lambda to a file first");
    return { archive: hashPath(path) };
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(sanitize));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = await sanitize(v);
    }
    return out;
  }
  return value;
}

function unwrapSecrets(value: unknown): unknown {
  if (isSecret(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** `urn:pulumi:stack::project::a$b$type::name` -> `type::name`. */
export function urnToRef(urn: string): string {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return `${qualified.split("$").pop()}::${parts.slice(3).join("::")}`;
}

type State = Record<string, unknown>;

/** The runtime rethrows a failed invoke as `new Error(err.details)`, so the message must also be in `details`. */
class MockCallError extends Error {
  readonly details: string;
  constructor(message: string) {
    super(message);
    this.details = message;
  }
}

/** Mocks that answer like AWS would (ids, ARNs with partition/region/account) and record every registration. */
export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  /** Resources the recorder could not record faithfully; drain() fails when there are any. */
  readonly errors: string[] = [];
  private readonly providerRegions = new Map<string, string>();
  private readonly pendingParents = new Map<string, string | null>();

  constructor(readonly env: MockEnvironment) {}

  /** Called by the monitor before newResource, with what the public Mocks API does not expose. */
  noteParent(type: string, name: string, parentUrn: string) {
    this.pendingParents.set(`${type}::${name}`, parentUrn ? urnToRef(parentUrn) : null);
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const { account, partition } = this.env;
    const region = this.regionOf(args.provider);
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: account,
          arn: `arn:${partition}:iam::${account}:user/offline-plan`,
          userId: "AIDAOFFLINE",
          id: account,
        };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, id: region, description: region, endpoint: `${region}.amazonaws.com` };
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
          id: account,
          registryId: args.inputs.registryId ?? account,
          userName: "AWS",
          password: "offline-ecr-token",
          authorizationToken: "offline-ecr-token",
          proxyEndpoint: `https://${account}.dkr.ecr.${region}.amazonaws.com`,
          expiresAt: "2030-01-01T00:00:00Z",
        };
      // A public image's current digest (the registry's answer at deploy time), stable per name offline.
      case "docker:index/getRegistryImage:getRegistryImage":
        return {
          id: String(args.inputs.name),
          name: args.inputs.name,
          insecureSkipVerify: false,
          sha256Digest: `sha256:${createHash("sha256").update(String(args.inputs.name)).digest("hex")}`,
        };
      case "aws:index/getPartition:getPartition":
        return { partition, id: partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
      default:
        throw new MockCallError(
          `offline mock engine: no mock for call "${args.token}". Add one to test/support/pulumi-mocks.ts ` +
            "(returning what AWS would) rather than letting the program depend on an unknown value.",
        );
    }
  }

  async newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string | undefined; state: State }> {
    const key = `${args.type}::${args.name}`;
    const parent = this.pendingParents.get(key) ?? null;
    // @pulumi/aws v7 resources take a per-resource `region` input; otherwise the provider's region applies.
    const region =
      typeof args.inputs.region === "string" && args.type.startsWith("aws:")
        ? args.inputs.region
        : args.type === "pulumi:providers:aws"
          ? String(args.inputs.region ?? this.env.region)
          : this.regionOf(args.provider);
    const urn = `urn:pulumi:${this.env.stack}::${this.env.project}::${args.type}::${args.name}`;
    let recorded: Record<string, unknown>;
    try {
      recorded = (await sanitize(args.inputs)) as Record<string, unknown>;
    } catch (e) {
      // Never throw into the runtime (that becomes an unhandled rejection); drain() reports it.
      this.errors.push(`${args.type} ${args.name}: ${(e as Error).message}`);
      recorded = {};
    }
    const entry: RecordedResource = {
      type: args.type,
      name: args.name,
      parent,
      urn,
      custom: args.custom ?? true,
      inputs: recorded,
      region,
    };
    this.resources.push(entry);
    const inputs = unwrapSecrets(args.inputs) as State;
    const id = args.custom === false ? undefined : this.idFor(args.type, args.name, inputs);
    const state = { ...inputs, ...this.outputsFor(args.type, args.name, inputs, region, id ?? "") };
    if (typeof state.arn === "string") entry.arn = state.arn;
    if (args.type === "pulumi:providers:aws") this.providerRegions.set(`${args.name}`, region);
    return { id, state };
  }

  private regionOf(provider: string | undefined): string {
    if (!provider) return this.env.region;
    // provider refs look like `urn:...::pulumi:providers:aws::<name>::<id>`
    const name = provider.split("::")[3];
    return (name && this.providerRegions.get(name)) ?? this.env.region;
  }

  private idFor(type: string, name: string, inputs: State): string {
    const physical = this.physicalName(type, name, inputs);
    switch (type) {
      case "aws:kms/key:Key":
        return `${hash(name, 8)}-${hash(`${name}1`, 4)}-${hash(`${name}2`, 4)}-${hash(`${name}3`, 4)}-${hash(`${name}4`, 12)}`;
      case "random:index/randomId:RandomId":
      case "random:index/randomString:RandomString":
        return hash(name, 16);
      default:
        return physical;
    }
  }

  /** The name AWS would see: the explicit name input, or Pulumi's auto-name (logical name + 7 chars). */
  private physicalName(type: string, name: string, inputs: State): string {
    for (const k of ["name", "bucket", "alarmName", "functionName", "roleName", "topicName", "queueName"]) {
      if (typeof inputs[k] === "string") return inputs[k] as string;
    }
    return `${name}-${hash(type + name, 7)}`;
  }

  private outputsFor(type: string, name: string, inputs: State, region: string, id: string): State {
    const { account, partition } = this.env;
    const arn = (service: string, resource: string, r = region) =>
      `arn:${partition}:${service}:${r}:${account}:${resource}`;
    const physical = this.physicalName(type, name, inputs);
    switch (type) {
      case "aws:kms/key:Key":
        return { arn: arn("kms", `key/${id}`), keyId: id };
      case "aws:kms/alias:Alias":
        return {
          arn: arn("kms", String(inputs.name ?? physical)),
          targetKeyArn: arn("kms", `key/${inputs.targetKeyId}`),
        };
      case "aws:sns/topic:Topic":
        return { name: physical, arn: arn("sns", physical) };
      case "aws:sqs/queue:Queue":
        return {
          name: physical,
          arn: arn("sqs", physical),
          url: `https://sqs.${region}.amazonaws.com/${account}/${physical}`,
        };
      case "aws:lambda/function:Function":
        return {
          name: physical,
          arn: arn("lambda", `function:${physical}`),
          invokeArn: `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${physical}`)}/invocations`,
          qualifiedArn: arn("lambda", `function:${physical}:$LATEST`),
          version: "$LATEST",
        };
      case "aws:iam/role:Role":
        return {
          name: physical,
          arn: `arn:${partition}:iam::${account}:role${inputs.path ?? "/"}${physical}`,
          uniqueId: `AROA${hash(name, 16).toUpperCase()}`,
        };
      case "aws:iam/policy:Policy":
        return {
          name: physical,
          arn: `arn:${partition}:iam::${account}:policy${inputs.path ?? "/"}${physical}`,
        };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { name: physical, arn: arn("logs", `log-group:${physical}`) };
      case "aws:s3/bucket:Bucket":
        return {
          bucket: physical,
          arn: `arn:${partition}:s3:::${physical}`,
          bucketDomainName: `${physical}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${physical}.s3.${region}.amazonaws.com`,
          region,
        };
      case "aws:scheduler/scheduleGroup:ScheduleGroup":
        return { name: physical, arn: arn("scheduler", `schedule-group/${physical}`) };
      case "aws:scheduler/schedule:Schedule":
        return {
          name: physical,
          arn: arn("scheduler", `schedule/${inputs.groupName ?? "default"}/${physical}`),
        };
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
      case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
        return { alarmName: physical, arn: arn("cloudwatch", `alarm:${physical}`) };
      case "aws:cloudwatch/dashboard:Dashboard":
        return {
          dashboardArn: `arn:${partition}:cloudwatch::${account}:dashboard/${inputs.dashboardName ?? physical}`,
        };
      case "aws:ecr/repository:Repository":
        return {
          name: physical,
          arn: arn("ecr", `repository/${physical}`),
          repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${physical}`,
          registryId: account,
        };
      case "aws:ssm/parameter:Parameter":
        return {
          name: physical,
          arn: arn("ssm", `parameter${physical.startsWith("/") ? "" : "/"}${physical}`),
        };
      case "aws:route53/healthCheck:HealthCheck":
        return { arn: `arn:${partition}:route53:::healthcheck/${id}` };
      case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        return { name: physical, arn: arn("firehose", `deliverystream/${physical}`) };
      case "aws:cloudwatch/eventRule:EventRule":
        return { name: physical, arn: arn("events", `rule/${physical}`) };
      case "aws:ecs/cluster:Cluster":
        return { name: physical, arn: arn("ecs", `cluster/${physical}`) };
      case "aws:secretsmanager/secret:Secret":
        // Secrets Manager appends six random characters to the name.
        return { arn: arn("secretsmanager", `secret:${physical}-${hash(`${name}-suffix`, 6)}`) };
      case "aws:ecs/taskDefinition:TaskDefinition":
        return { arn: arn("ecs", `task-definition/${inputs.family}:1`), revision: 1 };
      case "random:index/randomId:RandomId":
        return {
          hex: hash(`${name}-hex`, Number(inputs.byteLength ?? 4) * 2),
          b64Url: hash(`${name}-b64`, 8),
        };
      case "random:index/randomString:RandomString":
        return { result: hash(`${name}-result`, Number(inputs.length ?? 8)).toLowerCase() };
      case "docker:index/image:Image":
        return {
          repoDigest: `${inputs.imageName}@sha256:${hash(`${name}-digest`, 64)}`,
          imageName: inputs.imageName,
        };
      default:
        return { arn: arn(type.split(":")[1]?.split("/")[0] ?? "unknown", `${name}/${physical}`) };
    }
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
}

/** Wraps the mock monitor so the recorder learns each resource's parent, which the public Mocks API leaves out. */
function recordParents(recorder: RecordingMocks): void {
  const monitor = getMonitor() as unknown as MockMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, callback: (err: unknown, response: unknown) => void) => {
    recorder.noteParent(req.getType(), req.getName(), req.getParent());
    return register(req, callback);
  };
}

/**
 * Every resource's constructor captures its whole call stack (`Resource.callsites`, with no frame limit) to tell the
 * engine the source position of the declaration, which the mock monitor never reads and no recording holds: under
 * mocks it is skipped, so declaring a resource costs no stack walk.
 */
function skipSourcePositions(): void {
  (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
}

/**
 * Installs the recording engine for one stack. Await it before importing or running the program.
 * Config keys are full names (`maintenance:paging`); secretKeys lists those that are secure values.
 */
export async function installMocks(
  env: Partial<MockEnvironment> = {},
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<RecordingMocks> {
  const full: MockEnvironment = { ...defaultMockEnvironment, ...env };
  const recorder = new RecordingMocks(full);
  await pulumi.runtime.setMocks(recorder, full.project, full.stack, full.preview);
  skipSourcePositions();
  recordParents(recorder);
  // Errors are counted per process; each recording starts from zero so one stack's failure is not another's.
  // getStore is @internal upstream; logErrorCount is what pulumi.log.hasErrors() reads.
  (runtimeState as unknown as { getStore(): { logErrorCount: number } }).getStore().logErrorCount = 0;
  pulumi.runtime.setAllConfig({ "aws:region": full.region, ...config }, secretKeys);
  return recorder;
}

/** Waits until every registration the program started has reached the recorder. */
export async function drain(recorder?: RecordingMocks): Promise<void> {
  // `disconnect` waits for the runtime's RPC queue; the mock monitor has no connection to close.
  await pulumi.runtime.disconnect();
  // A registration that failed (bad input, missing bundle) is logged, not thrown: without this the plan would
  // silently miss the resource.
  if (recorder?.errors.length) {
    throw new Error(`the recording is incomplete:\n  ${recorder.errors.join("\n  ")}`);
  }
  if (pulumi.log.hasErrors()) {
    throw new Error(
      "the program logged errors while declaring resources (see above); the recording is incomplete",
    );
  }
}

/** Runs `program` under a fresh recording engine and returns everything it declared, once all registrations land. */
export async function recordProgram(
  program: () => unknown,
  env: Partial<MockEnvironment> = {},
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<RecordedResource[]> {
  const recorder = await installMocks(env, config, secretKeys);
  await program();
  await drain(recorder);
  return recorder.resources;
}

/** Finds exactly one recorded resource of `type` named `name`, failing with the names that do exist. */
export function findResource(
  resources: readonly RecordedResource[],
  type: string,
  name: string,
): RecordedResource {
  const hit = resources.filter((r) => r.type === type && r.name === name);
  if (hit.length !== 1) {
    const names = resources.filter((r) => r.type === type).map((r) => r.name);
    throw new Error(
      `expected one ${type} named ${name}, found ${hit.length}; ${type} names: ${names.join(", ")}`,
    );
  }
  return hit[0]!;
}

/** All recorded resources of one type, sorted by name. */
export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type).sort((a, b) => a.name.localeCompare(b.name));
}
