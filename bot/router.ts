/** Typed lookup tables: text commands and card verbs each map to exactly one handler. */
import { addFacilitator, eraseCase, exportCase, myId, removeFacilitator, removeFacilitatorChannel, setFacilitatorChannel, showPool } from './handlers/admin';
import { escalate, escalateCommand, showEscalation } from './handlers/escalation';
import { rethinkHandlers, showActionEditor } from './handlers/rethink';
import { acceptRequest, answerQuestion, askQuestion, declineRequest, myRequests, poolRequests, requestFacilitator, scheduleRequest, showRequest, showRequestForm, submitRequest, withdrawRequest } from './handlers/requests';
import { cancelStart, confirmStrategy, submitStart } from './handlers/start';
import type { Handler } from './handlers/types';
import { own } from '../services/lookup';
import { help, list, refresh, showRethink, showStartForm, showStartFromCard, startNextStrategy, status } from './handlers/views';
import { trimChars } from '../services/text';

export const commands = {
  start: showStartForm,
  status,
  list,
  help,
  'request facilitator': requestFacilitator,
  // As the summary's button and the help say it.
  'request a facilitator': requestFacilitator,
  'request an independent facilitator': requestFacilitator,
  'my requests': myRequests,
  'my id': myId,
  requests: poolRequests,
  escalate: escalateCommand,
  'set facilitator channel': setFacilitatorChannel,
  'remove facilitator channel': removeFacilitatorChannel,
  'add facilitator': addFacilitator,
  'remove facilitator': removeFacilitator,
  facilitators: showPool,
  'list facilitators': showPool,
  'show facilitators': showPool,
  'export case': exportCase,
  'erase case': eraseCase,
} satisfies Record<string, Handler>;

/** Commands followed by a value, e.g. "request facilitator PSCP-2026-0042". */
const TAKES_ARGUMENT: readonly (keyof typeof commands)[] = ['start', 'request facilitator', 'request a facilitator', 'request an independent facilitator', 'add facilitator', 'remove facilitator', 'export case', 'erase case'];

/** Quotation marks around a whole command, as when it is copied from the help or an email. */
const QUOTES = '"“”\'‘’';

const cardActions = {
  showStart: showStartFromCard,
  startNextStrategy,
  startRethink: submitStart,
  confirmStrategy,
  cancelRethink: cancelStart,
  refresh,
  showRethink,
  showActionEditor,
  ...rethinkHandlers,
  showRequestForm,
  showRequest,
  submitRequest,
  acceptRequest,
  declineRequest,
  askQuestion,
  answerQuestion,
  scheduleRequest,
  withdrawRequest,
  showEscalation,
  escalate,
} satisfies Record<string, Handler>;


/**
 * Text as typed, with the bot's @mention already removed: "Start", " start " and "START" alike.
 * A command that takes a value gets what follows it as `argument`, as typed.
 */
export function commandFor(text: string): { name: string; handler: Handler; argument: string } | undefined {
  // Invisible characters pasted with it (a zero-width space from a web page) and full-width letters are not what was meant.
  const visible = text.replace(/\p{Cf}/gu, '').normalize('NFKC').trim().replace(/\s+/g, ' ');
  const unquoted = (t: string): string => trimChars(t, QUOTES, '').trim();
  // "@Re-think start" typed as plain text (in a personal chat there is no @mention to remove), quoted or not.
  const typed = unquoted(unquoted(visible).replace(/^@?re-?think[:,]? /i, ''));
  // Typed as a sentence, or in quotes: "Facilitators?", "help.", "Status:", "status".
  const bare = trimChars(typed, '', `.!?: ${QUOTES}`).toLowerCase();
  const exact: Handler | undefined = own(commands, bare);
  if (exact) return { name: bare, handler: exact, argument: '' };
  // "request facilitator PSCP-2026-0042", or "request facilitator: PSCP-2026-0042".
  const lower = typed.toLowerCase();
  const name = TAKES_ARGUMENT.find((n) => lower.startsWith(`${n} `) || lower.startsWith(`${n}:`));
  return name ? { name, handler: commands[name], argument: trimChars(typed.slice(name.length + 1), '', QUOTES).trim() } : undefined;
}

export const cardActionFor = (verb: string): Handler | undefined => own(cardActions, verb);

/** Handlers that only read: if the store is out of reach, nothing was being saved. */
export const readOnly: ReadonlySet<Handler> = new Set<Handler>([status, list, help, showStartForm, requestFacilitator, myRequests, poolRequests, escalateCommand, showPool, exportCase, showStartFromCard, startNextStrategy, refresh, showRethink, showActionEditor, showRequestForm, showRequest, showEscalation, myId]);
