// The house rules of infra/: capabilities stand on core/ and never on each other, every file says what it is for,
// no function outgrows a screenful or two, and every config section a stack may leave out is one capability.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import ts from "typescript";
import { SECTIONS } from "../../infra/config";
import { CAPABILITIES } from "../../infra/program";

const ROOT = join(__dirname, "..", "..");
const MAX_FUNCTION_LINES = 120;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(posix.join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [posix.join(dir, e.name)]
        : [],
  );
}

/** Repo-relative paths of what a file imports from this repo (type imports too: they are coupling as well). */
function localImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gs)].map((m) =>
    relative(ROOT, join(ROOT, dirname(file), m[1]!))
      .split(sep)
      .join("/"),
  );
}

/** The part of infra/ a file or import belongs to: core, config, a capability folder, or a top-level file. */
const area = (path: string) => {
  const parts = path.replace(/\.ts$/, "").split("/");
  const folder = parts.length > 2 || (parts.length === 2 && existsSync(join(ROOT, path, "index.ts")));
  return parts[0] === "infra" && folder ? parts[1]! : parts.join("/");
};

const infraFiles = sourceFiles("infra");
const capabilityFolders = [...new Set(infraFiles.map(area))].filter(
  (a) => !["core", "config"].includes(a) && !a.startsWith("infra/"),
);

describe("infra/ layout", () => {
  it("has capability folders beside core/ and config/", () => {
    expect(capabilityFolders.sort()).toEqual([
      "backups",
      "certificates",
      "dashboard",
      "db-maintenance",
      "host-maintenance",
      "logs",
      "reminders",
      "rotation",
      "service",
    ]);
  });

  it.each(infraFiles)("%s imports only what its place allows", (file) => {
    const from = area(file);
    const allowed = (target: string): boolean => {
      const to = area(target);
      if (target.startsWith("lambdas/")) return from !== "core";
      if (!target.startsWith("infra/")) return false;
      if (from === "core") return to === "core";
      if (from === "config") return to === "config" || to === "core";
      if (from === "infra/capability") return to === "config" || to === "core";
      if (capabilityFolders.includes(from))
        return to === from || to === "core" || to === "config" || to === "infra/capability";
      return true; // program.ts composes everything
    };
    expect(localImports(file).filter((t) => !allowed(t))).toEqual([]);
  });

  it("keeps lambdas/ free of infra code", () => {
    const offenders = sourceFiles("lambdas").filter((f) =>
      localImports(f).some((t) => !t.startsWith("lambdas/")),
    );
    expect(offenders).toEqual([]);
  });

  it.each(infraFiles)("%s opens with one comment line saying what it is for", (file) => {
    const first = readFileSync(join(ROOT, file), "utf8").split("\n")[0]!;
    expect(first).toMatch(/^\/\/ \S.{10,}/);
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const file of infraFiles) {
      const src = ts.createSourceFile(
        file,
        readFileSync(join(ROOT, file), "utf8"),
        ts.ScriptTarget.Latest,
        true,
      );
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
          const start = src.getLineAndCharacterOfPosition(node.getStart()).line;
          const end = src.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > MAX_FUNCTION_LINES)
            long.push(`${file}:${start + 1} (${end - start + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(src);
    }
    expect(long).toEqual([]);
  });

  it("has exactly one capability per config section a stack may leave out", () => {
    const optional = Object.entries(SECTIONS)
      .filter(([, schema]) => {
        const parsed = schema.safeParse(undefined);
        return parsed.success && parsed.data === undefined;
      })
      .map(([key]) => key);
    expect(CAPABILITIES.map((c) => c.section).sort()).toEqual(optional.sort());
  });
});
