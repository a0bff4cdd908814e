import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * The one logger. Logs carry ids, never free text: anything that could hold what a person typed
 * is redacted, wherever it appears in a logged object.
 */
export const REDACTED_KEYS = ['text', 'value', 'summary', 'contribution', 'description', 'name', 'role', 'agency', 'caseReference', 'reason', 'password', 'key', 'authorization'];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { app: 'rethink' },
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
