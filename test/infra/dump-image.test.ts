// The dump image's pieces that exist so far: the ECR lifecycle policy and the Dockerfile's base, tools and command.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ecrLifecyclePolicy } from "../../infra/policies/ecr-lifecycle";

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

  it("builds on the Lambda Node.js base with both dump clients and the bundled handler", () => {
    const lines = readFileSync(join(__dirname, "..", "..", "lambdas", "logical-backup", "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"));
    expect(lines[0]).toBe("FROM public.ecr.aws/lambda/nodejs:22");
    expect(lines.find((l) => l.startsWith("RUN"))).toMatch(/dnf install -y postgresql16 mariadb105/);
    expect(lines).toContain("COPY dist/logical-backup/index.js ${LAMBDA_TASK_ROOT}/index.js");
    expect(lines.at(-1)).toBe('CMD ["index.handler"]');
  });
});
