// Every list whose entries are named in resources refuses a repeated name, naming the stack file and the key of the
// repeat (one check, infra/config/rules.ts's refuseDuplicateNames): taken from the real stack files, one entry copied.
import { loadConfig } from "../../../infra/config";
import { readStackFile } from "../../../scripts/lib/stack-files";

/** The stack's config with the first entry of the list at `at` (inside section `key`) appended again. */
function withRepeat(stack: string, key: string, at: readonly string[]) {
  const source = readStackFile(stack, "stacks");
  const entries = { ...source.entries() };
  const section = JSON.parse(entries[key]!);
  const list = at.reduce((o, k) => o[k], section) as unknown[];
  list.push(structuredClone(list[0]));
  entries[key] = JSON.stringify(section);
  return () => loadConfig({ ...source, entries: () => entries });
}

describe("a repeated name is refused with the file and the key", () => {
  it.each([
    ["boardroom-prod", "maintenance:hosts", ["hosts"], /hosts\[1\]\.name: duplicate host name "app"/],
    [
      "skillswap-prod",
      "maintenance:hosts",
      ["hosts", "0", "tasks"],
      /hosts\[0\]\.tasks\[\d+\]\.name: duplicate task name "/,
    ],
    ["skillswap-prod", "maintenance:hosts", ["windows"], /windows\[\d+\]\.name: duplicate window name "/],
    [
      "skillswap-prod",
      "maintenance:monitoring",
      ["maintenanceWindows"],
      /maintenanceWindows\[\d+\]\.name: duplicate window name "/,
    ],
    ["skillswap-prod", "maintenance:reminders", [], /reminders\[\d+\]\.name: duplicate reminder name "/],
    [
      "appointments-prod",
      "maintenance:rotation",
      ["databases"],
      /databases\[\d+\]\.name: duplicate database "/,
    ],
    [
      "mental-scribe-prod",
      "maintenance:backups",
      ["databases"],
      /databases\[\d+\]\.name: duplicate database "/,
    ],
    [
      "appointments-prod",
      "maintenance:databaseMaintenance",
      ["databases"],
      /databases\[\d+\]\.name: duplicate database "/,
    ],
  ])("%s %s %j", (stack, key, at, message) => {
    const load = withRepeat(stack, key, at);
    expect(load).toThrow(new RegExp(`Pulumi\\.${stack}\\.yaml`));
    expect(load).toThrow(message);
  });
});
