// The rotation capability (`maintenance:rotation`): Secrets Manager rotation of database passwords and generated
// secrets, the daily check and its alarms; asks for the stack's `secrets` key when it creates secrets.
import { capability, jobComponentArgs } from "../capability";
import { CredentialRotation } from "./credential-rotation";

export const rotation = capability({
  section: "rotation",
  keyPurposes: (config) => (config.generated ? ["secrets"] : []),
  declare(config, shared) {
    const r = new CredentialRotation(`${shared.namePrefix}-rotation`, {
      ...jobComponentArgs(shared),
      region: shared.region,
      config,
      ...(config.generated ? { secretsKeyArn: shared.keys.arn("secrets") } : {}),
      protect: shared.protect,
      tags: shared.tags,
    });
    return {
      warnings: r.warnings,
      notes: r.notes,
      dashboard: {
        jobs: [
          ...config.databases.map((d) => ({ job: `rotate-${d.name}` })),
          ...(config.generated ? [{ job: "rotate-generated" }] : []),
          { job: "rotation-check" },
        ],
        alarmArns: r.alarmArns,
      },
    };
  },
});
