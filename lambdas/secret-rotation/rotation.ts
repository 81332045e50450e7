// The four rotation steps with Secrets Manager's staging labels, as the AWS rotation templates define them: every step
// first checks the version's stages (rotation enabled, the token staged AWSPENDING, or already AWSCURRENT: done), and
// each step is idempotent, so Secrets Manager's retries converge.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import type { Log } from "../shared/log";
import type { RotatedSecret, RotationEvent } from "./config";

export const CURRENT = "AWSCURRENT";
export const PENDING = "AWSPENDING";
export const PREVIOUS = "AWSPREVIOUS";

export type Secrets = Pick<SecretsManagerClient, "send">;

/** How one kind of secret makes, installs and proves a new value. */
export interface RotationStrategy {
  /** The pending value's SecretString, from the current one (undefined: a new secret that has no value yet). */
  create(current: string | undefined): Promise<string>;
  /** Makes the pending value work where it is used (the database); must succeed again when already done. */
  set(values: StageValues): Promise<void>;
  /** Proves the pending value works, and (alternating users) that the other user is still equal to the first. */
  test(values: StageValues): Promise<void>;
}

export interface StageValues {
  readonly pending: string;
  readonly current?: string;
  readonly previous?: string;
}

export class RotationRefused extends Error {
  override name = "RotationRefused";
}

const isNotFound = (e: unknown) => (e as { name?: string }).name === "ResourceNotFoundException";

/** The secret's value at a stage (or of a version), undefined when there is none. */
export async function valueAt(
  secrets: Secrets,
  arn: string,
  stage: string,
  versionId?: string,
): Promise<string | undefined> {
  try {
    const out = await secrets.send(
      new GetSecretValueCommand({
        SecretId: arn,
        VersionStage: stage,
        ...(versionId ? { VersionId: versionId } : {}),
      }),
    );
    return out.SecretString;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Runs one step for a secret this function is configured for. Refuses a secret it does not know (its config lists
 * every secret it may rotate), one whose rotation is off, and a token Secrets Manager has not staged AWSPENDING.
 */
export async function rotate(
  event: RotationEvent,
  secret: RotatedSecret,
  strategy: RotationStrategy,
  deps: { secrets: Secrets; log: Log },
): Promise<"done" | "already-current"> {
  const { secrets, log } = deps;
  const arn = secret.arn;
  const token = event.ClientRequestToken;
  const meta = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
  if (meta.RotationEnabled === false)
    throw new RotationRefused(`secret ${secret.name} is not enabled for rotation`);
  const versions = meta.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (!stages)
    throw new RotationRefused(`version ${token} of secret ${secret.name} has no stage for rotation`);
  if (stages.includes(CURRENT)) {
    log.info("version is already AWSCURRENT", { secret: secret.name, step: event.Step });
    return "already-current";
  }
  if (!stages.includes(PENDING))
    throw new RotationRefused(`version ${token} of secret ${secret.name} is not staged AWSPENDING`);

  switch (event.Step) {
    case "createSecret": {
      // A retried createSecret finds its own value and stops; it never replaces a pending value already set.
      if ((await valueAt(secrets, arn, PENDING, token)) !== undefined) break;
      const current = await valueAt(secrets, arn, CURRENT);
      const value = await strategy.create(current);
      await secrets.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: token,
          SecretString: value,
          VersionStages: [PENDING],
          ...(event.RotationToken ? { RotationToken: event.RotationToken } : {}),
        }),
      );
      break;
    }
    case "setSecret":
    case "testSecret": {
      const pending = await valueAt(secrets, arn, PENDING, token);
      if (pending === undefined)
        throw new RotationRefused(
          `version ${token} of secret ${secret.name} has no value (createSecret did not run)`,
        );
      const current = await valueAt(secrets, arn, CURRENT);
      const previous = await valueAt(secrets, arn, PREVIOUS);
      const values: StageValues = {
        pending,
        ...(current !== undefined ? { current } : {}),
        ...(previous !== undefined ? { previous } : {}),
      };
      await (event.Step === "setSecret" ? strategy.set(values) : strategy.test(values));
      break;
    }
    case "finishSecret": {
      const currentVersion = Object.entries(versions).find(([, s]) => s.includes(CURRENT))?.[0];
      // AWSCURRENT moves to the token (AWSPREVIOUS follows the version it leaves, by Secrets Manager itself).
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: CURRENT,
          MoveToVersionId: token,
          ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
        }),
      );
      // The label is cleared at once, so no version is ever left staged AWSPENDING beside AWSCURRENT: the daily
      // check reads a pending label as a rotation that has not finished.
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: PENDING,
          RemoveFromVersionId: token,
        }),
      );
      break;
    }
  }
  log.info("rotation step done", { secret: secret.name, step: event.Step });
  return "done";
}
