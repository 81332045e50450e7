// Brings a stored dump to a local, seekable file (pg_restore -j needs one), hashing the stored bytes on the way; the
// decoding is chosen by the object's key suffix, so a new compression is one more entry in DUMP_FORMATS.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decompressor, DUMP_FORMATS as STORED_FORMATS } from "./dump-format";

/** How a stored dump's bytes become the tool's input, by key suffix: every format dump-format.ts knows (zstd, gzip). */
export const DUMP_FORMATS: readonly {
  readonly suffix: string;
  decoder(): ReturnType<typeof decompressor>;
}[] = STORED_FORMATS.map((f) => ({ suffix: f.suffix, decoder: () => decompressor(f) }));

export interface FetchedDump {
  readonly path: string;
  /** SHA-256 of the stored (compressed) bytes, as the dump job recorded it. */
  readonly sha256: string;
  /** Stored bytes read. */
  readonly bytes: number;
  readonly metadata: Record<string, string>;
}

export class UnknownDumpFormatError extends Error {
  override name = "UnknownDumpFormatError";
}

export function formatOf(key: string) {
  const format = DUMP_FORMATS.find((f) => key.endsWith(f.suffix));
  if (!format)
    throw new UnknownDumpFormatError(
      `${key}: no decoder for this suffix (known: ${DUMP_FORMATS.map((f) => f.suffix).join(", ")})`,
    );
  return format;
}

export class ChecksumMismatchError extends Error {
  override name = "ChecksumMismatchError";
}

/**
 * Downloads `key` to `<path>.stored` while hashing it, refuses it when the hash is not `expectedSha256` (before any
 * byte is decoded or restored), then decodes it for the restore tool into `path` and removes the stored copy.
 */
export async function fetchDumpToFile(
  s3: Pick<S3Client, "send">,
  object: { readonly bucket: string; readonly key: string },
  path: string,
  expectedSha256: string,
): Promise<FetchedDump> {
  const format = formatOf(object.key);
  const obj = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  if (!obj.Body) throw new Error(`${object.key}: S3 returned no body`);
  const hash = createHash("sha256");
  let bytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const stored = `${path}.stored`;
  await pipeline(obj.Body as NodeJS.ReadableStream, hasher, createWriteStream(stored));
  const sha256 = hash.digest("hex");
  if (sha256 !== expectedSha256) {
    await rm(stored, { force: true });
    throw new ChecksumMismatchError(
      `${object.key}: SHA-256 of the stored bytes is ${sha256}, the dump job recorded ${expectedSha256}`,
    );
  }
  const decoder = format.decoder();
  // `done` rejects on corrupt or truncated data even when every byte produced was written.
  await Promise.all([
    pipeline(createReadStream(stored), decoder.stream, createWriteStream(path)),
    decoder.done,
  ]);
  await rm(stored, { force: true });
  return { path, sha256, bytes, metadata: obj.Metadata ?? {} };
}
