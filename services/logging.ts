import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * The one logger. Logs carry ids, never free text: anything that could hold what a person typed
 * is redacted, wherever it appears in a logged object.
 */
export const REDACTED_KEYS = [
  'text',
  'value',
  'summary',
  'contribution',
  'description',
  'name',
  'role',
  'agency',
  'caseReference',
  'reason',
  'password',
  'key',
  'authorization',
  // Every field people type into, by the names the cards and the request form give them, should one ever be logged whole.
  'actionDescription',
  'actionOwnerName',
  'editDescription',
  'editOwnerName',
  'behalfName',
  'behalfRole',
  'behalfAgency',
  'behalfText',
  'strategyReason',
  'escalationReason',
  'withdrawReason',
  'question',
  'answer',
  'requesterRole',
  'requesterAgency',
  'requesterContact',
  'lineManagerName',
  'leadProfessionalName',
  'leadProfessionalAgency',
  'network',
  'concernSummary',
  'triedInstead',
  'availability',
];

/**
 * What to log of a caught error: its name (and its cause's name and code, such as a refused
 * connection), never its message, which can quote what someone typed.
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const cause = error.cause instanceof Error ? `/${error.cause.name}:${(error.cause as NodeJS.ErrnoException).code ?? ''}` : '';
  return `${error.name}${cause}`;
}

/**
 * The frames of an error's stack, without its message: a message, over however many lines (some
 * starting "  at"), can quote what someone typed.
 */
export function stackFrames(error: unknown): string {
  if (!(error instanceof Error) || !error.stack) return '';
  const head = `${error.name}: ${error.message}`;
  const rest = error.stack.startsWith(head) ? error.stack.slice(head.length) : error.message ? '' : error.stack;
  return rest
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

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
