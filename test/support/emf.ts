// CloudWatch embedded metric format (EMF) as CloudWatch Logs reads it from what a handler really wrote to stdout:
// every datapoint with its namespace, metric name and the exact dimension set it is published under.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

/** One datapoint CloudWatch would extract: one metric, under one dimension set, with one value. */
export interface EmfRecord {
  readonly namespace: string;
  readonly metricName: string;
  /** Exactly the dimensions of one DimensionSet, with their values from the record's root. */
  readonly dimensions: Record<string, string>;
  readonly value: number;
  readonly unit?: string;
}

interface MetricDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
}

/**
 * Turns captured stdout lines into datapoints. Lines that are not JSON objects with an `_aws` member (ordinary log
 * lines) are skipped. Per the specification each MetricDirective publishes every metric under each of its dimension
 * sets (an empty list of sets: no dimensions), and a metric's value may be a number or an array of numbers (one
 * datapoint each). A dimension whose value is missing or not a string, or a metric whose value is not a number,
 * makes CloudWatch drop the metric: that throws here, naming the line, so a test cannot pass over it.
 */
export function parseEmf(lines: Iterable<string>): EmfRecord[] {
  const out: EmfRecord[] = [];
  for (const line of lines) {
    const text = line.trim();
    if (!text.startsWith("{")) continue;
    let root: Record<string, unknown>;
    try {
      root = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = root._aws as { CloudWatchMetrics?: readonly MetricDirective[] } | undefined;
    if (!aws || typeof aws !== "object") continue;
    if (!Array.isArray(aws.CloudWatchMetrics))
      throw new Error(`EMF record without a CloudWatchMetrics array: ${text}`);
    for (const directive of aws.CloudWatchMetrics) {
      const sets = directive.Dimensions.length ? directive.Dimensions : [[]];
      for (const set of sets) {
        const dimensions: Record<string, string> = {};
        for (const key of set) {
          const v = root[key];
          if (typeof v !== "string")
            throw new Error(`EMF dimension ${key} has no string value at the root: ${text}`);
          dimensions[key] = v;
        }
        for (const metric of directive.Metrics) {
          const raw = root[metric.Name];
          const values = Array.isArray(raw) ? raw : [raw];
          for (const value of values) {
            if (typeof value !== "number")
              throw new Error(`EMF metric ${metric.Name} has no numeric value at the root: ${text}`);
            out.push({
              namespace: directive.Namespace,
              metricName: metric.Name,
              dimensions: { ...dimensions },
              value,
              ...(metric.Unit ? { unit: metric.Unit } : {}),
            });
          }
        }
      }
    }
  }
  return out;
}

export interface CapturedOutput {
  /** Every complete line written so far. */
  lines(): string[];
  /** The EMF datapoints among them. */
  records(): EmfRecord[];
  restore(): void;
}

/**
 * Captures what a handler writes to stdout, the way Powertools writes it: its own `Console` on `process.stdout`
 * (the default), or the global `console.log` when POWERTOOLS_DEV is set. Nothing is passed through while captured.
 */
export function captureStdout(): CapturedOutput {
  let buffer = "";
  const write = process.stdout.write;
  const log = console.log;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  console.log = (...args: unknown[]) => {
    buffer += `${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`;
  };
  // Complete lines only: a line still being written has no newline yet.
  const lines = () =>
    buffer
      .split("\n")
      .slice(0, -1)
      .filter((l) => l !== "");
  return {
    lines,
    records: () => parseEmf(lines()),
    restore: () => {
      process.stdout.write = write;
      console.log = log;
    },
  };
}
