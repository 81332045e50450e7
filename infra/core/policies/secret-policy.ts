// Secrets Manager documents as pure functions: a created secret's resource policy (only the app's roles and the
// rotation function read it) and the job statements of a rotation function and of the rotation check.
import type { JobStatement } from "./job-role";
import { type PolicyDocument, policy } from "./document";

/** What a rotation function does to the secrets it rotates: every step's calls, nothing else. */
export const ROTATE_ACTIONS = [
  "secretsmanager:DescribeSecret",
  "secretsmanager:GetSecretValue",
  "secretsmanager:PutSecretValue",
  "secretsmanager:UpdateSecretVersionStage",
] as const;

/**
 * A created secret's resource policy: the app's roles may read it, the rotation function may rotate it, and nobody
 * else may read its value whatever their IAM policies say (the Deny; `aws:PrincipalArn` is the role's ARN for an
 * assumed role). Administration (describe, policy, deletion) stays with the account's IAM policies.
 */
export function createdSecretPolicy(
  readerRoleArns: readonly string[],
  rotationRoleArn: string,
): PolicyDocument {
  return policy([
    {
      Sid: "AppRolesRead",
      Effect: "Allow",
      Principal: { AWS: [...readerRoleArns] },
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: "*",
    },
    {
      Sid: "RotationFunctionRotates",
      Effect: "Allow",
      Principal: { AWS: rotationRoleArn },
      Action: [...ROTATE_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "NobodyElseReadsTheValue",
      Effect: "Deny",
      Principal: "*",
      Action: "secretsmanager:GetSecretValue",
      Resource: "*",
      Condition: { StringNotEquals: { "aws:PrincipalArn": [...readerRoleArns, rotationRoleArn] } },
    },
  ]);
}

/** A statement whose resources may be ARNs not known yet (`R` is a string, or a Pulumi input of one). */
export type StatementOf<R> = Omit<JobStatement, "resources"> & { readonly resources: readonly R[] };

/** The rotation function's own statements: rotate its secrets, read the admin secrets, use their keys via Secrets Manager. */
export function rotationStatements<R>(p: {
  readonly secretArns: readonly R[];
  readonly adminSecretArns: readonly R[];
  readonly kmsKeyArns: readonly R[];
  readonly region: string;
}): StatementOf<R>[] {
  return [
    { sid: "RotateOwnSecrets", actions: [...ROTATE_ACTIONS], resources: [...p.secretArns] },
    ...(p.adminSecretArns.length
      ? [
          {
            sid: "ReadAdminSecrets",
            actions: ["secretsmanager:GetSecretValue"],
            resources: [...p.adminSecretArns],
          },
        ]
      : []),
    ...(p.kmsKeyArns.length
      ? [
          {
            sid: "SecretKeysThroughSecretsManager",
            // GetSecretValue decrypts, PutSecretValue encrypts a new data key.
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [...p.kmsKeyArns],
            conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${p.region}.amazonaws.com` } },
          },
        ]
      : []),
  ];
}

/** The daily check reads metadata only (stages, dates): never a value, so no key. */
export function rotationCheckStatements<R>(secretArns: readonly R[]): StatementOf<R>[] {
  return [
    {
      sid: "ReadRotationState",
      actions: ["secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"],
      resources: [...secretArns],
    },
  ];
}
