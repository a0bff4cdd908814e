import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * The one logger. Logs carry ids, never free text: anything that could hold what a person typed
 * is redacted, wherever it appears in a logged object.
 */
const REDACTED_KEYS = [
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
 * What to log of a caught error: its name and code (a Cosmos DB status and substatus, a refused
 * connection), and its cause's, never its message, which can quote what someone typed.
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const { code, substatus } = error as { code?: unknown; substatus?: unknown };
  const own = `${typeof code === 'number' || typeof code === 'string' ? `:${code}` : ''}${typeof substatus === 'number' ? `.${substatus}` : ''}`;
  const cause = error.cause instanceof Error ? `/${error.cause.name}:${(error.cause as NodeJS.ErrnoException).code ?? ''}` : '';
  return `${error.name}${own}${cause}`;
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

const REDACTED = new Set(REDACTED_KEYS);
const CENSOR = '[redacted]';

/**
 * A copy with every redacted key censored at any depth (pino's own paths name fixed depths), and
 * what refers back to itself, or is too deep, left out. A date is its time; an error only its kind
 * (its message can quote what someone typed). The caller's object is never changed.
 */
function redacted(value: unknown, within: readonly object[] = [], depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (value instanceof Error) return { type: errorKind(value) };
  if (within.includes(value) || depth > 12) return '[not logged]';
  const path = [...within, value];
  if (Array.isArray(value)) return value.map((item) => redacted(item, path, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = REDACTED.has(key) ? CENSOR : redacted(inner, path, depth + 1);
  return out;
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  // What a child logger carries never reaches the log formatter: pino's paths cover it (to three levels; bindings are ids).
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { app: 'rethink' },
      redact: { paths, censor: CENSOR },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redacted(object) as Record<string, unknown>,
      },
    },
    destination,
  );
}
