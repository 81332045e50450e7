// A ConfigSource for tests: a minimal valid stack plus the sections a test wants, without a stack file.
import type { ConfigSource } from "../../infra/config";

/** Sections keyed without the namespace (`monitoring`, `logs`); `app` and `paging` may be overridden. */
export function demoSource(
  sections: Record<string, unknown>,
  secrets: Record<string, string> = {},
): ConfigSource {
  const entries: Record<string, string> = {
    "aws:region": "eu-west-2",
    "maintenance:app": JSON.stringify({
      name: "demo",
      environment: "nonprod",
      runbookBaseUrl: "https://x.example/r",
    }),
    "maintenance:paging": JSON.stringify({ actionsEnabled: false, pager: "none" }),
  };
  for (const [k, v] of Object.entries(sections)) entries[`maintenance:${k}`] = JSON.stringify(v);
  for (const [k, v] of Object.entries(secrets)) entries[`maintenance:${k}`] = v;
  return { stack: "demo", entries: () => entries, isSecret: (k) => k.replace("maintenance:", "") in secrets };
}
