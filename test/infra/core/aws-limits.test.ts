// Lambda's 4 KB environment limit, measured as Lambda measures it: the JSON of the whole variables map.
import { envSizeBytes, LAMBDA_ENV_MAX_BYTES } from "../../../infra/core/aws-limits";

/** What the check used to count: the bytes of every key and value, nothing else. */
const keysAndValues = (env: Record<string, string>) =>
  Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

describe("Lambda environment size", () => {
  it.each([
    ["no variables", {}, 2], // {}
    ["one variable", { A: "b" }, 9], // {"A":"b"}
    ["two variables", { A: "b", CD: "ef" }, 19], // {"A":"b","CD":"ef"}
    ["quotes and backslashes are escaped", { K: 'x"y\\z' }, 15], // {"K":"x\"y\\z"}
    ["a newline is escaped", { K: "a\nb" }, 12], // {"K":"a\nb"}
    ["multi-byte characters count in UTF-8", { K: "é€" }, 13], // {"K":"é€"}: 2 + 3 bytes
  ])("%s: %j is %i bytes", (_label, env, bytes) => {
    expect(envSizeBytes(env)).toBe(bytes);
  });

  it("rejects a map the old key-and-value sum let through", () => {
    // JOB_CONFIG is JSON inside JSON: every quote in it is escaped, two bytes each, and short strings are mostly
    // quotes (here 3,615 bytes of config, 1,202 of them quotes: 3,659 bytes by the old count, 4,874 as JSON).
    const config = JSON.stringify({ logGroups: Array.from({ length: 600 }, (_, i) => `/g${i % 10}`) });
    const env = { JOB_CONFIG: config, POWERTOOLS_SERVICE_NAME: "dump-verify" };
    expect(keysAndValues(env)).toBeLessThanOrEqual(LAMBDA_ENV_MAX_BYTES);
    expect(envSizeBytes(env)).toBeGreaterThan(LAMBDA_ENV_MAX_BYTES);
    expect(envSizeBytes(env)).toBe(Buffer.byteLength(JSON.stringify(env)));
  });
});
