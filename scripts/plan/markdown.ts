// Renders plan diffs for a terminal and for a PR comment that always fits GitHub's 65,536-character limit.
import { createHash } from "node:crypto";
import { usd } from "../cost/estimate";
import type { ChangeKind, ResourceChange, StackDiff } from "./diff";

const SYMBOL: Record<Exclude<ChangeKind, "same">, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
};
/** Marker the PR workflow looks for to update its comment in place instead of adding another. */
export const COMMENT_MARKER = "<!-- maintenance-stack-plan-diff -->";

const visible = (d: StackDiff) => d.changes.filter((c) => c.kind !== "same");

function counts(d: StackDiff): Record<Exclude<ChangeKind, "same">, number> {
  const n = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of visible(d)) n[c.kind as keyof typeof n]++;
  return n;
}

function shortValue(v: unknown, max = 120): string {
  const text = v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v);
  if (text.length <= max) return text;
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 8);
  return `${text.slice(0, max - 24)}… (${text.length} chars, sha256:${digest})`;
}

/**
 * The changed leaves with their values (inside JSON-valued inputs too), at most `max`, then a count of the rest; for a
 * create, the inputs that matter (schedules, thresholds, retention) with their values.
 */
function valueLines(c: ResourceChange, indent: string, width: number, max = 20): string[] {
  const values = c.values ?? [];
  const lines = values
    .slice(0, max)
    .map((v) =>
      c.kind === "create"
        ? `${indent}${v.path} = ${shortValue(v.after, width)}`
        : `${indent}${v.path}: ${shortValue(v.before, width)} => ${shortValue(v.after, width)}`,
    );
  if (values.length > max) lines.push(`${indent}… and ${values.length - max} more changed values`);
  return lines;
}

function changeLine(c: ResourceChange): string {
  const sym = SYMBOL[c.kind as keyof typeof SYMBOL];
  const props = c.properties.length ? ` [${c.properties.join(", ")}]` : "";
  const why = c.replaceBecause.length ? ` (replace: ${c.replaceBecause.join(", ")})` : "";
  return `${sym} ${c.type} ${c.name}${props}${why}`;
}

/** `$20.10 -> $21.30 (+$1.20)` for a stack whose estimate moved, `$20.10` when it did not. */
export function costChange(d: StackDiff): string {
  if (!d.cost) return "";
  const delta = d.cost.after - d.cost.before;
  if (Math.abs(delta) < 0.005) return usd(d.cost.after);
  return `${usd(d.cost.before)} -> ${usd(d.cost.after)} (${delta > 0 ? "+" : "-"}${usd(Math.abs(delta))})`;
}

const changed = (diffs: readonly StackDiff[]) => diffs.filter((d) => visible(d).length > 0);
const unchangedLine = (diffs: readonly StackDiff[]) => {
  const same = diffs.filter((d) => visible(d).length === 0).map((d) => d.stack);
  return same.length ? [`No changes: ${same.join(", ")}.`] : [];
};

/** Preview-like text for the terminal: summary first (one line for the unchanged stacks), then each stack's changes. */
export function renderText(diffs: readonly StackDiff[]): string {
  const lines: string[] = ["Plan diff (offline):"];
  for (const d of changed(diffs)) {
    const n = counts(d);
    lines.push(
      `  ${d.stack}: ${n.create} to create, ${n.update} to update, ${n.replace} to replace, ${n.delete} to delete${d.cost ? `; estimated monthly cost ${costChange(d)}` : ""}`,
    );
  }
  lines.push(...unchangedLine(diffs).map((l) => `  ${l}`));
  for (const d of diffs) {
    const changes = visible(d);
    if (!changes.length) continue;
    lines.push("", `== ${d.stack}`);
    for (const c of changes) {
      lines.push(`  ${changeLine(c)}`);
      lines.push(...valueLines(c, "      ", 120));
      for (const danger of c.dangers) lines.push(`      !! ${danger}`);
    }
  }
  return lines.join("\n");
}

function stackSection(d: StackDiff, detail: boolean): string {
  const changes = visible(d);
  const n = counts(d);
  const head = `### ${d.stack}: +${n.create} ~${n.update} +-${n.replace} -${n.delete}`;
  if (!changes.length) return `${head}\n\nNo changes.`;
  const rows = changes.map((c) => {
    const lines = [`${changeLine(c)}`];
    if (detail) lines.push(...valueLines(c, "    ", 200));
    for (const danger of c.dangers) lines.push(`    !! ${danger}`);
    return lines.join("\n");
  });
  return `${head}\n\n<details><summary>${changes.length} change(s)</summary>\n\n\`\`\`diff\n${rows.join("\n")}\n\`\`\`\n\n</details>`;
}

/**
 * Markdown for a PR comment: the summary table and the dangerous changes first, then one section per stack. When
 * the whole exceeds `limit`, sections lose their per-property detail, then are elided from the last stack backwards,
 * so the comment always fits and the summary is always complete.
 */
export function renderMarkdown(diffs: readonly StackDiff[], options: { limit?: number } = {}): string {
  const limit = options.limit ?? 60_000;
  const summary = [
    COMMENT_MARKER,
    "## Offline plan diff",
    "",
    "| stack | create | update | replace | delete | est. monthly cost |",
    "|---|---:|---:|---:|---:|---:|",
    ...changed(diffs).map((d) => {
      const n = counts(d);
      return `| ${d.stack} | ${n.create} | ${n.update} | ${n.replace} | ${n.delete} | ${costChange(d)} |`;
    }),
    ...(unchangedLine(diffs).length ? ["", ...unchangedLine(diffs)] : []),
    ...(diffs.some((d) => d.cost)
      ? [
          "",
          "_Monthly cost: estimated from the plan and the price table `scripts/cost/prices.json` (region, unit price, source, date read); the assumptions behind each quantity are printed by `npm run plan`._",
        ]
      : []),
  ];
  const dangers = diffs.flatMap((d) =>
    visible(d).flatMap((c) => c.dangers.map((x) => `- **${d.stack}** \`${c.name}\`: ${x}`)),
  );
  if (dangers.length) {
    summary.push(
      "",
      "**Needs a second reviewer** (deletes, replacements of stateful resources, shortened retention, lowered floors, raised deletion caps, dry run off, replication removed or stopped):",
      "",
    );
    let used = summary.join("\n").length;
    for (const [i, line] of dangers.entries()) {
      if (used + line.length > limit / 3) {
        summary.push(
          `- … and ${dangers.length - i} more (see the sections below or \`npm run plan -- --diff\`)`,
        );
        break;
      }
      summary.push(line);
      used += line.length + 1;
    }
  }
  const head = summary.join("\n");
  for (const detail of [true, false]) {
    const shown = changed(diffs);
    const sections = shown.map((d) => stackSection(d, detail));
    const whole = [head, "", ...sections].join("\n\n");
    if (whole.length <= limit) return whole;
    if (!detail) {
      // Elide whole sections from the end until it fits.
      const kept = [...sections];
      const elided: string[] = [];
      while (kept.length && [head, ...kept, elidedNote(elided)].join("\n\n").length > limit) {
        kept.pop();
        elided.unshift(shown[kept.length]!.stack);
      }
      return [head, ...kept, elidedNote(elided)].join("\n\n").slice(0, limit);
    }
  }
  return head.slice(0, limit);
}

function elidedNote(stacks: readonly string[]): string {
  return stacks.length
    ? `_Sections elided to fit the comment: ${stacks.join(", ")}. Run \`npm run plan -- --diff\` locally for them._`
    : "";
}
