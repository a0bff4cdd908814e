/** What a handler sees and returns: plain data, so handlers never touch botbuilder. */
import type { AdaptiveCard } from '../../cards/render';
import type { Config } from '../../services/config';
import type { Logger } from '../../services/logging';
import type { PartnershipProfile } from '../../services/profile/types';
import type { Where } from '../../services/rethink/engine';
import type { Actor, EngineContext, Written } from '../../services/rethink/types';
import { LONE_SURROGATE } from '../../services/text';
import type { CaseRecordsRepository } from '../../services/store/caseRecords';
import type { ConversationRepository } from '../../services/store/conversations';
import type { ConversationAddress, PeopleRepository } from '../../services/store/people';
import type { PoolRepository } from '../../services/store/pool';
import type { RequestRepository } from '../../services/store/requests';
import type { RethinkRepository } from '../../services/store/rethinks';

export type CardData = Readonly<Record<string, unknown>>;

export interface TurnInput {
  readonly actor: Actor;
  readonly where: Where;
  /** How to reach this conversation later (proactive messages). */
  readonly address: ConversationAddress;
  /** This activity's own conversation id: in a channel, its thread's (`where` and `address` name the channel). */
  readonly turnConversationId: string;
  /** In a team: the team's id, as Teams gives it (its General channel's conversation id). */
  readonly teamId?: string;
  /** Teams' id for this activity: a redelivered invoke carries the same one. */
  readonly activityId: string | undefined;
  /** The card the person acted on. */
  readonly replyToId: string | undefined;
  /** Asks Teams for the person's role in a meeting now (never cached): the Re-think's own meeting, wherever they pressed. */
  readonly meetingRole?: (meetingId: string) => Promise<MeetingRole>;
  /** People @mentioned in the message, Re-think itself aside (once each). */
  readonly mentioned?: readonly { readonly id: string; readonly name: string }[];
  /** Asks Teams who a member of this conversation is (an @mentioned person's Entra object id); undefined if Teams can't say. */
  readonly memberOf?: (memberId: string) => Promise<{ aadObjectId: string; name: string; guest: boolean } | undefined>;
  readonly data: CardData;
  readonly now: Date;
}

export interface Deps {
  readonly profile: PartnershipProfile;
  readonly rethinks: RethinkRepository;
  readonly people: PeopleRepository;
  readonly conversations: ConversationRepository;
  readonly requests: RequestRepository;
  readonly pool: PoolRepository;
  /** Everything held for a case reference: administrators' export and erasure. */
  readonly caseRecords: CaseRecordsRepository;
  /** Starts delivering a request's outbox now, after its change is saved. */
  readonly dispatch: (requestId: string) => void;
  /** Entra object ids of the partnership's administrators. */
  readonly administrators: readonly string[];
  /** The tenants served (ALLOWED_TENANT_IDS); undefined serves any. Work outside a turn keeps to them too. */
  readonly allowedTenantIds?: readonly string[];
  /** Where offered files may be uploaded (see bot/uploadTarget.ts). */
  readonly uploads: Config['uploads'];
  readonly log: Logger;
  readonly newId: () => string;
  /** Work that need not delay the answer (e.g. remembering a preference); failures are logged. */
  readonly later: (what: string, task: () => Promise<void>) => void;
}

export interface Outgoing {
  readonly card?: AdaptiveCard;
  /** With a card, said above it in the same message. */
  readonly text?: string;
  /** A file offered through Teams' file consent (personal chats only); `context` comes back on accept. */
  readonly file?: { readonly name: string; readonly description: string; readonly sizeInBytes: number; readonly context: Readonly<Record<string, string>> };
  /** Another conversation (e.g. the person's personal chat); by default, this one. */
  readonly to?: ConversationAddress;
  /** Teams says Re-think isn't in `to` (403, 404): what to tell the person here instead, if anything. */
  readonly onRefused?: () => Promise<string | undefined>;
  /**
   * Called with the posted activity's id, e.g. to remember where a card lives; may return that
   * card again when changes saved meanwhile went to the card it replaces, or, when its record was
   * erased while it was on its way, the line to replace it with.
   */
  readonly onPosted?: (activityId: string, conversationId: string) => Promise<SharedCard | Erased | undefined>;
}

/** What a message about an erased record is replaced with. */
export interface Erased {
  readonly erased: string;
}

export interface HandlerResult {
  /** What the person who acted sees in place of the card they used (Action.Execute only). */
  readonly view?: AdaptiveCard;
  /** The card everyone sees, updated in place; without an id, the card acted on. */
  readonly shared?: SharedCard;
  /** Other Re-thinks' cards this turn changed, each updated where it is (in this chat or another). */
  readonly otherCards?: readonly { readonly to: ConversationAddress; readonly card: SharedCard }[];
  /** A message for the person who acted, where it cannot be shown on their own view. */
  readonly notice?: string;
  /**
   * Said in the chat after a change, where there are no per-person views (Action.Submit): what the
   * person's own view says that the card everyone sees doesn't (who leads it, where the request is).
   */
  readonly said?: string;
  readonly posts?: readonly Outgoing[];
  /** Where there are no per-person views (Action.Submit), post `view` as a message of its own. */
  readonly postViewWithoutExecute?: boolean;
  /** What to post instead of `view` there, when `view` holds something only its viewer may see. */
  readonly publicView?: () => AdaptiveCard;
  /**
   * The bot's own messages elsewhere, each replaced by a line of text (what they showed has been
   * erased); `everyones`: a Re-think's card kept up to date, replaced in turn with its updates.
   */
  readonly replaced?: readonly { readonly to: ConversationAddress; readonly activityId: string; readonly text: string; readonly everyones?: true }[];
}

export interface SharedCard {
  /** Rendered when it is sent, after the answer, so the person who acted is not kept waiting. */
  readonly render: () => AdaptiveCard;
  readonly activityId: string | undefined;
  /** The conversation the card is in, when known (in a channel, a thread may not be the one acted in). */
  readonly conversationId?: string | undefined;
  /** A stored Re-think's card: which save it shows, and how to fetch the latest (see `bot/cardUpdates.ts`). */
  readonly order?: { readonly written: Written; readonly latest: () => Promise<ShownCard | undefined> };
}

export interface ShownCard {
  readonly card: AdaptiveCard;
  readonly activityId: string | undefined;
  readonly conversationId?: string | undefined;
  readonly written?: Written;
  /** The record has been erased: this card says so, and nothing comes after it. */
  readonly erased?: true;
}

export type Handler = (input: TurnInput, deps: Deps) => Promise<HandlerResult>;

export const engineContext = (deps: Deps, now: Date): EngineContext => ({ now, profile: deps.profile, newId: deps.newId });

/**
 * Spaces, zero-width and other invisible characters only, or accents on nothing, or the "blank"
 * letters some phone keyboards offer (Hangul fillers, the blank Braille pattern): as good as nothing typed.
 */
const NOTHING_VISIBLE = /^[\s\p{Cf}\p{Cc}\p{M}\u115F\u1160\u3164\uFFA0\u2800]*$/u;

/** Control characters (but line breaks and tabs), and the noncharacters no document may hold (U+FFFE, U+FFFF and others). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFDD0-\uFDEF\uFFFE\uFFFF]/g;
/**
 * Direction overrides, embeddings and isolates, zero-width spaces and byte-order marks: one left open
 * in a name or agency reverses how everything after it shows on a shared line (the summary's
 * agencies, a list of names). Joiners, which emoji and some scripts need, are kept.
 */
const INVISIBLE_CONTROL = /[\u200B\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** Card input as text; anything that is not text counts as not given. */
export const textField = (data: CardData, key: string): string => {
  const value = data[key];
  if (typeof value !== 'string' || NOTHING_VISIBLE.test(value)) return '';
  // One spelling for the same text: "Zoë" typed as one character or as e and an accent is one name.
  // Control characters (but line breaks and tabs), direction controls and half a surrogate pair are
  // not text anyone typed; each would also take six bytes on a card.
  return value.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, '').replace(INVISIBLE_CONTROL, '').normalize('NFC');
};


/** An id from card data, or '' when it cannot be one (ids are ours: letters, digits, - and _). */
export const idField = (data: CardData, key: string): string => {
  const id = textField(data, key);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : '';
};

export const rethinkIdOf = (data: CardData): string => idField(data, 'rethinkId');

export const flagField = (data: CardData, key: string): boolean => data[key] === true || data[key] === 'true';

/** A person's role in a meeting as Teams tells it: none when they are not in it, unknown when Teams could not say. */
export type MeetingRole = { readonly kind: 'role'; readonly role: string } | { readonly kind: 'notInMeeting' } | { readonly kind: 'unknown' };

/** Said to administrators where the commands everyone has are listed: theirs are otherwise only in README. */
export const ADMINISTRATOR_COMMANDS =
  'As an administrator, you can also type **facilitators**, **add facilitator** or **remove facilitator** with an Entra object id (or, in a chat or channel you share with them, an @mention of the person), **@Re-think set facilitator channel** (in the channel) or **remove facilitator channel**, **requests**, and, in your personal chat with Re-think, **export case** or **erase case** with a case reference.';

/**
 * In a channel, the reply thread this turn is in: the records are kept per channel, and a command
 * typed in a thread means that thread's Re-think, not the newest in the whole channel.
 */
export const threadOf = (input: Pick<TurnInput, 'turnConversationId' | 'where'>): string | undefined =>
  input.where.conversationKind === 'channel' && input.turnConversationId !== input.where.conversationId ? input.turnConversationId : undefined;

export const MESSAGES = {
  roleUnknown: 'Teams couldn’t confirm your role in this meeting just now, so nothing has changed. Please try again in a moment.',
  notFound: 'I can’t find that Re-think in this conversation. It may belong to another chat: type **list** to see the Re-thinks here (in a group chat, channel or meeting, **@Re-think list**).',
  storeUnavailable: 'Sorry, that wasn’t saved: Re-think couldn’t reach its records just now. Nothing already recorded is affected. Please try again in a moment.',
  storeUnreachable: 'Sorry, Re-think couldn’t reach its records just now. Please try again in a moment.',
  unexpected: 'Sorry, something went wrong and that may not have been saved. Please try again; if it keeps happening, let your partnership administrator know.',
  fileStoreUnavailable: 'Sorry, Re-think couldn’t reach its records just now, so no file was saved to your OneDrive. Please try again in a moment (for a case export, ask again with **export case** and the case reference).',
  fileUnexpected: 'Sorry, something went wrong, so no file was saved to your OneDrive. Please try again; if it keeps happening, let your partnership administrator know.',
  unexpectedShowing: 'Sorry, something went wrong showing that. Nothing has been changed. Please try again; if it keeps happening, let your partnership administrator know.',
  alreadyDone: 'That was done already. This card shows where the request is now.',
  unknownAction: 'Sorry, I don’t recognise that button. The card may be from an older version of Re-think: type **status** for a fresh one (in a group chat, channel or meeting, **@Re-think status**).',
  filesNotTaken: 'Re-think doesn’t take files or pictures, and keeps nothing sent like this: please keep case documents in your agency’s own systems. You can type **start**, **status**, **list**, **request facilitator**, **my requests**, **escalate** or **help** (in a group chat, channel or meeting, after **@Re-think**).',
  unknownCommand: 'Sorry, I didn’t catch that. You can type **start**, **status**, **list**, **request facilitator**, **my requests**, **escalate** or **help** (in a group chat, channel or meeting, after **@Re-think**).',
  noOpenRethink: 'There’s no Re-think in progress in this conversation. Type **start** to begin one (in a group chat, channel or meeting, **@Re-think start**).',
  noneInThisThread: 'No Re-think is open in this thread. Those open in other threads of this channel are below: **Show the Re-think for** a case posts its card here, and its updates and reminders then come here too.',
  requestNotFound: 'I can’t find that request. It may have been erased: type **my requests** to see yours.',
  notPool: 'Only the partnership’s independent facilitators can do that. If you should be one, please ask your partnership administrator.',
  notAdministrator: 'Only the partnership’s administrators can see or change the facilitator pool. If something there needs changing, please ask one of them.',
  erasedRethink: 'This Re-think’s record has been erased by the partnership’s administrators (after an erasure request, for example), so there is nothing more to show here.',
  erasedRequest: 'This independent facilitator request’s record has been erased by the partnership’s administrators (after an erasure request, for example), so there is nothing more to show here.',
  notAdministratorForCase: 'Only the partnership’s administrators can export or erase what Re-think holds for a case. If someone has asked for this, please pass it to one of them.',
} as const;
