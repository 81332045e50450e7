// The dump streamer against a real S3 protocol server (s3rver): complete dumps land with checksum and metadata;
// failed, empty or repeated slots never write the final object.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import {
  type DumpCommand,
  dumpCommand,
  dumpKey,
  dumpToS3,
  MultipartSink,
  unsignedWhenChecksummed,
} from "../../../lambdas/logical-backup/dump";
import { EMPTY_PROBE_BYTES, wroteNothing } from "../../../lambdas/logical-backup/dump-format";

let server: S3rver;
let s3: S3Client;
const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
/** The headers of each request as it goes on the wire (signed). */
const wire: Array<{ name: string; headers: Record<string, string> }> = [];
const BUCKET = "backups-test";
const target = (key: string) => ({
  bucket: BUCKET,
  key,
  kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/b",
  tags: { tier: "daily", database: "app" },
});
/** Decompresses with the zstd CLI, independently of the code under test. */
const unzstd = (data: Uint8Array) =>
  execFileSync("zstd", ["-d", "-q", "-c"], { input: data, maxBuffer: 1 << 28 });
const node = (script: string): DumpCommand => ({ command: process.execPath, args: ["-e", script], env: {} });

beforeAll(async () => {
  server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: mkdtempSync(join(tmpdir(), "s3rver-")),
  });
  const { port } = (await server.run()) as unknown as { port: number };
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "eu-west-2",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  // s3rver ignores SSE-KMS and tagging headers: record what the SDK sends so the test can assert them.
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: "initialize" },
  );
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const headers = (args.request as { headers: Record<string, string> }).headers;
      wire.push({ name: String(context.commandName), headers: { ...headers } });
      return next(args);
    },
    { step: "deserialize" },
  );
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  await server.close();
});

const keys = async () =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key).sort();

describe("dump to S3", () => {
  it("names objects <tier>/<database>/<UTC slot>.dump.zst", () => {
    expect(dumpKey("daily", "app", new Date("2027-03-09T20:30:00Z"))).toBe(
      "daily/app/20270309T203000Z.dump.zst",
    );
  });

  it("streams a multi-part dump through zstd (once), with checksum, size and duration, SSE-KMS and the tier tag", async () => {
    const size = 12 * 1024 * 1024; // over one 5 MiB part
    const key = "daily/app/20270309T203000Z.dump.zst";
    const result = await dumpToS3(
      // Random bytes do not compress, so the zstd stream really spans several multipart parts.
      node(
        `const c = require("crypto"); for (let i = 0; i < ${size / (1024 * 1024)}; i++) process.stdout.write(c.randomBytes(1024 * 1024));`,
      ),
      target(key),
      { s3, partSizeBytes: 5 * 1024 * 1024 },
    );
    expect(result.status).toBe("uploaded");
    const obj = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const zst = Buffer.from(await obj.Body!.transformToByteArray());
    expect(unzstd(zst).length).toBe(size);
    const sha = createHash("sha256").update(zst).digest("hex");
    expect(result).toMatchObject({ bytes: zst.length, sha256: sha });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata).toMatchObject({ sha256: sha, bytes: String(zst.length) });
    const copy = sent.find((s) => s.name === "CopyObjectCommand")!.input;
    expect(copy).toMatchObject({
      Key: key,
      Tagging: "tier=daily&database=app",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "arn:aws:kms:eu-west-2:123456789012:key/b",
    });
    expect(sent.filter((x) => x.name === "UploadPartCommand").length).toBeGreaterThanOrEqual(2);
    expect(sent.find((x) => x.name === "CreateMultipartUploadCommand")!.input).toMatchObject({
      ServerSideEncryption: "aws:kms",
    });
    expect(await keys()).toEqual([key]); // the .incoming copy is gone
    // Parts go UNSIGNED-PAYLOAD beside the CRC32 that S3 checks (no second SHA-256 pass over the bytes); the
    // requests without a body keep their signed (empty) payload hash. The sha256 above proves the reused part
    // buffers (the third part fills the first's) carried each part's own bytes.
    const parts = wire.filter((w) => w.name === "UploadPartCommand");
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) {
      expect(p.headers["x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD");
      expect(p.headers["x-amz-checksum-crc32"]).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    }
    const create = wire.find((w) => w.name === "CreateMultipartUploadCommand")!;
    expect(create.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps a part's payload signed when it carries no checksum S3 would verify", async () => {
    const request = { headers: { "x-amz-content-sha256": "abc", "x-amz-checksum-algorithm": "CRC32" } };
    const next = jest.fn(async (a: unknown) => ({ output: a, response: {} }));
    await (unsignedWhenChecksummed as unknown as (n: typeof next) => (a: unknown) => Promise<unknown>)(next)({
      request,
      input: {},
    });
    expect(request.headers["x-amz-content-sha256"]).toBe("abc");
    expect(next).toHaveBeenCalledTimes(1);
  });

  it("does not write a second object for a retried slot", async () => {
    const key = "daily/app/20270310T203000Z.dump.zst";
    expect((await dumpToS3(node("process.stdout.write('first')"), target(key), { s3 })).status).toBe(
      "uploaded",
    );
    expect(await dumpToS3(node("process.stdout.write('second')"), target(key), { s3 })).toEqual({
      status: "exists",
      key,
    });
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    ).Body!.transformToByteArray();
    expect(unzstd(Buffer.from(body)).toString()).toBe("first");
  });

  it("does not write a zstd dump for a slot whose gzip dump (the earlier format) exists", async () => {
    const legacy = "daily/app/20270315T203000Z.dump.gz";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: legacy, Body: "old" }));
    const key = "daily/app/20270315T203000Z.dump.zst";
    expect(await dumpToS3(node("process.stdout.write('new')"), target(key), { s3 })).toEqual({
      status: "exists",
      key: legacy,
    });
    expect((await keys()).filter((k) => k?.includes("20270315"))).toEqual([legacy]);
  });

  it.each([
    [
      "a tool that exits non-zero (wrong password)",
      node(
        "process.stdout.write('partial'); process.stderr.write('FATAL: password authentication failed'); process.exit(1)",
      ),
      /exited 1: FATAL: password authentication failed/,
    ],
    ["a tool that writes nothing", node(""), /wrote nothing/],
    ["a tool that does not exist", { command: "/nonexistent/pg_dump", args: [], env: {} }, /exited -1/],
  ])("never lands %s", async (_label, cmd, error) => {
    const key = "daily/app/20270311T203000Z.dump.zst";
    const result = await dumpToS3(cmd, target(key), { s3 });
    expect(result.status).toBe("failed");
    expect((result as { error: string }).error).toMatch(error);
    expect((await keys()).filter((k) => k?.includes("20270311"))).toEqual([]);
  });

  it("never lands a dump when zstd is missing, and says so", async () => {
    const key = "daily/app/20270314T203000Z.dump.zst";
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const result = await dumpToS3(
        { command: process.execPath, args: ["-e", "process.stdout.write('x'.repeat(100000))"], env: {} },
        target(key),
        { s3 },
      );
      expect(result).toEqual({ status: "failed", key, error: "zstd: spawn zstd ENOENT" });
    } finally {
      process.env.PATH = path;
    }
    expect((await keys()).filter((k) => k?.includes("20270314"))).toEqual([]);
  });

  it("never lands a tool that fails mid-stream after many parts went straight into zstd", async () => {
    const key = "daily/app/20270316T203000Z.dump.zst";
    // 20 MiB of incompressible bytes (several 5 MiB parts uploaded to staging), then pg_dump's exit on a lost server.
    const tool = node(
      "const c=require('node:crypto');let n=0;(function w(){while(n<20){n++;if(!process.stdout.write(c.randomBytes(1<<20)))return process.stdout.once('drain',w)}process.stderr.write('pg_dump: error: Dumping the contents of table \"t\" failed: server closed the connection unexpectedly');process.exitCode=1})()",
    );
    const before = sent.length;
    const result = await dumpToS3(tool, target(key), { s3, partSizeBytes: 5 * 1024 * 1024 });
    expect(result).toEqual({
      status: "failed",
      key,
      error: expect.stringMatching(/exited 1: pg_dump: error: Dumping the contents of table "t" failed/),
    });
    // zstd compressed what the tool wrote before it failed: the parts went to staging, and all of it is gone.
    expect(sent.slice(before).filter((x) => x.name === "UploadPartCommand").length).toBeGreaterThanOrEqual(3);
    expect(sent.slice(before).some((x) => x.name === "CopyObjectCommand")).toBe(false);
    expect((await keys()).filter((k) => k?.includes("20270316"))).toEqual([]);
  });

  it("never lands a dump whose zstd fails mid-stream, and names zstd (not the tool's broken pipe)", async () => {
    const key = "daily/app/20270317T203000Z.dump.zst";
    // A zstd that compresses nothing: it reads about 1 MiB, then fails as the real one does on a full disk.
    const bin = mkdtempSync(join(tmpdir(), "fake-zstd-"));
    writeFileSync(
      join(bin, "zstd"),
      `#!/bin/sh\nhead -c 1000000 > /dev/null\necho "zstd: error 70 : Write error : cannot write block : No space left on device" >&2\nexit 70\n`,
      { mode: 0o755 },
    );
    const tool = node(
      "const c=require('node:crypto');let n=0;(function w(){while(n<20){n++;if(!process.stdout.write(c.randomBytes(1<<20)))return process.stdout.once('drain',w)}})()",
    );
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const result = await dumpToS3(tool, target(key), { s3 });
      expect(result).toEqual({
        status: "failed",
        key,
        error:
          "zstd -1 -q -c exited 70: zstd: error 70 : Write error : cannot write block : No space left on device",
      });
    } finally {
      process.env.PATH = path;
    }
    expect((await keys()).filter((k) => k?.includes("20270317"))).toEqual([]);
  });

  it("passes the password in the environment, never on the command line", () => {
    const pg = dumpCommand("postgres", {
      host: "db",
      port: 5432,
      database: "app",
      user: "u",
      password: "s3cret",
    });
    expect(pg.args.join(" ")).not.toContain("s3cret");
    expect(pg.env).toEqual({ PGPASSWORD: "s3cret" });
    // Uncompressed custom format: zstd compresses the stream once (compressing in pg_dump too was most of its time).
    expect(pg.args).toEqual([
      "--format=custom",
      "--compress=0",
      "--no-password",
      "--host=db",
      "--port=5432",
      "--username=u",
      "app",
    ]);
    const my = dumpCommand("mysql", {
      host: "db",
      port: 3306,
      database: "app",
      user: "u",
      password: "s3cret",
    });
    expect(my.args).toEqual([
      "--single-transaction",
      "--no-tablespaces",
      "--routines",
      "--triggers",
      "--host=db",
      "--port=3306",
      "--user=u",
      "app",
    ]);
    expect(my.env).toEqual({ MYSQL_PWD: "s3cret" });
  });

  it("lands a locked tier in the vault: streamed to the backups bucket's .incoming/, copied across, staging removed", async () => {
    const VAULT = "vault-test";
    await s3.send(new CreateBucketCommand({ Bucket: VAULT }));
    const key = "yearly/app/20270101T023000Z.dump.zst";
    sent.length = 0;
    const result = await dumpToS3(
      node("process.stdout.write('compliance')"),
      { ...target(key), bucket: VAULT, stagingBucket: BUCKET, tags: { tier: "yearly", database: "app" } },
      { s3 },
    );
    expect(result).toMatchObject({ status: "uploaded", key });
    const vaultKeys = ((await s3.send(new ListObjectsV2Command({ Bucket: VAULT }))).Contents ?? []).map(
      (o) => o.Key,
    );
    expect(vaultKeys).toEqual([key]);
    expect((await keys()).filter((k) => k?.includes("20270101"))).toEqual([]);
    const copy = sent.find((c) => c.name === "CopyObjectCommand")!;
    expect(copy.input).toMatchObject({
      Bucket: VAULT,
      Key: key,
      CopySource: `${BUCKET}/.incoming/${key}`,
      Tagging: "tier=yearly&database=app",
    });
    expect(
      sent
        .filter((c) => c.name === "CreateMultipartUploadCommand" || c.name === "PutObjectCommand")
        .map((c) => c.input.Bucket),
    ).toEqual([BUCKET]);
    // A retry of the slot finds the vault object and writes nothing.
    expect(
      await dumpToS3(
        node("process.stdout.write('again')"),
        { ...target(key), bucket: VAULT, stagingBucket: BUCKET },
        { s3 },
      ),
    ).toEqual({ status: "exists", key });
  });

  it("sets libpq's sslmode only when asked (Supabase requires TLS)", () => {
    const c = { host: "db", port: 5432, database: "app", user: "u", password: "p" };
    expect(dumpCommand("postgres", { ...c, sslMode: "require" }).env).toEqual({
      PGPASSWORD: "p",
      PGSSLMODE: "require",
    });
    expect(dumpCommand("postgres", c).env).toEqual({ PGPASSWORD: "p" });
  });
});

describe("an empty dump, told from zstd's output alone", () => {
  const zstd = (input: string) => execFileSync("zstd", ["-3", "-q", "-c"], { input });
  it("is zstd's frame of no bytes, and nothing else is", () => {
    expect(wroteNothing(zstd(""))).toBe(true);
    expect(wroteNothing(Buffer.alloc(0))).toBe(true);
    expect(wroteNothing(zstd("\n"))).toBe(false);
    expect(wroteNothing(zstd("PGDMP"))).toBe(false);
    // Bytes that are not a zstd frame (zstd exited 0, so they never occur) count as written, never as empty.
    expect(wroteNothing(Buffer.from("not zstd"))).toBe(false);
    // Past the probe's bound an output always holds data; it is not decoded.
    expect(wroteNothing(Buffer.alloc(EMPTY_PROBE_BYTES + 1))).toBe(false);
  });
});

describe("copy to the final key", () => {
  const { mockClient } = require("aws-sdk-client-mock") as typeof import("aws-sdk-client-mock");
  const {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CopyObjectCommand,
    CreateMultipartUploadCommand,
    UploadPartCopyCommand,
  } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const { copyToFinal } =
    require("../../../lambdas/logical-backup/dump") as typeof import("../../../lambdas/logical-backup/dump");
  const copy = {
    bucket: "vault",
    key: "yearly/app/20270101T023000Z.dump.zst",
    copySource: "dumps/.incoming/yearly/app/20270101T023000Z.dump.zst",
    bytes: 25,
    metadata: { sha256: "ab", bytes: "25", "dump-seconds": "1" },
    tagging: "tier=yearly",
    kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/b",
  };

  it("uses one CopyObject up to the single-copy limit", async () => {
    const client = new S3Client({ region: "eu-west-2" });
    const mock = mockClient(client);
    mock.on(CopyObjectCommand).resolves({});
    expect(await copyToFinal(client, copy, 25, 10)).toBe("landed");
    expect(mock.commandCalls(CopyObjectCommand)).toHaveLength(1);
    expect(mock.commandCalls(CopyObjectCommand)[0]!.args[0].input).toMatchObject({ IfNoneMatch: "*" });
    expect(mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it("copies larger dumps by byte ranges with the metadata and tags set once, at the start", async () => {
    const client = new S3Client({ region: "eu-west-2" });
    const mock = mockClient(client);
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "u1" });
    mock.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({
      CopyPartResult: { ETag: `"e${input.PartNumber}"` },
    }));
    mock.on(CompleteMultipartUploadCommand).resolves({});
    expect(await copyToFinal(client, copy, 24, 10)).toBe("landed");
    expect(mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: "vault",
      Key: copy.key,
      Metadata: copy.metadata,
      Tagging: "tier=yearly",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: copy.kmsKeyArn,
      ContentType: "application/zstd",
    });
    expect(
      mock
        .commandCalls(UploadPartCopyCommand)
        .map((c) => [c.args[0].input.PartNumber, c.args[0].input.CopySourceRange]),
    ).toEqual([
      [1, "bytes=0-9"],
      [2, "bytes=10-19"],
      [3, "bytes=20-24"],
    ]);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.IfNoneMatch).toBe("*");
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload).toEqual({
      Parts: [
        { ETag: '"e1"', PartNumber: 1 },
        { ETag: '"e2"', PartNumber: 2 },
        { ETag: '"e3"', PartNumber: 3 },
      ],
    });
  });

  it("aborts the multipart copy when a part fails, so no partial object lands", async () => {
    const client = new S3Client({ region: "eu-west-2" });
    const mock = mockClient(client);
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "u2" });
    mock.on(UploadPartCopyCommand).rejects(new Error("SlowDown"));
    mock.on(AbortMultipartUploadCommand).resolves({});
    await expect(copyToFinal(client, copy, 24, 10)).rejects.toThrow("SlowDown");
    expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: "vault",
      Key: copy.key,
      UploadId: "u2",
    });
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it("leaves the object another run of the slot landed first (If-None-Match), single or multipart", async () => {
    const client = new S3Client({ region: "eu-west-2" });
    const mock = mockClient(client);
    const precondition = Object.assign(
      new Error("At least one of the pre-conditions you specified did not hold"),
      {
        name: "PreconditionFailed",
        $metadata: { httpStatusCode: 412 },
      },
    );
    mock.on(CopyObjectCommand).rejects(precondition);
    expect(await copyToFinal(client, copy, 25, 10)).toBe("exists");
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: "u3" });
    mock.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"e"' } });
    mock.on(CompleteMultipartUploadCommand).rejects(precondition);
    mock.on(AbortMultipartUploadCommand).resolves({});
    expect(await copyToFinal(client, copy, 24, 10)).toBe("exists");
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it("on a 409 conflict (another write in flight) reports exists only if that object landed", async () => {
    const { HeadObjectCommand: Head } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const conflict = Object.assign(new Error("A conflicting operation occurred"), {
      name: "ConditionalRequestConflict",
      $metadata: { httpStatusCode: 409 },
    });
    const client = new S3Client({ region: "eu-west-2" });
    const mock = mockClient(client);
    mock.on(CopyObjectCommand).rejects(conflict);
    mock.on(Head).resolves({});
    expect(await copyToFinal(client, copy, 25, 10)).toBe("exists");
    mock
      .on(Head)
      .rejects(
        Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } }),
      );
    await expect(copyToFinal(client, copy, 25, 10)).rejects.toThrow("A conflicting operation occurred");
  });
});

describe("an upload that fails mid-stream", () => {
  it("aborts an upload S3 was still creating when the run failed, and sends none of its parts", async () => {
    const calls: string[] = [];
    let created!: () => void;
    const fake = {
      send: async (c: { constructor: { name: string }; input: { UploadId?: string } }) => {
        calls.push(`${c.constructor.name}${c.input.UploadId ? ` ${c.input.UploadId}` : ""}`);
        if (c.constructor.name === "CreateMultipartUploadCommand") {
          await new Promise<void>((resolve) => {
            created = resolve;
          });
          return { UploadId: "u1" };
        }
        return { ETag: '"e"' };
      },
    } as unknown as S3Client;
    const params = {
      Bucket: BUCKET,
      Key: ".incoming/k",
      ServerSideEncryption: "aws:kms" as const,
      SSEKMSKeyId: "k",
    };
    const sink = new MultipartSink(fake, params, () => 5 * 1024 * 1024);
    const errors: string[] = [];
    sink.on("error", (e) => errors.push(e.message));
    const writing = new Promise<void>((resolve) => {
      sink.write(Buffer.alloc(5 * 1024 * 1024), () => resolve());
    });
    await new Promise((r) => setImmediate(r)); // the first part is full: CreateMultipartUpload is in flight
    expect(calls).toEqual(["CreateMultipartUploadCommand"]);
    const aborting = sink.abort();
    created();
    await aborting;
    await writing;
    await new Promise((r) => setImmediate(r)); // the stream reports its error after the write's callback
    expect(calls).toEqual(["CreateMultipartUploadCommand", "AbortMultipartUploadCommand u1"]);
    expect(errors).toEqual(["multipart upload of .incoming/k: aborted"]);
  });

  it("ends the run as a failure (no hang), stops the tool and aborts the multipart upload", async () => {
    const { mockClient } = require("aws-sdk-client-mock") as typeof import("aws-sdk-client-mock");
    const s3m = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const client = new S3Client({
      region: "eu-west-2",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    const mock = mockClient(client);
    mock.on(s3m.HeadObjectCommand).rejects(Object.assign(new Error("NotFound"), { name: "NotFound" }));
    mock.on(s3m.CreateMultipartUploadCommand).resolves({ UploadId: "u" });
    mock.on(s3m.UploadPartCommand).rejects(new Error("InternalError: We encountered an internal error"));
    mock.on(s3m.AbortMultipartUploadCommand).resolves({});
    mock.on(s3m.DeleteObjectCommand).resolves({});
    // 40 MB of incompressible bytes: far more than the parts in flight, so the body backs up when uploads stop.
    const big = node(
      "const c=require('node:crypto');let n=0;(function w(){while(n<40){n++;if(!process.stdout.write(c.randomBytes(1<<20)))return process.stdout.once('drain',w)}})()",
    );
    const result = await dumpToS3(big, target("daily/app/20270312T203000Z.dump.zst"), {
      s3: client,
      partSizeBytes: 5 * 1024 * 1024,
    });
    expect(result).toMatchObject({ status: "failed", error: expect.stringMatching(/internal error/) });
    expect(mock.commandCalls(s3m.CopyObjectCommand)).toHaveLength(0);
    expect(mock.commandCalls(s3m.AbortMultipartUploadCommand).length).toBeGreaterThan(0);
  }, 30_000);
});

describe("part sizes", () => {
  const dump =
    require("../../../lambdas/logical-backup/dump") as typeof import("../../../lambdas/logical-backup/dump");
  const MiB = 1024 ** 2;
  const GiB = 1024 ** 3;
  const TiB = 1024 ** 4;
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (the 5 TiB object this job promises).
  const S3 = { minPart: 5 * MiB, maxPart: 5 * GiB, maxParts: 10_000, object: 5 * TiB };

  it("grows the staging upload's parts so that a 5 TiB dump fits in 10,000 parts, each within S3's limits", () => {
    const sizes = Array.from({ length: S3.maxParts }, (_, i) => dump.stagingPartBytes(i + 1));
    expect(sizes[0]).toBe(8 * MiB);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(S3.object);
    expect(sizes.filter((s) => s < S3.minPart || s > S3.maxPart || s % MiB !== 0)).toEqual([]);
    expect(sizes.filter((s, i) => i > 0 && s < sizes[i - 1]!)).toEqual([]);
    // Two parts are buffered (one uploading, one filling): 1.25 GiB at the largest, within the Fargate default of
    // 2048 MB; what a Lambda's 15 minutes could write stays far below (two parts of 132 MiB at 40 GiB).
    expect(Math.max(...sizes)).toBe(dump.MAX_STAGING_PART_BYTES);
    expect(2 * dump.MAX_STAGING_PART_BYTES).toBe(1280 * MiB);
    let total = 0;
    let n = 0;
    while (total < 40 * GiB) total += dump.stagingPartBytes(++n);
    expect(2 * dump.stagingPartBytes(n)).toBeLessThan(300 * MiB);
    // Beyond part 10,000 there is no part: the caller fails the upload.
    expect(() => dump.stagingPartBytes(S3.maxParts + 1)).toThrow(
      /part 10001: S3 allows at most 10,000 parts/,
    );
  });

  it("caps the staging parts at a fifth of the process's memory, so a small Fargate task is not OOM-killed", () => {
    expect(dump.maxPartBytesFor(512 * MiB)).toBe(102 * MiB);
    expect(dump.maxPartBytesFor(2048 * MiB)).toBe(409 * MiB);
    expect(dump.maxPartBytesFor(16 * GiB)).toBe(dump.MAX_STAGING_PART_BYTES);
    expect(dump.maxPartBytesFor(10 * MiB)).toBe(8 * MiB); // never below the first part
    const capped = Array.from({ length: S3.maxParts }, (_, i) => dump.stagingPartBytes(i + 1, 102 * MiB));
    expect(Math.max(...capped)).toBe(102 * MiB);
    expect(capped.reduce((a, b) => a + b, 0)).toBeGreaterThan(700 * GiB);
    // Lambda's configured memory wins; outside Lambda the cgroup limit, then the host's memory.
    expect(dump.memoryLimitBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" }, () => 4 * GiB)).toBe(
      1024 * MiB,
    );
    expect(dump.memoryLimitBytes({}, () => 512 * MiB)).toBe(512 * MiB);
  });

  it("sizes copy ranges so that 10,000 of them cover the whole object, beyond 5 TiB too", () => {
    expect(dump.copyPartBytes(10 * GiB)).toBe(dump.COPY_PART_BYTES);
    const big = 5.2 * TiB;
    const part = dump.copyPartBytes(big);
    expect(part * S3.maxParts).toBeGreaterThanOrEqual(big);
    expect(part % MiB).toBe(0);
    expect(dump.copyPartBytes(60 * TiB)).toBe(S3.maxPart);
  });

  it("copies to the final key in ranges that also hold 5 TiB within 10,000 parts", () => {
    expect(dump.COPY_PART_BYTES).toBe(525 * MiB); // ceil(5 TiB / 10,000) = 524.29 MiB, rounded up to a MiB
    expect(dump.COPY_PART_BYTES * S3.maxParts).toBeGreaterThanOrEqual(S3.object);
    expect(dump.COPY_PART_BYTES).toBeLessThanOrEqual(S3.maxPart);
  });

  it("uploads a dump in parts of the growing sizes, then lands it whole", async () => {
    const { mockClient } = require("aws-sdk-client-mock") as typeof import("aws-sdk-client-mock");
    const s3m = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const client = new S3Client({
      region: "eu-west-2",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    const mock = mockClient(client);
    mock.on(s3m.HeadObjectCommand).rejects(Object.assign(new Error("NotFound"), { name: "NotFound" }));
    mock.on(s3m.CreateMultipartUploadCommand).resolves({ UploadId: "u" });
    const sizes: number[] = [];
    mock.on(s3m.UploadPartCommand).callsFake((input: { PartNumber: number; Body: Uint8Array }) => {
      sizes.push(input.Body.byteLength);
      return { ETag: `"e${input.PartNumber}"` };
    });
    mock.on(s3m.CompleteMultipartUploadCommand).resolves({});
    mock.on(s3m.CopyObjectCommand).resolves({});
    mock.on(s3m.DeleteObjectCommand).resolves({});
    // 30 MiB of incompressible bytes: zstd adds a little, so four parts: 8, 9 and 9 MiB, then the rest.
    const result = await dumpToS3(
      node(
        "const c=require('node:crypto');let n=0;(function w(){while(n<30){n++;if(!process.stdout.write(c.randomBytes(1<<20)))return process.stdout.once('drain',w)}})()",
      ),
      target("daily/app/20270313T203000Z.dump.zst"),
      { s3: client },
    );
    expect(result).toMatchObject({ status: "uploaded" });
    const bytes = (result as { bytes: number }).bytes;
    expect(sizes).toEqual([8 * MiB, 9 * MiB, 9 * MiB, bytes - 26 * MiB]);
    expect(
      mock
        .commandCalls(s3m.CompleteMultipartUploadCommand)[0]!
        .args[0].input.MultipartUpload!.Parts!.map((p) => [p.PartNumber, p.ETag]),
    ).toEqual([1, 2, 3, 4].map((n) => [n, `"e${n}"`]));
    expect(mock.commandCalls(s3m.CopyObjectCommand)[0]!.args[0].input.Metadata!.bytes).toBe(String(bytes));
  }, 30_000);
});
