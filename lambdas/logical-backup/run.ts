// One dump run: fetch the password from Secrets Manager, dump the slot's object, report metrics; never logs the secret.
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../shared/log";
import { isAuthFailure, withCurrentCredentials } from "../shared/secret";
import { refuseFutureSlot } from "../shared/slot";
import type { DumpConfig } from "./config";
import { type DumpResult, dumpCommand, dumpKey, dumpToS3 } from "./dump";
import { type Counted, countedDump, putManifest, withSnapshot } from "./manifest";

export interface DumpMetrics {
  put(name: "DumpBytes" | "DumpSeconds" | "BackupFailed", value: number): void;
}

export class DumpFailedError extends Error {
  override name = "DumpFailedError";
}

export async function runDump(
  event: { tier: string; scheduledTime: string },
  config: Omit<DumpConfig, "tierBuckets"> & { tierBuckets?: DumpConfig["tierBuckets"] },
  deps: {
    s3: S3Client;
    secrets: Pick<SecretsManagerClient, "send">;
    log: Log;
    metrics: DumpMetrics;
    now: () => Date;
  },
): Promise<DumpResult> {
  // Before anything else: the slot names the object, and a future one would be "the newest dump" until its date.
  refuseFutureSlot(
    event.scheduledTime,
    deps.now(),
    "it would count as the newest dump until then, its age negative, so the backup-age alarm could not fire",
  );
  const key = dumpKey(event.tier, config.database, new Date(event.scheduledTime));
  const bucket = config.tierBuckets?.[event.tier as keyof DumpConfig["tierBuckets"]] ?? config.bucket;
  const tags = { tier: event.tier, database: config.database };
  let counted: Counted<DumpResult> | undefined;
  // The secret is read at every run, and once more if the database refused it: a rotation that finished between
  // the read and the login leaves the new password in AWSCURRENT. A session already open keeps working.
  const result = await withCurrentCredentials(
    deps.secrets,
    config.passwordSecretArn,
    async (credentials) => {
      const connection = {
        host: config.host,
        port: config.port,
        database: config.databaseName,
        user: credentials.username ?? config.user,
        password: credentials.password,
        ...(config.sslMode ? { sslMode: config.sslMode } : {}),
      };
      // The manifest's row counts are taken in the dump's own data (docs/architecture.md, Restore drills).
      counted = await countedDump(config.database, { engine: config.engine, ...connection }, (snapshot) =>
        dumpToS3(
          withSnapshot(dumpCommand(config.engine, connection), snapshot),
          {
            bucket,
            ...(bucket !== config.bucket ? { stagingBucket: config.bucket } : {}),
            key,
            kmsKeyArn: config.kmsKeyArn,
            tags,
          },
          { s3: deps.s3 },
        ),
      );
      return counted.result;
    },
    (r) => r.status === "failed" && isAuthFailure(r.error),
    () => deps.log.warn("the database refused the password; reading the secret again", { key }),
  );
  if (result.status === "uploaded" && counted) {
    if (counted.contents)
      await putManifest(
        deps.s3,
        { bucket, kmsKeyArn: config.kmsKeyArn, tags },
        { ...counted.contents, dumpKey: key, sha256: result.sha256, bytes: result.bytes },
      ).catch((e: Error) =>
        deps.log.error("dump landed but its manifest was not written; a restore drill of it will fail", {
          database: config.database,
          key,
          error: e.message,
        }),
      );
    else
      deps.log.error("dump landed without a manifest (row counts failed); a restore drill of it will fail", {
        database: config.database,
        key,
        error: counted.countError,
      });
  }
  if (result.status === "failed") {
    deps.metrics.put("BackupFailed", 1);
    deps.log.error("dump failed; the previous good dump stays", {
      database: config.database,
      key,
      error: result.error,
    });
    // Thrown so the run counts as failed (Lambda Errors, failure queue, no heartbeat).
    throw new DumpFailedError(`dump of ${config.database} failed: ${result.error}`);
  }
  deps.metrics.put("BackupFailed", 0);
  if (result.status === "uploaded") {
    deps.metrics.put("DumpBytes", result.bytes);
    deps.metrics.put("DumpSeconds", result.seconds);
  }
  deps.log.info(result.status === "exists" ? "dump for this slot already exists" : "dump uploaded", {
    ...result,
  });
  return result;
}
