// The DR copy expires on the source's decision and never earlier: the real expiry marking (lambdas/logical-backup/
// expiry.ts) runs on random dump histories in the source buckets, S3 Replication carries the tags to the DR buckets (the
// contracts' in-memory S3, configured from the planned replication rules), and an S3 lifecycle oracle applies the
// planned rules of both regions. A DR copy goes only if its source goes, and goes whenever its source does.
import { NoSuchKey, NotFound, S3ServiceException } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { drLifecycleRules, replicationRuleSpecs } from "../../../infra/backups/dump-replication";
import {
  type DumpDatabase,
  dumpLifecycleRules,
  NONCURRENT_DAYS,
  vaultLock,
} from "../../../infra/backups/logical-backups";
import { lifecycleConfigurationRules, type LifecycleRule } from "../../../infra/core/policies/lifecycle";
import { markExpired } from "../../../lambdas/logical-backup/expiry";
import type { StoredDump } from "../../../lambdas/logical-backup/verify";
import { AwsWorld, type SdkErrors } from "../../contracts/aws-world";

const DAY = 86_400_000;
const now = new Date("2027-03-09T12:00:00Z");
const database = {
  name: "pg",
  engine: "postgres",
  kind: "self-hosted",
  dump: {
    tiers: {
      daily: { expression: "cron(0 2 * * ? *)", retention: 30 },
      yearly: { expression: "cron(0 3 1 1 ? *)", retention: 2557, objectLock: "COMPLIANCE" },
    },
  },
} as unknown as DumpDatabase;
const BUCKETS = { daily: "dumps", yearly: "vault" } as const;
const DR = { dumps: "dumps-dr", vault: "vault-dr" } as const;

type Rule = ReturnType<typeof lifecycleConfigurationRules>[number];
/** S3 lifecycle's filter semantics, written from the docs (prefix, one tag, or prefix and every tag of `and`). */
function expiresCurrentVersion(rules: readonly Rule[], key: string, tags: { Key: string; Value: string }[]) {
  const has = (k: string, v: string) => tags.some((t) => t.Key === k && t.Value === v);
  return rules.some((r) => {
    const f = r.filter as {
      prefix?: string;
      tag?: { key: string; value: string };
      and?: { prefix?: string; tags: Record<string, string> };
    };
    const matches = f.and
      ? key.startsWith(f.and.prefix ?? "") && Object.entries(f.and.tags).every(([k, v]) => has(k, v))
      : f.tag
        ? has(f.tag.key, f.tag.value)
        : key.startsWith(f.prefix ?? "");
    return r.status === "Enabled" && matches && "expiration" in r;
  });
}

const errors: SdkErrors = {
  s3NotFound: () => new NotFound({ message: "Not Found", $metadata: {} }),
  s3NoSuchKey: () => new NoSuchKey({ message: "no such key", $metadata: {} }),
  s3PreconditionFailed: () =>
    new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: {} }),
  ssmParameterNotFound: () => new Error("unused"),
  stream: (r) => r,
};

const mostly = (v: boolean) =>
  fc.oneof({ arbitrary: fc.constant(v), weight: 4 }, { arbitrary: fc.constant(!v), weight: 1 });
const history = fc.record({
  daily: fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 12 }),
  yearly: fc.uniqueArray(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 6 }),
  keep: fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
  pinAfterFirstRun: fc.nat({ max: 17 }),
  // Mostly runs that may mark (fresh, verified, not a dry run), so marking has work; the refusals are drawn too.
  newestGoodHours: fc.integer({ min: 0, max: 60 }),
  ok: mostly(true),
  dryRun: mostly(false),
  maxMarksPerRun: fc.integer({ min: 0, max: 5 }),
  keepLastFloor: fc.integer({ min: 1, max: 4 }),
});

type History = typeof history extends fc.Arbitrary<infer T> ? T : never;

/** Runs marking twice (an operator pins one dump keep=true in between) and returns which copies lifecycle would expire. */
async function scenario(h: History, drRules: { dumps: LifecycleRule[]; vault: LifecycleRule[] }) {
  const world = new AwsWorld("123456789012", () => now);
  const specs = replicationRuleSpecs([database], vaultLock([database]));
  for (const [source, rules] of [
    ["dumps", specs.bucket],
    ["vault", specs.vault],
  ] as const)
    for (const r of rules)
      world.replicationRules.push({
        ruleId: r.id,
        roleArn: "role",
        sourceBucket: source,
        sourceRegion: "eu-west-2",
        prefix: r.prefix,
        destinationBucket: DR[source],
        destinationRegion: "eu-west-1",
        replicaKmsKeyId: "dr-key",
      });
  const dumps: StoredDump[] = [];
  for (const tier of ["daily", "yearly"] as const)
    for (const days of h[tier]) {
      const at = now.getTime() - days * DAY - 3_600_000;
      const key = `${tier}/pg/${new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.dump.gz`;
      const keep = h.keep[dumps.length] ? [{ Key: "keep", Value: "true" }] : [];
      world.putObject(BUCKETS[tier], key, Buffer.from(key), {}, [
        { Key: "tier", Value: tier },
        { Key: "database", Value: "pg" },
        ...keep,
      ]);
      dumps.push({ bucket: BUCKETS[tier], key, tier, at });
    }
  const s3 = {
    send: (cmd: { constructor: { name: string }; input: Record<string, unknown> }) =>
      world.answer(
        {
          service: "S3",
          region: "eu-west-2",
          command: cmd.constructor.name.replace(/Command$/, ""),
          input: cmd.input,
        },
        errors,
      ),
  } as never;
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const policy = {
    retentionDays: { daily: 30, yearly: 2557 },
    keepLastFloor: h.keepLastFloor,
    freshnessSeconds: 48 * 3600,
    maxMarksPerRun: h.maxMarksPerRun,
    dryRun: h.dryRun,
  };
  const verification = { ok: h.ok, newestGoodAgeSeconds: h.newestGoodHours * 3600 };
  await markExpired(s3, dumps, verification, policy, now, log);
  const pinned = dumps[h.pinAfterFirstRun % dumps.length]!;
  const o = world.object(pinned.bucket, pinned.key)!;
  await world.answer(
    {
      service: "S3",
      region: "eu-west-2",
      command: "PutObjectTagging",
      input: {
        Bucket: pinned.bucket,
        Key: pinned.key,
        Tagging: { TagSet: [...o.tags, { Key: "keep", Value: "true" }] },
      },
    },
    errors,
  );
  await markExpired(s3, dumps, verification, policy, now, log);

  const source = dumpLifecycleRules([database]);
  const rules = {
    dumps: lifecycleConfigurationRules(source.bucket),
    vault: lifecycleConfigurationRules(source.vault),
    "dumps-dr": lifecycleConfigurationRules(drRules.dumps),
    "vault-dr": lifecycleConfigurationRules(drRules.vault),
  };
  return dumps.map((d) => {
    const dr = DR[d.bucket as keyof typeof DR];
    const replica = world.object(dr, d.key);
    return {
      key: d.key,
      replicated: replica !== undefined,
      sourceGoes: expiresCurrentVersion(
        rules[d.bucket as "dumps" | "vault"],
        d.key,
        world.object(d.bucket, d.key)!.tags,
      ),
      drGoes: replica !== undefined && expiresCurrentVersion(rules[dr], d.key, replica.tags),
    };
  });
}

// As DumpReplication gets them from LogicalBackups: the source's noncurrent days for both DR buckets.
const planned = {
  dumps: drLifecycleRules([database], false, NONCURRENT_DAYS),
  vault: drLifecycleRules([database], true, NONCURRENT_DAYS),
};
const sameDecision = (rules: typeof planned) =>
  fc.asyncProperty(history, async (h) => {
    for (const c of await scenario(h, rules)) {
      if (!c.replicated) return false;
      // Never earlier: a DR copy goes only with its source. Never forever: it goes whenever its source does.
      if (c.drGoes !== c.sourceGoes) return false;
    }
    return true;
  });

describe("DR copies expire on the source's decision", () => {
  it("never deletes a DR copy of a dump the source keeps, and deletes every DR copy of a dump the source lets go", async () => {
    await fc.assert(sameDecision(planned), { numRuns: 150, seed: 23 });
  });

  it("gives each DR rule exactly its source rule's expiration and noncurrent-version days (the oracle sees filters only)", () => {
    const source = dumpLifecycleRules([database]);
    const days = (r: LifecycleRule | undefined) => [
      r?.id,
      r?.expirationDays,
      r?.noncurrentVersionExpirationDays,
    ];
    for (const [dr, src] of [
      [planned.dumps, source.bucket],
      [planned.vault, source.vault],
    ] as const) {
      expect(dr.map((r) => r.id)).toEqual(["pg-daily", "pg-yearly"]);
      for (const r of dr) expect(days(r)).toEqual(days(src.find((x) => x.id === r.id)));
    }
    // The values themselves: current versions the day after marking; noncurrent after 7 days, 1 in the vault.
    expect([...planned.dumps, ...planned.vault].map(days)).toEqual([
      ["pg-daily", 1, 7],
      ["pg-yearly", 1, 7],
      ["pg-daily", 1, 1],
      ["pg-yearly", 1, 1],
    ]);
  });

  it("marks some dumps in the histories it draws, so the property is not vacuous", async () => {
    const samples = fc.sample(history, { numRuns: 60, seed: 23 });
    let going = 0;
    for (const h of samples) going += (await scenario(h, planned)).filter((c) => c.sourceGoes).length;
    expect(going).toBeGreaterThan(20);
  });

  it("catches a DR lifecycle that expires by age alone (the oracle can fail)", async () => {
    const byAge = {
      ...planned,
      dumps: [...planned.dumps, { id: "age", prefix: "daily/", expirationDays: 31 }],
    };
    const result = await fc.check(sameDecision(byAge), { numRuns: 150, seed: 23 });
    expect(result.failed).toBe(true);
  });
});
