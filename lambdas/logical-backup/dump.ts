// Streams a logical dump (pg_dump / mysqldump stdout) through zstd into an S3 multipart upload, never holding the dump
// in memory or /tmp; only a complete, non-empty dump from a tool that exited 0 ever reaches the final key.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { type Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  type CompletedPart,
  DeleteObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { DUMP_FORMAT, EMPTY_PROBE_BYTES, sameSlotKeys, startCompressor, wroteNothing } from "./dump-format";

export interface DumpCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Passwords go here (PGPASSWORD / MYSQL_PWD), never in args, never logged. */
  readonly env: Readonly<Record<string, string>>;
}

export interface DumpTarget {
  /** Where the dump lands. */
  readonly bucket: string;
  /** Where it streams to first (`.incoming/<key>`); @default bucket. The vault takes copies only, never uploads. */
  readonly stagingBucket?: string;
  /** `<tier>/<database>/<UTC slot timestamp>.dump.zst` (dumpKey): the same slot always names the same object. */
  readonly key: string;
  readonly kmsKeyArn: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type DumpResult =
  | {
      readonly status: "uploaded";
      readonly key: string;
      readonly bytes: number;
      readonly sha256: string;
      readonly seconds: number;
    }
  | { readonly status: "exists"; readonly key: string }
  | { readonly status: "failed"; readonly key: string; readonly error: string };

const MiB = 1024 ** 2;

/**
 * S3's multipart limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them, and the 5 TiB
 * object this job must be able to write (S3 now documents 48.8 TiB, which only 10,000 parts of 5 GiB reach).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 */
export const S3_MULTIPART = {
  minPartBytes: 5 * MiB,
  maxPartBytes: 5 * 1024 ** 3,
  maxParts: 10_000,
  maxObjectBytes: 5 * 1024 ** 4,
} as const;

/** The first staging part: small dumps (most of them) keep the 8 MiB parts and the little memory they always had. */
export const FIRST_STAGING_PART_BYTES = 8 * MiB;
/**
 * The largest staging part. The uploader holds two parts (one uploading, one filling; about 2.5 measured, with the
 * garbage collector's lag), so a dump needs at most about 1.6 GiB of buffers: within the Fargate default of 2048 MB
 * (infra/config/backups.ts) with room for Node, zstd and the tool. It is reached only past about 0.9 TiB, far
 * beyond what a Lambda (1024 MB by default, 512 at least) can write in its 15 minutes: at 40 GiB the parts are
 * about 130 MiB.
 */
export const MAX_STAGING_PART_BYTES = 640 * MiB;
/** Parts grow linearly from the first size to the largest over this many parts, then stay at the largest. */
const STAGING_RAMP_PARTS = 3000;

/**
 * Size of staging part `partNumber` (1-based), whole MiB: 8 MiB growing to 640 MiB at part 3,000, so that 10,000
 * parts hold more than 5 TiB (a fixed 8 MiB part stopped at 78 GiB; a fixed ceil(5 TiB / 10,000) = 525 MiB part
 * would hold a medium dump whole in memory). Throws past S3's 10,000 parts.
 */
export function stagingPartBytes(partNumber: number, maxPartBytes = MAX_STAGING_PART_BYTES): number {
  if (partNumber > S3_MULTIPART.maxParts)
    throw new Error(`part ${partNumber}: S3 allows at most 10,000 parts in a multipart upload`);
  const steps = Math.min(partNumber, STAGING_RAMP_PARTS) - 1;
  const growth = (MAX_STAGING_PART_BYTES - FIRST_STAGING_PART_BYTES) / MiB;
  const ramped = FIRST_STAGING_PART_BYTES + Math.ceil((steps * growth) / (STAGING_RAMP_PARTS - 1)) * MiB;
  return Math.min(ramped, Math.max(FIRST_STAGING_PART_BYTES, maxPartBytes));
}

/**
 * The largest part this process can hold: a fifth of its memory (the uploader holds about 2.5 parts, and Node, zstd
 * and the tool need the rest), whole MiB, never above MAX_STAGING_PART_BYTES. A 512 MB Fargate task then stops at
 * 102 MiB parts (over 700 GiB in 10,000 parts) instead of being OOM-killed by 640 MiB ones.
 */
export function maxPartBytesFor(memoryBytes: number): number {
  return Math.min(
    MAX_STAGING_PART_BYTES,
    Math.max(FIRST_STAGING_PART_BYTES, Math.floor(memoryBytes / 5 / MiB) * MiB),
  );
}

/** The memory this process may use: Lambda's configured size, else the container's cgroup limit, else the host's. */
export function memoryLimitBytes(env: NodeJS.ProcessEnv = process.env, read = readCgroupLimit): number {
  const lambda = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (Number.isFinite(lambda) && lambda > 0) return lambda * MiB;
  return read() ?? totalmem();
}

/** cgroup v2 `memory.max` or v1 `memory.limit_in_bytes` (Fargate sets the task's memory there); null when unlimited. */
function readCgroupLimit(): number | null {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const n = Number(readFileSync(file, "utf8").trim());
      if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    } catch {
      // not this cgroup version
    }
  }
  return null;
}

const UNSIGNED_WHEN_CHECKSUMMED = {
  name: "unsignedPayloadWhenChecksummed",
  relation: "before",
  toMiddleware: "httpSigningMiddleware",
} as const;

/**
 * A part whose request carries a CRC32 (or other) checksum header, which S3 verifies before it stores the part, goes
 * UNSIGNED-PAYLOAD: SigV4's payload hash would be one more full SHA-256 pass over every byte (about a fifth of the
 * job's own CPU, measured), and the signature still covers the checksum header. S3 accepts an unsigned payload
 * over HTTPS (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html); a part without a checksum
 * header (a client configured `requestChecksumCalculation: WHEN_REQUIRED`) keeps the signed payload.
 */
type Middleware = Parameters<UploadPartCommand["middlewareStack"]["addRelativeTo"]>[0];
export const unsignedWhenChecksummed = ((next: (args: unknown) => Promise<unknown>) =>
  async (args: unknown) => {
    const request = (args as { request?: { headers?: Record<string, string> } }).request ?? {};
    if (
      request.headers &&
      Object.keys(request.headers).some((h) => /^x-amz-checksum-(?!type|algorithm)/i.test(h))
    )
      request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    return next(args);
  }) as unknown as Middleware;

/**
 * A Writable that streams into S3 in parts of `partBytes(n)`, copying incoming chunks into one buffer per part (no
 * re-concatenation): at most one part uploads while the next fills, so memory is two parts. A body smaller than its
 * first part goes up in one PutObject. A failed part fails the stream at the next write (and `abort()` removes the
 * upload), so the pipeline feeding it ends instead of waiting.
 */
export class MultipartSink extends Writable {
  private buffer: Buffer | undefined;
  private aborted = false;
  /** The CreateMultipartUpload in flight, if any: abort() waits for it, so an upload it starts is aborted too. */
  private creating: Promise<unknown> = Promise.resolve();
  /** The buffer of the last part S3 accepted, filled again by a later part of its size or less (less garbage). */
  private spare: Buffer | undefined;
  private filled = 0;
  private partNumber = 1;
  private uploadId: string | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly s3: Pick<S3Client, "send">,
    private readonly params: {
      Bucket: string;
      Key: string;
      ServerSideEncryption: "aws:kms";
      SSEKMSKeyId: string;
    },
    private readonly partBytes: (partNumber: number) => number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (e?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (e?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  /**
   * Aborts the multipart upload, if one was started (or is being started), once the part in flight has settled; no
   * part goes up after it.
   */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.creating.catch(() => undefined);
    await this.inFlight;
    if (this.uploadId)
      await this.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: this.params.Bucket,
          Key: this.params.Key,
          UploadId: this.uploadId,
        }),
      );
  }

  private async take(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.failure) throw this.failure;
      this.buffer ??= this.partBuffer(this.partBytes(this.partNumber));
      const copied = chunk.copy(this.buffer, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.buffer.length) await this.flush();
    }
  }

  private partBuffer(size: number): Buffer {
    const spare = this.spare;
    this.spare = undefined;
    return spare && spare.length >= size ? spare.subarray(0, size) : Buffer.allocUnsafe(size);
  }

  private async flush(): Promise<void> {
    const body = this.buffer!.subarray(0, this.filled);
    const partNumber = this.partNumber++;
    this.buffer = undefined;
    this.filled = 0;
    // One part in flight at a time: wait for it before this one goes (so two parts are in memory at most).
    await this.inFlight;
    if (this.failure) throw this.failure;
    const aborted = () => new Error(`multipart upload of ${this.params.Key}: aborted`);
    if (this.aborted) throw aborted();
    if (this.uploadId === undefined) {
      const creating = this.s3.send(new CreateMultipartUploadCommand(this.params));
      this.creating = creating;
      const { UploadId } = await creating;
      if (!UploadId) throw new Error(`multipart upload of ${this.params.Key}: S3 returned no upload id`);
      this.uploadId = UploadId;
      // abort() was called while S3 created the upload: it aborts this one once it sees the id; send nothing.
      if (this.aborted) throw aborted();
    }
    this.inFlight = this.uploadPart(partNumber, body).catch((e: Error) => {
      this.failure ??= e;
    });
  }

  private async uploadPart(partNumber: number, body: Buffer): Promise<void> {
    const command = new UploadPartCommand({
      Bucket: this.params.Bucket,
      Key: this.params.Key,
      UploadId: this.uploadId,
      PartNumber: partNumber,
      Body: body,
    });
    command.middlewareStack.addRelativeTo(unsignedWhenChecksummed, UNSIGNED_WHEN_CHECKSUMMED);
    const out = await this.s3.send(command);
    if (!out.ETag) throw new Error(`multipart upload of ${this.params.Key}: part ${partNumber} has no ETag`);
    // The request is over, so nothing reads this part's bytes any more.
    this.spare = Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset);
    this.parts.push({
      PartNumber: partNumber,
      ETag: out.ETag,
      ...(out.ChecksumCRC32 ? { ChecksumCRC32: out.ChecksumCRC32 } : {}),
      ...(out.ChecksumCRC32C ? { ChecksumCRC32C: out.ChecksumCRC32C } : {}),
      ...(out.ChecksumSHA1 ? { ChecksumSHA1: out.ChecksumSHA1 } : {}),
      ...(out.ChecksumSHA256 ? { ChecksumSHA256: out.ChecksumSHA256 } : {}),
    });
  }

  private async finish(): Promise<void> {
    if (this.uploadId === undefined && this.partNumber === 1) {
      await this.s3.send(
        new PutObjectCommand({
          ...this.params,
          Body: (this.buffer ?? Buffer.alloc(0)).subarray(0, this.filled),
        }),
      );
      return;
    }
    if (this.filled > 0) await this.flush();
    await this.inFlight;
    if (this.failure) throw this.failure;
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.params.Bucket,
        Key: this.params.Key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!) },
      }),
    );
  }
}

/** Object key of a dump for a schedule slot, in the current format (DUMP_FORMAT). */
export function dumpKey(tier: string, database: string, slot: Date): string {
  return `${tier}/${database}/${slot.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z${DUMP_FORMAT.suffix}`;
}

/**
 * pg_dump in custom format or mysqldump in one transaction; the password travels in the environment. pg_dump writes
 * uncompressed (`--compress=0`, which clients 15 and 17 both read) because zstd compresses the stream once
 * (dumpToS3): its default zlib was most of a dump's time, and a second gzip over it gained nothing.
 */
export function dumpCommand(
  engine: "postgres" | "mysql",
  c: { host: string; port: number; database: string; user: string; password: string; sslMode?: string },
): DumpCommand {
  if (engine === "postgres") {
    return {
      command: "pg_dump",
      args: [
        "--format=custom",
        "--compress=0",
        "--no-password",
        `--host=${c.host}`,
        `--port=${c.port}`,
        `--username=${c.user}`,
        c.database,
      ],
      env: { PGPASSWORD: c.password, ...(c.sslMode ? { PGSSLMODE: c.sslMode } : {}) },
    };
  }
  return {
    command: "mysqldump",
    args: [
      "--single-transaction",
      // Tablespace metadata needs the PROCESS privilege on MySQL 8.0.21+ and a logical restore does not use it.
      "--no-tablespaces",
      "--routines",
      "--triggers",
      `--host=${c.host}`,
      `--port=${c.port}`,
      `--user=${c.user}`,
      c.database,
    ],
    env: { MYSQL_PWD: c.password },
  };
}

async function exists(s3: Pick<S3Client, "send">, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if (
      e instanceof NotFound ||
      (e as { name?: string }).name === "NotFound" ||
      (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
    )
      return false;
    throw e;
  }
}

/** The tool writing straight into zstd; Node reads only zstd's output. */
interface DumpProcesses {
  /** The compressed stream. */
  readonly output: Readable;
  /** Once both have exited: why the dump is not good (zstd's failure first, the cause of a tool's broken pipe), or null. */
  readonly failure: Promise<string | null>;
  kill(): void;
}

/**
 * Starts zstd, then the tool with zstd's stdin as its stdout: the uncompressed dump goes from one process to the other
 * through the kernel and never crosses this process's event loop, which only reads the compressed bytes (a third of
 * them or less). A tool that cannot start still lets zstd see the end of its input, so nothing waits.
 */
async function startDump(dump: DumpCommand): Promise<DumpProcesses> {
  const zstd = await startCompressor();
  const child = spawn(dump.command, [...dump.args], {
    env: { PATH: process.env.PATH ?? "", ...dump.env },
    stdio: ["ignore", zstd.input, "pipe"],
  });
  zstd.handedOver();
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const exited = new Promise<number>((resolve) => {
    child.once("error", (e) => {
      stderr += e.message;
      resolve(-1);
    });
    child.once("close", (code) => resolve(code ?? -1));
  });
  const failure = (async () => {
    const zstdError = await zstd.done.then(
      () => null,
      (e: Error) => e.message,
    );
    const code = await exited;
    if (zstdError) return zstdError;
    return code === 0 ? null : `${dump.command} exited ${code}: ${stderr.trim().slice(0, 500)}`;
  })();
  return {
    output: zstd.output,
    failure,
    kill: () => {
      child.kill("SIGTERM");
      zstd.kill();
    },
  };
}

/**
 * Uploads to `.incoming/<key>` while hashing and counting the zstd bytes, then (only if the tool and zstd exited 0 and
 * the tool wrote something) copies to the final key with the checksum, size and duration as metadata and the tier
 * tag; the temporary object is always removed. A multipart upload's metadata is fixed when it starts, hence the copy.
 */
export async function dumpToS3(
  dump: DumpCommand,
  target: DumpTarget,
  deps: {
    s3: S3Client;
    now?: () => number;
    /** A fixed staging part size instead of the growing ones (tests). */
    partSizeBytes?: number;
    maxSingleCopyBytes?: number;
  },
): Promise<DumpResult> {
  const now = deps.now ?? Date.now;
  // The slot's dump may also be one of the earlier format (a retry across the switch to zstd).
  for (const key of sameSlotKeys(target.key))
    if (await exists(deps.s3, target.bucket, key)) return { status: "exists", key };
  const started = now();
  const incoming = `.incoming/${target.key}`;
  const staging = target.stagingBucket ?? target.bucket;
  const hash = createHash("sha256");
  let bytes = 0;
  // The first bytes, kept only while the whole output is tiny: enough to tell an empty dump (wroteNothing).
  let head: Buffer[] = [];
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes <= EMPTY_PROBE_BYTES) head.push(chunk);
      else head = [];
      cb(null, chunk);
    },
  });
  const fixed = deps.partSizeBytes;
  const maxPart = maxPartBytesFor(memoryLimitBytes());
  const upload = new MultipartSink(
    deps.s3,
    { Bucket: staging, Key: incoming, ServerSideEncryption: "aws:kms", SSEKMSKeyId: target.kmsKeyArn },
    fixed ? () => fixed : (n) => stagingPartBytes(n, maxPart),
  );
  let processes: DumpProcesses | undefined;
  try {
    processes = await startDump(dump);
    // A part that fails fails the sink at its next write, which ends the whole pipeline (no waiting forever).
    await pipeline(processes.output, counter, upload);
    const failure = await processes.failure;
    if (failure) return await fail(deps.s3, target, incoming, failure);
    if (bytes <= EMPTY_PROBE_BYTES && wroteNothing(Buffer.concat(head)))
      return await fail(deps.s3, target, incoming, `${dump.command} wrote nothing`);
    const sha256 = hash.digest("hex");
    const seconds = Math.round((now() - started) / 10) / 100;
    const landed = await copyToFinal(
      deps.s3,
      {
        bucket: target.bucket,
        key: target.key,
        copySource: `${staging}/${encodeURIComponent(incoming).replace(/%2F/g, "/")}`,
        bytes,
        metadata: { sha256, bytes: String(bytes), "dump-seconds": String(seconds) },
        tagging: new URLSearchParams(target.tags as Record<string, string>).toString(),
        kmsKeyArn: target.kmsKeyArn,
      },
      deps.maxSingleCopyBytes,
    );
    // The dump has landed: a staging object left behind is removed by lifecycle after a day, not a failed backup.
    await deps.s3.send(new DeleteObjectCommand({ Bucket: staging, Key: incoming })).catch(() => undefined);
    // Another run of the same slot landed first (a manual run racing the schedule): its object stays, ours goes.
    if (landed === "exists") return { status: "exists", key: target.key };
    return { status: "uploaded", key: target.key, bytes, sha256, seconds };
  } catch (e) {
    processes?.kill();
    await upload.abort().catch(() => undefined);
    return await fail(deps.s3, target, incoming, (e as Error).message);
  }
}

async function fail(
  s3: Pick<S3Client, "send">,
  target: DumpTarget,
  incoming: string,
  error: string,
): Promise<DumpResult> {
  await s3
    .send(new DeleteObjectCommand({ Bucket: target.stagingBucket ?? target.bucket, Key: incoming }))
    .catch(() => undefined);
  return { status: "failed", key: target.key, error };
}

/** CopyObject copies at most 5 GB in one request. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/**
 * Part size of a multipart copy: ceil(5 TiB / 10,000) rounded up to a MiB, 525 MiB, the smallest whole-MiB range
 * with which 10,000 parts reach S3's 5 TiB object (512 MiB reached only 4.88 TiB). The copy runs inside S3, so its
 * size costs the job no memory.
 */
export const COPY_PART_BYTES = Math.ceil(S3_MULTIPART.maxObjectBytes / S3_MULTIPART.maxParts / MiB) * MiB;

/**
 * A copy part for an object of `bytes`: at least `minPartBytes`, and large enough that 10,000 parts cover the whole
 * object (staging can hold a little more than 5 TiB), whole MiB, at most S3's 5 GiB part.
 */
export function copyPartBytes(bytes: number, minPartBytes = COPY_PART_BYTES): number {
  if (bytes <= minPartBytes * S3_MULTIPART.maxParts) return minPartBytes;
  return Math.min(S3_MULTIPART.maxPartBytes, Math.ceil(bytes / S3_MULTIPART.maxParts / MiB) * MiB);
}

export interface FinalCopy {
  readonly bucket: string;
  readonly key: string;
  /** `<bucket>/<url-encoded key>` of the staging object. */
  readonly copySource: string;
  readonly bytes: number;
  readonly metadata: Record<string, string>;
  readonly tagging: string;
  readonly kmsKeyArn: string;
}

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * The conditional write lost to another writer of the same key: 412 once that object exists, 409
 * (ConditionalRequestConflict) while it is still being written; then the slot's object is the other run's, if it
 * landed. Anything else is a real failure.
 */
async function lostToAnotherRun(s3: Pick<S3Client, "send">, c: FinalCopy, e: unknown): Promise<boolean> {
  if ((e as { name?: string }).name === "PreconditionFailed" || statusOf(e) === 412) return true;
  if ((e as { name?: string }).name === "ConditionalRequestConflict" || statusOf(e) === 409)
    return exists(s3, c.bucket, c.key);
  return false;
}

/**
 * Copies the staging object to its final key with the dump's metadata and tags: one CopyObject up to 5 GB, a
 * multipart copy (UploadPartCopy by byte range) beyond, aborted on any error so no partial object is ever left.
 * Both write only if the key does not exist yet (`If-None-Match: *`), so two runs of one slot never write two
 * versions: the loser gets "exists".
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
export async function copyToFinal(
  s3: Pick<S3Client, "send">,
  c: FinalCopy,
  maxSingleCopyBytes = MAX_SINGLE_COPY_BYTES,
  minPartBytes = COPY_PART_BYTES,
): Promise<"landed" | "exists"> {
  const partBytes = copyPartBytes(c.bytes, minPartBytes);
  const common = {
    Bucket: c.bucket,
    Key: c.key,
    Metadata: c.metadata,
    Tagging: c.tagging,
    ServerSideEncryption: "aws:kms" as const,
    SSEKMSKeyId: c.kmsKeyArn,
    ContentType: DUMP_FORMAT.contentType,
  };
  if (c.bytes <= maxSingleCopyBytes) {
    try {
      await s3.send(
        new CopyObjectCommand({
          ...common,
          CopySource: c.copySource,
          MetadataDirective: "REPLACE",
          TaggingDirective: "REPLACE",
          IfNoneMatch: "*",
        }),
      );
    } catch (e) {
      if (await lostToAnotherRun(s3, c, e)) return "exists";
      throw e;
    }
    return "landed";
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand(common));
  if (!UploadId) throw new Error(`multipart copy of ${c.key}: S3 returned no upload id`);
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, n = 1; start < c.bytes; start += partBytes, n++) {
      const end = Math.min(start + partBytes, c.bytes) - 1;
      const out = await s3.send(
        new UploadPartCopyCommand({
          Bucket: c.bucket,
          Key: c.key,
          UploadId,
          PartNumber: n,
          CopySource: c.copySource,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      const etag = out.CopyPartResult?.ETag;
      if (!etag) throw new Error(`multipart copy of ${c.key}: part ${n} has no ETag`);
      parts.push({ ETag: etag, PartNumber: n });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: c.bucket,
        Key: c.key,
        UploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: "*",
      }),
    );
    return "landed";
  } catch (e) {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: c.key, UploadId }))
      .catch(() => undefined);
    if (await lostToAnotherRun(s3, c, e)) return "exists";
    throw e;
  }
}
