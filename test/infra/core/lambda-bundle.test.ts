// The bundle cache: a bundle is reused across processes only while every file it was built from has the same content,
// and is rebuilt when any of them, the options, or the cached output itself changes.
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cachedBuild } from "../../../infra/core/lambda-bundle";

const options = {
  bundle: true,
  platform: "node",
  format: "cjs",
  minify: true,
  logLevel: "silent",
} as const;

/** Replaces a file's content the way an editor or git checkout does (a new file under the old name). */
function rewrite(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

describe("cachedBuild", () => {
  const root = mkdtempSync(join(tmpdir(), "bundle-cache-"));
  const cacheDir = join(root, "cache");
  const entry = join(root, "handler.ts");
  const build = (opts: Record<string, unknown> = options) =>
    cachedBuild(entry, { ...opts, absWorkingDir: root }, cacheDir, "job", root);

  beforeAll(() => {
    writeFileSync(join(root, "package-lock.json"), "{}");
    writeFileSync(join(root, "helper.ts"), 'export const greeting: string = "hello";\n');
    writeFileSync(entry, 'import { greeting } from "./helper";\nconsole.log(greeting);\n');
  });

  it("builds once, then reuses the output while the inputs' content is unchanged", () => {
    const first = build();
    expect(first.built).toBe(true);
    expect(first.contents.toString()).toContain('"hello"');
    const again = build();
    expect(again).toEqual({ contents: first.contents, built: false });
    // The manifest names every input by content hash, so another process can check them.
    const manifest = JSON.parse(readFileSync(join(cacheDir, "job.json"), "utf8"));
    expect(Object.keys(manifest.inputs).sort()).toEqual(["handler.ts", "helper.ts"]);
  });

  it("rebuilds when an imported file changes, and when the options or the lockfile do", () => {
    build();
    rewrite(join(root, "helper.ts"), 'export const greeting: string = "bonjour";\n');
    const changed = build();
    expect(changed.built).toBe(true);
    expect(changed.contents.toString()).toContain('"bonjour"');
    expect(build().built).toBe(false);

    expect(build({ ...options, minify: false }).built).toBe(true);
    expect(build().built).toBe(true);
    rewrite(join(root, "package-lock.json"), '{"lockfileVersion": 3}');
    expect(build().built).toBe(true);
    expect(build().built).toBe(false);
  });

  it("never serves a cached output that was altered", () => {
    const good = build();
    writeFileSync(join(cacheDir, "job.js"), "tampered");
    const rebuilt = build();
    expect(rebuilt.built).toBe(true);
    expect(rebuilt.contents).toEqual(good.contents);
  });
});
