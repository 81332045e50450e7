// Proves the recording engine records parents, regions, secrets and realistic ARNs, and refuses unknown calls.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findResource, hashPath, recordProgram } from "./pulumi-mocks";

class Holder extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:test:Holder", name, {}, opts);
    const dr = new aws.Provider(`${name}-dr`, { region: "eu-central-1" }, { parent: this });
    new aws.kms.Key(`${name}-key`, { description: "k", enableKeyRotation: true }, { parent: this });
    const q = new aws.sqs.Queue(`${name}-dr-queue`, {}, { parent: this, provider: dr });
    const secret = new pulumi.Config("maintenance").requireSecret("pagerUrl");
    new aws.sns.TopicSubscription(
      `${name}-sub`,
      { topic: q.arn, protocol: "https", endpoint: secret },
      { parent: this },
    );
    this.registerOutputs();
  }
}

describe("recording mock engine", () => {
  it("records parents, provider regions, hidden secrets and ARNs built from account and region", async () => {
    const resources = await recordProgram(
      () => new Holder("h"),
      { stack: "unit", region: "eu-west-2" },
      { "maintenance:pagerUrl": "https://events.pagerduty.com/x/SECRET" },
      ["maintenance:pagerUrl"],
    );
    const key = findResource(resources, "aws:kms/key:Key", "h-key");
    expect(key.parent).toBe("maintenance:test:Holder::h");
    expect(key.region).toBe("eu-west-2");
    const queue = findResource(resources, "aws:sqs/queue:Queue", "h-dr-queue");
    expect(queue.region).toBe("eu-central-1");
    const sub = findResource(resources, "aws:sns/topicSubscription:TopicSubscription", "h-sub");
    expect(sub.inputs.endpoint).toBe("[secret]");
    expect(sub.inputs.topic).toMatch(/^arn:aws:sqs:eu-central-1:123456789012:h-dr-queue-[0-9a-f]{7}$/);
    expect(JSON.stringify(resources)).not.toContain("SECRET");
  });

  it("fails the recording when a registration fails, instead of silently missing the resource", async () => {
    await expect(
      recordProgram(() => {
        new aws.lambda.Function("f", {
          role: "arn:aws:iam::123456789012:role/r",
          code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("x") }),
        });
      }),
    ).rejects.toThrow(/recording is incomplete/);
  });

  it("fails loudly on a provider call it does not know", async () => {
    await expect(
      recordProgram(async () => {
        await aws.ec2.getVpc({ default: true });
      }),
    ).rejects.toThrow(/no mock for call "aws:ec2\/getVpc:getVpc"/);
  });

  it("hashes an archived tree by content, and again once a file in it is replaced", () => {
    const dir = mkdtempSync(join(tmpdir(), "hash-path-"));
    writeFileSync(join(dir, "index.js"), "one");
    const first = hashPath(dir);
    expect(hashPath(dir)).toBe(first);
    // Same size, replaced by rename as the bundler does: a new inode, so it is read again.
    writeFileSync(join(dir, "index.js.tmp"), "two");
    renameSync(join(dir, "index.js.tmp"), join(dir, "index.js"));
    const second = hashPath(dir);
    expect(second).not.toBe(first);
    writeFileSync(join(dir, "index.js.tmp"), "one");
    renameSync(join(dir, "index.js.tmp"), join(dir, "index.js"));
    expect(hashPath(dir)).toBe(first);
  });
});
