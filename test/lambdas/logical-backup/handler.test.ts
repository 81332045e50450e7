// The dump job's Lambda entry refuses a slot typed in the future before it reads the password or touches S3: that
// dump would count as the newest until its date and blind the backup-age alarm.
import { S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";

describe("dump handler event validation", () => {
  const s3 = mockClient(S3Client);
  const secrets = mockClient(SecretsManagerClient);
  const env = { ...process.env };
  let handler: (e: unknown) => Promise<unknown>;
  beforeAll(() => {
    Object.assign(process.env, {
      JOB_CONFIG: JSON.stringify({
        database: "app",
        engine: "postgres",
        host: "127.0.0.1",
        port: 1,
        databaseName: "app",
        user: "backup",
        passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf",
        bucket: "dumps",
        kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/b",
      }),
      POWERTOOLS_SERVICE_NAME: "dump-app",
      POWERTOOLS_METRICS_NAMESPACE: "Maintenance/test",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    // Loaded after the environment is set, in this registry so the client mocks apply to its clients.
    ({ handler } = require("../../../lambdas/logical-backup/handler") as { handler: typeof handler });
  });
  beforeEach(() => {
    s3.reset();
    secrets.reset();
    // Reaching the password lookup means the event passed validation; the run stops there.
    secrets.on(GetSecretValueCommand).rejects(new Error("stopped at the password lookup"));
  });
  afterAll(() => {
    process.env = { ...env };
    s3.restore();
    secrets.restore();
  });

  it("refuses a scheduledTime more than 5 minutes ahead, naming the field, before any AWS call", async () => {
    const ahead = new Date(Date.now() + 3 * 3_600_000 + 120_000).toISOString();
    await expect(handler({ tier: "daily", scheduledTime: ahead })).rejects.toThrow(
      new RegExp(
        `^event is invalid:\\n {2}scheduledTime: ${ahead.replace(/\./g, "\\.")} is 3h [12]m ahead of the clock .*; a slot more than 5 minutes in the future is refused: it would count as the newest dump until then`,
      ),
    );
    expect(secrets.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it("accepts a slot in the past or just ahead (clock skew)", async () => {
    for (const scheduledTime of ["2026-01-01T02:00:00Z", new Date(Date.now() + 60_000).toISOString()]) {
      await expect(handler({ tier: "daily", scheduledTime })).rejects.toThrow(
        "stopped at the password lookup",
      );
    }
    expect(secrets.calls()).toHaveLength(2);
  });
});
