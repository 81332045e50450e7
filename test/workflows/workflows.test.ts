// The GitHub workflows parse, run the offline checks, pin every action, and grant least privilege.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
  permissions?: Record<string, string>;
  steps: Step[];
  needs?: string | string[];
  environment?: string;
  if?: string;
};
type Workflow = {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};

const load = (f: string) =>
  parse(readFileSync(join(__dirname, "..", "..", ".github", "workflows", f), "utf8")) as Workflow;
const pr = load("pull-request.yml");
const deploy = load("deploy.yml");
const permsOf = (w: Workflow, job: string) => ({ ...w.permissions, ...w.jobs[job]!.permissions });

describe("workflows", () => {
  it("run the offline checks on pull requests in order", () => {
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    expect(pr.jobs.check!.steps.map((s) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm run typecheck",
      "npm run lint",
      "npm test",
      "npm run plan -- --check",
      "npm run plan -- --diff --base origin/${{ github.base_ref }}",
    ]);
  });

  it("grant id-token only where OIDC is used, and pull-requests: write only to the commenting job", () => {
    for (const w of [pr, deploy]) {
      expect(w.permissions).toEqual({ contents: "read" });
      for (const [name, job] of Object.entries(w.jobs)) {
        const perms = permsOf(w, name);
        const usesOidc = job.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        expect([name, perms["id-token"] === "write"]).toEqual([name, usesOidc]);
        const comments = job.steps.some((s) => s.uses?.startsWith("actions/github-script@"));
        expect([name, perms["pull-requests"] === "write"]).toEqual([name, comments]);
      }
    }
  });

  it("update one PR comment in place, found by its marker", () => {
    const script = String(
      pr.jobs.comment!.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script,
    );
    expect(script).toContain("<!-- maintenance-stack-plan-diff -->");
    expect(script).toContain("updateComment");
  });

  it("preview with the policy pack per stack only when a role is configured", () => {
    expect(pr.jobs.preview!.if).toContain("vars.AWS_PREVIEW_ROLE_ARN");
    const step = pr.jobs.preview!.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(step.with).toMatchObject({ command: "preview", diff: true, policyPacks: "policy" });
  });

  it("deploy non-prod first, then prod stacks behind approval environments", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(deploy.jobs.prod!.needs).toBe("nonprod");
    expect(deploy.jobs.prod!.environment).toBe("${{ matrix.stack }}");
    expect(deploy.jobs.nonprod!.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with).toMatchObject(
      { command: "up", "stack-name": "dev" },
    );
  });

  it("set up QEMU before a prod deploy, which builds the arm64 dump image on an x86 runner", () => {
    const uses = deploy.jobs.prod!.steps.map((s) => s.uses ?? s.run);
    const qemu = uses.findIndex((u) => u?.startsWith("docker/setup-qemu-action@"));
    expect(qemu).toBeGreaterThan(-1);
    expect(deploy.jobs.prod!.steps[qemu]!.with).toEqual({ platforms: "arm64" });
    expect(qemu).toBeLessThan(uses.findIndex((u) => u?.startsWith("pulumi/actions@")));
  });

  it("pin every action to an exact version", () => {
    for (const w of [pr, deploy]) {
      for (const job of Object.values(w.jobs)) {
        for (const s of job.steps.filter((x) => x.uses))
          expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+\.\d+\.\d+$/);
      }
    }
  });
});
