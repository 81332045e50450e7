// A stateful Secrets Manager stand-in with versions and staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS) as the
// service keeps them, used by the rotation tests and the contracts' in-memory AWS. It answers commands by name.
import { randomUUID } from "node:crypto";

interface Version {
  readonly id: string;
  value: string | undefined;
  stages: string[];
  readonly created: Date;
}

interface SecretState {
  readonly arn: string;
  readonly created: Date;
  rotationEnabled: boolean;
  lastRotated?: Date;
  /** DescribeSecret's NextRotationDate: set by the schedule; "if rotation is unsuccessful, this date may be in the past". */
  nextRotation?: Date;
  versions: Version[];
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

export class FakeSecretsManager {
  private readonly store = new Map<string, SecretState>();

  constructor(readonly now: () => Date = () => new Date()) {}

  /** A secret with rotation on and, when given, a first value staged AWSCURRENT. */
  create(
    arn: string,
    value?: string,
    opts: { createdAt?: Date; rotationEnabled?: boolean; nextRotation?: Date } = {},
  ): string {
    this.store.set(arn, {
      arn,
      created: opts.createdAt ?? this.now(),
      rotationEnabled: opts.rotationEnabled ?? true,
      versions: [],
      ...(opts.nextRotation ? { nextRotation: opts.nextRotation } : {}),
    });
    if (value !== undefined) this.put(arn, randomUUID(), value, ["AWSCURRENT"]);
    return arn;
  }

  has(arn: string): boolean {
    return this.store.has(arn);
  }

  /** Stage -> value, for assertions. */
  valueAt(arn: string, stage: string): string | undefined {
    return this.secret(arn).versions.find((v) => v.stages.includes(stage))?.value;
  }

  stagesOf(arn: string): Record<string, string[]> {
    return Object.fromEntries(this.secret(arn).versions.map((v) => [v.id, [...v.stages]]));
  }

  /** What RotateSecret does before it invokes the function: a version without a value, staged AWSPENDING. */
  startRotation(arn: string, token: string = randomUUID(), createdAt?: Date): string {
    const s = this.secret(arn);
    if (s.versions.some((v) => v.stages.includes("AWSPENDING") && !v.stages.includes("AWSCURRENT")))
      throw named(
        "InvalidRequestException",
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    this.moveStage(s, "AWSPENDING", undefined);
    s.versions.push({
      id: token,
      value: undefined,
      stages: ["AWSPENDING"],
      created: createdAt ?? this.now(),
    });
    return token;
  }

  /** A full rotation as Secrets Manager drives it: the four steps in order; a throwing step stops it (as a failure). */
  async rotate(arn: string, invoke: (event: Record<string, string>) => Promise<unknown>): Promise<string> {
    const token = this.startRotation(arn);
    for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"])
      await invoke({ Step, SecretId: arn, ClientRequestToken: token });
    return token;
  }

  /**
   * What RotateSecret with RotateImmediately=false does: "tests the rotation configuration by running the testSecret
   * step ... The test creates an AWSPENDING version of the secret and then removes it" (API_RotateSecret). The
   * version holds the current value (no createSecret ran); it is removed whether the step passes or not.
   */
  async probeRotation(
    arn: string,
    invoke: (event: Record<string, string>) => Promise<unknown>,
  ): Promise<void> {
    const token = this.startRotation(arn);
    const s = this.secret(arn);
    const version = s.versions.find((v) => v.id === token)!;
    version.value = this.valueAt(arn, "AWSCURRENT");
    try {
      await invoke({ Step: "testSecret", SecretId: arn, ClientRequestToken: token });
    } finally {
      s.versions = s.versions.filter((v) => v !== version);
    }
  }

  async send(command: { constructor: { name: string }; input: unknown }): Promise<unknown> {
    return this.answer(
      command.constructor.name.replace(/Command$/, ""),
      command.input as Record<string, any>,
    );
  }

  answer(command: string, i: Record<string, any>): unknown {
    switch (command) {
      case "GetSecretValue": {
        const s = this.secret(i.SecretId);
        const stage = i.VersionStage ?? (i.VersionId ? undefined : "AWSCURRENT");
        const v = s.versions.find(
          (x) => (!i.VersionId || x.id === i.VersionId) && (!stage || x.stages.includes(stage)),
        );
        if (!v || v.value === undefined)
          throw named("ResourceNotFoundException", "Secrets Manager can't find the specified secret value");
        return { ARN: s.arn, VersionId: v.id, SecretString: v.value, VersionStages: [...v.stages] };
      }
      case "DescribeSecret": {
        const s = this.secret(i.SecretId);
        return {
          ARN: s.arn,
          RotationEnabled: s.rotationEnabled,
          CreatedDate: s.created,
          ...(s.lastRotated ? { LastRotatedDate: s.lastRotated } : {}),
          ...(s.nextRotation ? { NextRotationDate: s.nextRotation } : {}),
          VersionIdsToStages: this.stagesOf(s.arn),
        };
      }
      case "ListSecretVersionIds": {
        const s = this.secret(i.SecretId);
        return {
          ARN: s.arn,
          Versions: s.versions
            .filter((v) => i.IncludeDeprecated || v.stages.length > 0)
            .map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: v.created })),
        };
      }
      case "PutSecretValue":
        this.put(
          i.SecretId,
          i.ClientRequestToken ?? randomUUID(),
          i.SecretString,
          i.VersionStages ?? ["AWSCURRENT"],
        );
        return { ARN: i.SecretId, VersionId: i.ClientRequestToken };
      case "UpdateSecretVersionStage": {
        const s = this.secret(i.SecretId);
        const holder = s.versions.find((v) => v.stages.includes(i.VersionStage));
        // The service refuses to move a label from a version other than the one named in RemoveFromVersionId.
        if (
          holder &&
          i.MoveToVersionId &&
          holder.id !== i.MoveToVersionId &&
          holder.id !== i.RemoveFromVersionId
        )
          throw named(
            "InvalidParameterException",
            `The parameter RemoveFromVersionId can't be empty. Staging label ${i.VersionStage} is currently attached to version ${holder.id}`,
          );
        if (i.RemoveFromVersionId) {
          const from = s.versions.find((v) => v.id === i.RemoveFromVersionId);
          if (!from?.stages.includes(i.VersionStage))
            throw named(
              "InvalidParameterException",
              `${i.VersionStage} is not attached to ${i.RemoveFromVersionId}`,
            );
          from.stages = from.stages.filter((x) => x !== i.VersionStage);
        }
        if (i.MoveToVersionId) {
          const to = s.versions.find((v) => v.id === i.MoveToVersionId);
          if (!to) throw named("ResourceNotFoundException", `no version ${i.MoveToVersionId}`);
          if (i.VersionStage === "AWSCURRENT") {
            this.moveStage(s, "AWSPREVIOUS", holder);
            s.lastRotated = this.now();
          }
          if (!to.stages.includes(i.VersionStage)) to.stages.push(i.VersionStage);
        }
        return { ARN: s.arn };
      }
      default:
        throw new Error(
          `the Secrets Manager stand-in does not answer ${command}: add it to test/support/fake-secrets-manager.ts`,
        );
    }
  }

  private secret(id: string): SecretState {
    const s = this.store.get(id);
    if (!s) throw named("ResourceNotFoundException", `Secrets Manager can't find the specified secret ${id}`);
    return s;
  }

  /** A label lives on one version at a time: it leaves every other version and goes to `to` (or nowhere). */
  private moveStage(s: SecretState, stage: string, to: Version | undefined): void {
    for (const v of s.versions) if (v !== to) v.stages = v.stages.filter((x) => x !== stage);
    if (to && !to.stages.includes(stage)) to.stages.push(stage);
  }

  private put(arn: string, id: string, value: string, stages: readonly string[]): void {
    const s = this.secret(arn);
    const existing = s.versions.find((v) => v.id === id);
    if (existing?.value !== undefined && existing.value !== value)
      throw named("ResourceExistsException", `version ${id} already exists with another value`);
    const v = existing ?? { id, value, stages: [], created: this.now() };
    v.value = value;
    if (!existing) s.versions.push(v);
    for (const stage of stages) {
      const holder = s.versions.find((x) => x.stages.includes(stage));
      if (stage === "AWSCURRENT" && holder && holder !== v) this.moveStage(s, "AWSPREVIOUS", holder);
      this.moveStage(s, stage, v);
    }
  }
}
