// Runbook traceability: each runbook's task list covers every heading of the runbook the stack names, and the matrix
// generator refuses an entry that points at a resource or reminder the plan does not declare.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "../../scripts/lib/record-stack";
import { loadTraceability, renderMatrix } from "../../scripts/lib/traceability";

const ROOT = join(__dirname, "..", "..");
/**
 * The applications keep their runbooks; the repository holds snapshots of them as fixtures, so the check runs on any
 * clone (set MAINTENANCE_RUNBOOKS_DIR to check against a newer copy).
 */
const RUNBOOKS = process.env.MAINTENANCE_RUNBOOKS_DIR ?? join(ROOT, "test", "fixtures", "runbooks");
const docs = loadTraceability();
const plan = (stack: string) => JSON.parse(readFileSync(join(ROOT, "plan", `${stack}.json`), "utf8")) as Plan;

/** The runbook's headings (## to ####) outside code blocks, as "A > B > C" paths. */
function headingPaths(markdown: string): string[] {
  let fence = false;
  let path: string[] = [];
  const out: string[] = [];
  for (const line of markdown.split("\n")) {
    if (line.trim().startsWith("```")) fence = !fence;
    const m = fence ? null : /^(#{2,4}) (.*)/.exec(line);
    if (!m) continue;
    path = [...path.slice(0, m[1]!.length - 2), m[2]!.replace(/^[^A-Za-z0-9]+/, "").trim()];
    out.push(path.join(" > "));
  }
  return out;
}

it("has a task list for every stack's runbook", () => {
  expect(docs.map((d) => d.stack).sort()).toEqual([
    "appointments-prod",
    "boardroom-prod",
    "mental-scribe-prod",
    "skillswap-prod",
    "telemed-prod",
  ]);
});

describe.each(docs.map((d) => [d.app, d] as const))("traceability/%s.yaml", (_app, doc) => {
  it("lists every section of its runbook as a task, or says why it holds none", () => {
    const file = join(RUNBOOKS, doc.runbook);
    if (!existsSync(file))
      throw new Error(`${file} is missing; set MAINTENANCE_RUNBOOKS_DIR to the runbooks' folder`);
    const sections = new Set([...doc.tasks.map((t) => t.section), ...doc.notTasks.map((s) => s.section)]);
    const paths = headingPaths(readFileSync(file, "utf8"));
    // A heading is covered by an entry for it or for a section under it.
    const uncovered = paths.filter((p) => ![...sections].some((s) => s === p || s.startsWith(`${p} > `)));
    expect(uncovered).toEqual([]);
    expect([...sections].filter((s) => !paths.includes(s))).toEqual([]);
  });

  it("renders its matrix, whose every automated resource and reminder is in the plan", () => {
    const md = renderMatrix(doc, plan(doc.stack));
    expect(md).toContain(`| ${doc.tasks[0]!.task} |`);
  });
});

it("refuses a task that names a resource or a reminder the plan does not declare", () => {
  const doc = docs.find((d) => d.app === "mental-scribe")!;
  const broken = {
    ...doc,
    tasks: [
      ...doc.tasks,
      { task: "x", section: "X", status: "automated" as const, resources: ["mental-scribe-no-such-job"] },
      { task: "y", section: "Y", status: "reminded" as const, reminders: ["no-such-reminder"] },
    ],
  };
  expect(() => renderMatrix(broken, plan(doc.stack))).toThrow(
    'traceability/mental-scribe.yaml is out of date with the plan:\n  - "x": resource mental-scribe-no-such-job is not in plan/mental-scribe-prod.json\n  - "y": reminder no-such-reminder is not in plan/mental-scribe-prod.json (maintenance:reminders)',
  );
});
