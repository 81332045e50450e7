// JOB_CONFIG and event schemas of the rotation function: which secrets it may rotate and how, and the event Secrets
// Manager sends for each of the four steps.
import { z } from "zod";

export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** Alphabets a generated secret is drawn from. hex: SkillSwap's "64 random bytes, hex" is 128 hex characters. */
export const ALPHABETS = {
  hex: "0123456789abcdef",
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  urlsafe: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
} as const;
export type Alphabet = keyof typeof ALPHABETS;

const secretArn = z.string().regex(/^arn:aws[a-z-]*:secretsmanager:/, "must be a Secrets Manager secret ARN");

const databaseSecret = z
  .object({
    kind: z.literal("database"),
    /** The secret's short name: the `Secret` dimension of its metrics. */
    name: z.string().min(1).max(255),
    arn: secretArn,
    engine: z.enum(["postgres", "mysql"]),
    strategy: z.enum(["single-user", "alternating-users"]),
    /** alternating-users: the secret of a user that may create users and grant (never rotated by this function). */
    adminSecretArn: secretArn.optional(),
    /** Length of a generated database password (alphanumeric, so no client ever has to quote it). */
    passwordLength: z.int().min(16).max(128).default(32),
  })
  .strict()
  .refine((s) => s.strategy === "single-user" || s.adminSecretArn !== undefined, {
    message: "alternating-users needs adminSecretArn",
    path: ["adminSecretArn"],
  });

const generatedSecret = z
  .object({
    kind: z.literal("generated"),
    name: z.string().min(1).max(255),
    arn: secretArn,
    length: z.int().min(16).max(4096),
    alphabet: z.enum(Object.keys(ALPHABETS) as [Alphabet, ...Alphabet[]]),
  })
  .strict();

export const rotationConfigSchema = z
  .object({ secrets: z.array(z.discriminatedUnion("kind", [databaseSecret, generatedSecret])).min(1) })
  .strict();
export type RotationConfig = z.infer<typeof rotationConfigSchema>;
export type RotatedSecret = RotationConfig["secrets"][number];
export type DatabaseSecretConfig = Extract<RotatedSecret, { kind: "database" }>;
export type GeneratedSecretConfig = Extract<RotatedSecret, { kind: "generated" }>;

/** What Secrets Manager invokes the function with. https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html */
export const rotationEventSchema = z.object({
  Step: z.enum(ROTATION_STEPS),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(32).max(64),
  /** Sent by Secrets Manager since 2024 for functions that call PutSecretValue with it; optional here. */
  RotationToken: z.string().optional(),
});
export type RotationEvent = z.infer<typeof rotationEventSchema>;

/**
 * A database user's secret, as the AWS rotation templates store it. `ssl`: true or "require" encrypts without
 * checking the certificate, "verify-full" also checks it against the CA bundle and the host name, false connects in
 * plain text; absent means "require". A connection never falls back to plain text.
 */
export const databaseSecretValue = z
  .object({
    engine: z.enum(["postgres", "mysql", "mariadb"]),
    host: z.string().min(1),
    port: z.coerce.number().int().min(1).max(65_535).optional(),
    username: z.string().min(1),
    password: z.string().min(1),
    dbname: z.string().min(1).optional(),
    ssl: z.union([z.boolean(), z.enum(["require", "verify-full"])]).optional(),
    masterarn: z.string().optional(),
  })
  .passthrough();
export type DatabaseSecretValue = z.infer<typeof databaseSecretValue>;
