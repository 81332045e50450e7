// Database credentials read from Secrets Manager at every run (AWSCURRENT, never cached across runs), and the bounded
// retries (AWSPENDING, then AWSCURRENT read again) that keep a job working while a rotation finishes around its login.
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface Credentials {
  /** From a JSON secret's `username`; absent for a plain-string secret (the job's configured user then logs in). */
  readonly username?: string;
  readonly password: string;
}

/**
 * A secret is the password, or JSON with `password` (and `username`: with alternating users the current secret
 * names the user that logs in now, so it wins over the configured one).
 */
export function credentialsFrom(secret: string): Credentials {
  try {
    const parsed = JSON.parse(secret) as { password?: unknown; username?: unknown };
    if (typeof parsed.password === "string")
      return {
        password: parsed.password,
        ...(typeof parsed.username === "string" && parsed.username ? { username: parsed.username } : {}),
      };
  } catch {
    // a plain string secret
  }
  return { password: secret };
}

export class SecretReadError extends Error {
  override name = "SecretReadError";
}

/** The secret's AWSCURRENT value, read now (GetSecretValue without a stage returns AWSCURRENT). */
export async function readCurrentCredentials(
  secrets: Pick<SecretsManagerClient, "send">,
  secretId: string,
): Promise<Credentials> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!out.SecretString) throw new SecretReadError(`secret ${secretId} has no string value`);
  return credentialsFrom(out.SecretString);
}

/**
 * What PostgreSQL and MySQL/MariaDB clients print when the server refuses the password: libpq's "password
 * authentication failed for user", MySQL's "Access denied for user" (ER_ACCESS_DENIED_ERROR 1045).
 */
export const AUTH_FAILURE = /password authentication failed|Access denied for user|ER_ACCESS_DENIED_ERROR/i;

export function isAuthFailure(message: string): boolean {
  return AUTH_FAILURE.test(message);
}

/** The secret's AWSPENDING value (a rotation between setSecret and finishSecret), undefined when there is none. */
export async function readPendingCredentials(
  secrets: Pick<SecretsManagerClient, "send">,
  secretId: string,
): Promise<Credentials | undefined> {
  try {
    const out = await secrets.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: "AWSPENDING" }),
    );
    return out.SecretString ? credentialsFrom(out.SecretString) : undefined;
  } catch (e) {
    // No version staged AWSPENDING, or one createSecret has not filled yet.
    if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

const same = (a: Credentials, b: Credentials) => a.username === b.username && a.password === b.password;

/**
 * Runs `attempt` with the secret's current credentials; when it failed on authentication (a thrown error or a
 * result `failedOnAuth` recognises), tries at most twice more: AWSPENDING when it names the same user with another
 * password (single-user rotation: from setSecret until finishSecret the database has the pending password while
 * AWSCURRENT still holds the old one, https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html),
 * then AWSCURRENT read again (finishSecret moved it between our read and our login), skipping credentials already
 * tried. Anything else, or the last authentication failure, is returned (or thrown) as it is: never a loop.
 */
export async function withCurrentCredentials<T>(
  secrets: Pick<SecretsManagerClient, "send">,
  secretId: string,
  attempt: (credentials: Credentials) => Promise<T>,
  failedOnAuth: (result: T) => boolean = () => false,
  onRetry: (reason: string) => void = () => {},
): Promise<T> {
  type Outcome = { refused: false; result: T } | { refused: true; reason: string; last: () => T };
  const run = async (credentials: Credentials): Promise<Outcome> => {
    try {
      const result = await attempt(credentials);
      return failedOnAuth(result)
        ? { refused: true, reason: "the database refused the password", last: () => result }
        : { refused: false, result };
    } catch (e) {
      if (!isAuthFailure(String((e as Error).message ?? e))) throw e;
      return {
        refused: true,
        reason: (e as Error).message,
        last: () => {
          throw e;
        },
      };
    }
  };
  const tried = [await readCurrentCredentials(secrets, secretId)];
  let outcome = await run(tried[0]!);
  if (!outcome.refused) return outcome.result;
  onRetry(outcome.reason);
  const pending = await readPendingCredentials(secrets, secretId);
  if (pending && pending.username === tried[0]!.username && !same(pending, tried[0]!)) {
    tried.push(pending);
    outcome = await run(pending);
    if (!outcome.refused) return outcome.result;
  }
  const again = await readCurrentCredentials(secrets, secretId);
  if (!tried.some((t) => same(t, again))) {
    outcome = await run(again);
    if (!outcome.refused) return outcome.result;
  }
  return outcome.last();
}
