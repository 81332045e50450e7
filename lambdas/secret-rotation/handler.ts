// Lambda entry of the rotation function Secrets Manager invokes: one step for one configured secret, with
// RotationFailed (0 or 1, dimension Secret) on every step so the failure alarm sees each attempt.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import { rotationConfigSchema, rotationEventSchema } from "./config";
import { databaseStrategy } from "./database";
import { generatedStrategy } from "./generated";
import { RotationRefused, rotate } from "./rotation";

const secrets = new SecretsManagerClient({});

export const handler = defineJob({
  job: "secret-rotation",
  event: rotationEventSchema,
  config: rotationConfigSchema,
  run: async (event, ctx) => {
    const log = toLog(ctx.logger);
    // Secrets Manager may send the ARN or the name; only a configured secret is rotated.
    const secret = ctx.config.secrets.find(
      (s) =>
        s.arn === event.SecretId ||
        s.arn.split(":secret:")[1]?.replace(/-[A-Za-z0-9]{6}$/, "") === event.SecretId,
    );
    if (!secret) throw new RotationRefused(`secret ${event.SecretId} is not one this function rotates`);
    const failed = (value: number) =>
      putDimensioned(ctx.metrics, { name: "Secret", value: secret.name }, [
        { metric: "RotationFailed", unit: MetricUnit.Count, value },
      ]);
    try {
      const strategy =
        secret.kind === "generated" ? generatedStrategy(secret) : databaseStrategy(secret, { secrets, log });
      const outcome = await rotate(event, secret, strategy, { secrets, log });
      failed(0);
      return { secret: secret.name, step: event.Step, outcome };
    } catch (e) {
      failed(1);
      // The message names the secret and what is wrong; secret values never reach it.
      log.error("rotation step failed", {
        secret: secret.name,
        step: event.Step,
        error: (e as Error).message,
      });
      throw e;
    }
  },
});
