// Generated secrets (SkillSwap's JWT secrets, database passwords): uniform random characters from an alphabet, drawn
// with node:crypto's CSPRNG; and the strategy for a secret that is only a random value the app reads at start.
import { randomInt } from "node:crypto";
import { ALPHABETS, type Alphabet, type GeneratedSecretConfig } from "./config";
import { RotationRefused, type RotationStrategy } from "./rotation";

/** `length` characters, each uniform over the alphabet (randomInt rejects biased draws, unlike `byte % n`). */
export function randomString(length: number, alphabet: Alphabet): string {
  const chars = ALPHABETS[alphabet];
  let out = "";
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

/** The value is the secret: nothing to set anywhere (the app reads AWSCURRENT when it restarts). */
export function generatedStrategy(secret: GeneratedSecretConfig): RotationStrategy {
  const valid = (v: string) =>
    v.length === secret.length && [...v].every((c) => ALPHABETS[secret.alphabet].includes(c));
  return {
    create: async () => randomString(secret.length, secret.alphabet),
    set: async () => {},
    test: async ({ pending, current }) => {
      if (!valid(pending))
        throw new RotationRefused(
          `pending value of ${secret.name} is not ${secret.length} characters of ${secret.alphabet}`,
        );
      if (pending === current)
        throw new RotationRefused(`pending value of ${secret.name} equals the current one`);
    },
  };
}
