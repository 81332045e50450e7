// Jest runs TypeScript through SWC (no type-checking here; `npm run typecheck` does that once).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j)s$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  setupFilesAfterEnv: ["<rootDir>/test/support/jest-setup.ts"],
  testTimeout: 30000,
};
