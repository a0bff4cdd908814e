/** Typed lookup tables: text commands and card verbs each map to exactly one handler. */
import { rethinkHandlers, showActionEditor } from './handlers/rethink';
import { cancelStart, confirmStrategy, submitStart } from './handlers/start';
import type { Handler } from './handlers/types';
import { help, list, refresh, showRethink, showStartForm, showStartFromCard, status } from './handlers/views';

export const commands = {
  start: showStartForm,
  status,
  list,
  help,
} satisfies Record<string, Handler>;

export const cardActions = {
  showStart: showStartFromCard,
  startRethink: submitStart,
  confirmStrategy,
  cancelRethink: cancelStart,
  refresh,
  showRethink,
  showActionEditor,
  ...rethinkHandlers,
} satisfies Record<string, Handler>;

export type CommandName = keyof typeof commands;
export type CardVerb = keyof typeof cardActions;

const lookup = <T extends object>(table: T, key: string): T[keyof T] | undefined =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key as keyof T] : undefined;

/** Text as typed, with the bot's @mention already removed: "Start", " start " and "START" alike. */
export const commandFor = (text: string): Handler | undefined => lookup(commands, text.trim().toLowerCase().replace(/\s+/g, ' '));

export const cardActionFor = (verb: string): Handler | undefined => lookup(cardActions, verb);

/** Handlers that only read: if the store is out of reach, nothing was being saved. */
export const readOnly: ReadonlySet<Handler> = new Set<Handler>([...Object.values(commands), showStartFromCard, refresh, showRethink, showActionEditor]);
