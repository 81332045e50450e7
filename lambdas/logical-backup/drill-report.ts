// The restore drill's report as Markdown, for the people who read the quarterly DR drill's record.
import type { DrillReport } from "./drill";

const cell = (v: unknown) => String(v ?? "-").replaceAll("|", "\\|");

export function drillMarkdown(r: DrillReport): string {
  const lines = [
    `# Restore drill of ${r.database}: ${r.verdict.toUpperCase()}`,
    "",
    `- scheduled: ${r.scheduledTime}`,
    `- dump: ${r.dump ? `s3://${r.dump.bucket}/${r.dump.key} (slot ${r.dump.slot}, ${r.dump.bytes ?? "?"} bytes, sha256 ${r.dump.sha256 ?? "?"})` : "none"}`,
    `- manifest: ${r.manifest ? `${r.manifest.consistency}, source ${r.manifest.serverVersion}` : "none"}`,
    `- target: ${r.engine} ${r.targetVersion ?? "?"}`,
  ];
  if (r.restore)
    lines.push(
      `- restore: ${r.restore.startedAt} to ${r.restore.endedAt}${r.restore.timedOut ? " (stopped: timed out)" : ""}, ${r.restore.jobs} job(s)`,
      `- first query answered: ${r.restore.firstQueryAt ?? "never"}; time to first query (RTO): ${r.restore.secondsToFirstQuery ?? "-"} s`,
    );
  lines.push(`- data age at restore (RPO proxy): ${r.dataAgeSeconds ?? "-"} s`, "");
  if (r.tables.length > 0) {
    lines.push("| table | rows in dump | rows restored | ok |", "|---|---:|---:|---|");
    for (const t of r.tables)
      lines.push(
        `| ${cell(t.table)} | ${t.expected}${t.expectedMax !== undefined ? `-${t.expectedMax}` : ""} | ${cell(t.found)} | ${t.ok ? "yes" : "**no**"} |`,
      );
    lines.push("");
  }
  if (r.checks.length > 0) {
    lines.push("| check | value | allowed | ok |", "|---|---:|---|---|");
    for (const c of r.checks)
      lines.push(
        `| ${cell(c.name)} | ${cell(c.value ?? c.error)} | [${c.min ?? "-inf"}, ${c.max ?? "inf"}] | ${c.ok ? "yes" : "**no**"} |`,
      );
    lines.push("");
  }
  if (r.problems.length > 0) lines.push("## Problems", "", ...r.problems.map((p) => `- ${p}`), "");
  return `${lines.join("\n")}\n`;
}
