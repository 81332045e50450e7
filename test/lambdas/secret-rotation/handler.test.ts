// The rotation function's Lambda entry: RotationFailed with exactly {service, Secret} on every step (0 when it
// succeeds, 1 when it throws, which the failure alarm watches), and a secret it is not configured for is refused.
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseEmf } from "../../support/emf";
import { FakeSecretsManager } from "../../support/fake-secrets-manager";

const ARN = "arn:aws:secretsmanager:ap-south-1:123456789012:secret:skillswap/jwt-secret-AbCdEf";

describe("rotation handler", () => {
  const fake = new FakeSecretsManager();
  const env = { ...process.env };
  let handler: (e: unknown) => Promise<unknown>;
  let out: string[] = [];
  let write: jest.SpyInstance;
  beforeAll(() => {
    Object.assign(process.env, {
      JOB_CONFIG: JSON.stringify({
        secrets: [{ kind: "generated", name: "jwt-secret", arn: ARN, length: 128, alphabet: "hex" }],
      }),
      POWERTOOLS_SERVICE_NAME: "rotate-generated",
      POWERTOOLS_METRICS_NAMESPACE: "Maintenance/skillswap-prod",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    ({ handler } = require("../../../lambdas/secret-rotation/handler") as { handler: typeof handler });
  });
  beforeEach(() => {
    out = [];
    write = jest.spyOn(process.stdout, "write").mockImplementation(((c: unknown) => {
      out.push(String(c));
      return true;
    }) as never);
  });
  afterEach(() => write.mockRestore());
  afterAll(() => {
    process.env = { ...env };
  });

  const rotationFailed = () =>
    parseEmf(out.join("").split("\n"))
      .filter((r) => r.metricName === "RotationFailed")
      .map((r) => [r.dimensions, r.value]);

  it("emits RotationFailed 0 for each step that succeeds and 1 for one that throws, with exactly service and Secret", async () => {
    // Every command the handler's client sends goes to the stateful fake, by its class name.
    const send = jest
      .spyOn(SecretsManagerClient.prototype, "send")
      .mockImplementation((async (command: { constructor: { name: string }; input: unknown }) =>
        fake.send(command)) as never);
    try {
      fake.create(ARN);
      const token = fake.startRotation(ARN);
      for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"])
        await handler({ Step, SecretId: ARN, ClientRequestToken: token });
      expect(fake.valueAt(ARN, "AWSCURRENT")).toMatch(/^[0-9a-f]{128}$/);
      const dims = { service: "rotate-generated", Secret: "jwt-secret" };
      expect(rotationFailed()).toEqual([
        [dims, 0],
        [dims, 0],
        [dims, 0],
        [dims, 0],
      ]);
      out = [];
      await expect(
        handler({
          Step: "createSecret",
          SecretId: ARN,
          ClientRequestToken: "22222222-2222-4222-8222-222222222222",
        }),
      ).rejects.toThrow("has no stage for rotation");
      expect(rotationFailed()).toEqual([[dims, 1]]);
      await expect(
        handler({
          Step: "createSecret",
          SecretId: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:other-AbCdEf",
          ClientRequestToken: token,
        }),
      ).rejects.toThrow("is not one this function rotates");
    } finally {
      send.mockRestore();
    }
  });
});
