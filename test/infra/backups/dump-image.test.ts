// The dump image's pure pieces: the ECR lifecycle policy, the Dockerfile's base, tools and command, and the build
// context (only the Dockerfile and the bundles it copies, so every file it names exists and nothing else is sent).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ecrLifecyclePolicy } from "../../../infra/core/policies/ecr-lifecycle";

describe("dump image", () => {
  it("expires untagged images after 7 days and keeps the newest N tagged ones", () => {
    expect(ecrLifecyclePolicy(10)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: "Untagged images expire after 7 days",
          selection: {
            tagStatus: "untagged",
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: 7,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 2,
          description: "Keep the newest 10 tagged images",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
          action: { type: "expire" },
        },
      ],
    });
    expect(() => ecrLifecyclePolicy(0)).toThrow(/keepTagged 0 must be a whole number >= 1/);
  });

  it("builds on the Lambda Node.js base with both dump clients, zstd and the bundled handler", () => {
    const lines = readFileSync(
      join(__dirname, "..", "..", "..", "lambdas", "logical-backup", "Dockerfile"),
      "utf8",
    )
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"));
    expect(lines[0]).toBe("FROM public.ecr.aws/lambda/nodejs:24");
    // zstd: new dumps are compressed (and verified) through its CLI (lambdas/logical-backup/dump-format.ts).
    expect(lines.find((l) => l.startsWith("RUN"))).toBe(
      "RUN dnf install -y postgresql17 mariadb105 zstd && dnf clean all && rm -rf /var/cache/dnf",
    );
    expect(lines).toContain("COPY index.js verify.js main.js drill.js ${LAMBDA_TASK_ROOT}/");
    expect(lines.at(-1)).toBe('CMD ["index.handler"]');
  });

  it("builds a context holding the Dockerfile and exactly the bundles it copies, hashed by content", () => {
    const { imageContext } =
      require("../../../infra/core/lambda-bundle") as typeof import("../../../infra/core/lambda-bundle");
    const { DUMP_IMAGE_ENTRIES } =
      require("../../../infra/backups/dump-image") as typeof import("../../../infra/backups/dump-image");
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    const { readdirSync } = require("node:fs") as typeof import("node:fs");
    expect(readdirSync(ctx.dir).sort()).toEqual([
      "Dockerfile",
      "drill.js",
      "index.js",
      "main.js",
      "verify.js",
    ]);
    const copy = readFileSync(ctx.dockerfile, "utf8")
      .split("\n")
      .find((l) => l.startsWith("COPY"))!;
    expect(copy.split(" ").slice(1, -1).sort()).toEqual([...ctx.files].sort());
    expect(ctx.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
