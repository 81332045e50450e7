// The logging interface job logic takes (so tests can record it), and its adapter over Powertools' Logger.
import type { Logger } from "@aws-lambda-powertools/logger";

export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export function toLog(logger: Logger): Log {
  return {
    info: (m, e) => logger.info(m, e ?? {}),
    warn: (m, e) => logger.warn(m, e ?? {}),
    error: (m, e) => logger.error(m, e ?? {}),
  };
}
