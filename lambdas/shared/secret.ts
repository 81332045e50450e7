// Database credentials read from Secrets Manager at every run (AWSCURRENT, never cached across runs), and the one
// retry with a fresh read that keeps a job working when a rotation finishes between its read and its login.
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

/**
 * Runs `attempt` with the secret's current credentials; when it failed on authentication (a thrown error or a
 * result `failedOnAuth` recognises), reads the secret again and tries exactly once more. A rotation's finishSecret
 * can move AWSCURRENT between our read and our login: the second read sees the new password. Anything else, or a
 * second authentication failure, is returned (or thrown) as it is: a wrong password is not retried forever.
 */
export async function withCurrentCredentials<T>(
  secrets: Pick<SecretsManagerClient, "send">,
  secretId: string,
  attempt: (credentials: Credentials) => Promise<T>,
  failedOnAuth: (result: T) => boolean = () => false,
  onRetry: (reason: string) => void = () => {},
): Promise<T> {
  const first = await readCurrentCredentials(secrets, secretId);
  let reason: string;
  try {
    const result = await attempt(first);
    if (!failedOnAuth(result)) return result;
    reason = "the database refused the password";
  } catch (e) {
    if (!isAuthFailure(String((e as Error).message ?? e))) throw e;
    reason = (e as Error).message;
  }
  onRetry(reason);
  return attempt(await readCurrentCredentials(secrets, secretId));
}
