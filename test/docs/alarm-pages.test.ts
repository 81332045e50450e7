// Every alarm an on-call engineer can receive links to a page that exists, and every relative link in docs/ resolves.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = join(__dirname, "..", "..");
const PLAN_DIR = join(ROOT, "plan");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : [],
  );
}

describe("alarm pages", () => {
  const plans = existsSync(PLAN_DIR) ? readdirSync(PLAN_DIR).filter((f) => f.endsWith(".json")) : [];

  it("has a committed plan for every stack to check", () => {
    const stacks = readdirSync(join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    expect(plans.length).toBe(stacks.length);
  });

  it("links every planned alarm to an existing docs/alarms page", () => {
    const missing: string[] = [];
    let alarms = 0;
    for (const file of plans) {
      const plan = JSON.parse(readFileSync(join(PLAN_DIR, file), "utf8")) as {
        resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
      };
      for (const r of plan.resources) {
        if (!/^aws:cloudwatch\/(metric|composite)Alarm:/.test(r.type)) continue;
        alarms++;
        const description = String(r.inputs.alarmDescription ?? "");
        const page = /docs\/alarms\/([\w.-]+\.md)/.exec(description)?.[1];
        if (!page || !existsSync(join(ROOT, "docs", "alarms", page)))
          missing.push(`${file}: ${r.name} -> ${page ?? "(no link)"}`);
      }
    }
    expect(missing).toEqual([]);
    expect(alarms).toBeGreaterThan(0);
  });

  it("resolves every relative link in docs/ and the README", () => {
    const broken: string[] = [];
    for (const file of [...markdownFiles(join(ROOT, "docs")), join(ROOT, "README.md")]) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(resolve(dirname(file), target)))
          broken.push(`${file.slice(ROOT.length + 1)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
