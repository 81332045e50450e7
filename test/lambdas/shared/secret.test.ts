// The credentials retry around a login: bounded (AWSPENDING of the same user, then AWSCURRENT read again, each tried
// once), and only an authentication failure is retried.
import { withCurrentCredentials } from "../../../lambdas/shared/secret";
import { FakeSecretsManager } from "../../support/fake-secrets-manager";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf";
const json = (username: string, password: string) => JSON.stringify({ username, password });

function secretWithPending(pendingUser: string) {
  const sm = new FakeSecretsManager();
  sm.create(ARN, json("app", "old"));
  const token = sm.startRotation(ARN);
  sm.answer("PutSecretValue", {
    SecretId: ARN,
    ClientRequestToken: token,
    SecretString: json(pendingUser, "new"),
    VersionStages: ["AWSPENDING"],
  });
  return sm;
}

describe("withCurrentCredentials", () => {
  it("a password refused everywhere is tried once per distinct credential, then the last failure is thrown", async () => {
    const tried: string[] = [];
    const retries: string[] = [];
    await expect(
      withCurrentCredentials(
        secretWithPending("app"),
        ARN,
        async (c) => {
          tried.push(`${c.username}:${c.password}`);
          throw new Error(`password authentication failed for user "${c.username}" (${tried.length})`);
        },
        undefined,
        (r) => retries.push(r),
      ),
    ).rejects.toThrow('password authentication failed for user "app" (2)');
    // AWSCURRENT read again is the old value already tried: not tried a third time.
    expect(tried).toEqual(["app:old", "app:new"]);
    expect(retries).toEqual(['password authentication failed for user "app" (1)']);
  });

  it("skips an AWSPENDING that names another user (alternating users), and never retries other failures", async () => {
    const tried: string[] = [];
    const result = await withCurrentCredentials(
      secretWithPending("app_clone"),
      ARN,
      async (c) => {
        tried.push(`${c.username}:${c.password}`);
        return { status: "failed", error: "Access denied for user 'app'" };
      },
      (r) => r.status === "failed",
    );
    expect(result).toEqual({ status: "failed", error: "Access denied for user 'app'" });
    expect(tried).toEqual(["app:old"]);
    let calls = 0;
    await expect(
      withCurrentCredentials(secretWithPending("app"), ARN, async () => {
        calls++;
        throw new Error("connection refused");
      }),
    ).rejects.toThrow("connection refused");
    expect(calls).toBe(1);
  });
});
