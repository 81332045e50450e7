// The daily rotation check (pure logic on an injected Secrets Manager client): per secret, the days since its last
// successful rotation and the versions stuck on AWSPENDING (staged pending, not current, older than a rotation takes).
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { z } from "zod";

export const checkConfigSchema = z
  .object({
    secrets: z
      .array(
        z
          .object({
            name: z.string().min(1),
            arn: z.string().startsWith("arn:"),
            /** The longest a healthy schedule goes between rotations (plus its window); older is overdue. */
            maxAgeDays: z.number().positive(),
            /** The schedule's longest interval: a never-rotated secret counts from one before its first due date. */
            intervalDays: z.number().positive(),
          })
          .strict(),
      )
      .min(1),
    /** A rotation takes minutes (Secrets Manager retries a failing one for hours): a pending label older than this is stuck. */
    stuckAfterHours: z.number().positive(),
  })
  .strict();
export type CheckConfig = z.infer<typeof checkConfigSchema>;

export const checkEventSchema = z.object({ scheduledTime: z.string().optional() }).passthrough();

export type SecretReport =
  | {
      readonly name: string;
      readonly status: "ok" | "overdue" | "stuck" | "disabled";
      readonly daysSinceLastRotation: number;
      /** Version ids staged AWSPENDING (not AWSCURRENT) for longer than stuckAfterHours. */
      readonly stuckPending: readonly string[];
      readonly lastRotated: string | null;
      /** Never rotated: the first rotation Secrets Manager's schedule has due (DescribeSecret NextRotationDate). */
      readonly firstRotationDue?: string;
    }
  | { readonly name: string; readonly status: "error"; readonly error: string };

const DAY = 86_400_000;

/** One secret's report; a secret that cannot be read reports an error and no metrics (the age alarm pages on none). */
export async function checkSecret(
  secrets: Pick<SecretsManagerClient, "send">,
  s: CheckConfig["secrets"][number],
  stuckAfterHours: number,
  now: Date,
): Promise<SecretReport> {
  try {
    const meta = await secrets.send(new DescribeSecretCommand({ SecretId: s.arn }));
    // Never rotated yet: a secret that existed long before rotation was configured is not overdue at once. Its age
    // counts from one interval before the first rotation its schedule has due, so it is overdue exactly when that
    // one is missed. NextRotationDate is the service's own: "If rotation is unsuccessful, this date may be in the
    // past" (DescribeSecret), so a first rotation that fails still pages. Without one, from the secret's creation.
    const firstDue = meta.LastRotatedDate ? undefined : meta.NextRotationDate;
    const since =
      meta.LastRotatedDate ??
      (firstDue ? new Date(firstDue.getTime() - s.intervalDays * DAY) : meta.CreatedDate);
    if (!since) throw new Error("DescribeSecret returned neither LastRotatedDate nor CreatedDate");
    const days = Math.max(0, Math.round(((now.getTime() - since.getTime()) / DAY) * 10) / 10);
    const stuck: string[] = [];
    let token: string | undefined;
    do {
      const page = await secrets.send(
        new ListSecretVersionIdsCommand({ SecretId: s.arn, IncludeDeprecated: false, NextToken: token }),
      );
      for (const v of page.Versions ?? []) {
        const stages = v.VersionStages ?? [];
        const age = v.CreatedDate ? now.getTime() - v.CreatedDate.getTime() : Number.POSITIVE_INFINITY;
        if (
          stages.includes("AWSPENDING") &&
          !stages.includes("AWSCURRENT") &&
          age > stuckAfterHours * 3_600_000
        )
          stuck.push(v.VersionId ?? "(no id)");
      }
      token = page.NextToken;
    } while (token);
    const status =
      meta.RotationEnabled === false
        ? "disabled"
        : stuck.length
          ? "stuck"
          : days > s.maxAgeDays
            ? "overdue"
            : "ok";
    return {
      name: s.name,
      status,
      daysSinceLastRotation: days,
      stuckPending: stuck,
      lastRotated: meta.LastRotatedDate?.toISOString() ?? null,
      ...(firstDue ? { firstRotationDue: firstDue.toISOString() } : {}),
    };
  } catch (e) {
    return { name: s.name, status: "error", error: (e as Error).message };
  }
}
