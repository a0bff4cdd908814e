/** Reads a Teams activity into a handler's plain input. */
import { TeamsInfo, TurnContext } from 'botbuilder';
import { own } from '../services/lookup';
import type { ConversationKind } from '../services/rethink/types';
import type { ConversationAddress } from '../services/store/people';
import type { ConnectorClient } from './connectorClient';
import type { CardData, MeetingRole, TurnInput } from './handlers/types';

const KINDS: Record<string, ConversationKind> = { personal: 'personal', groupChat: 'groupChat', channel: 'channel' };

export function tenantOf(context: TurnContext): string | undefined {
  const activity = context.activity;
  const channelTenant = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  return typeof channelTenant === 'string' ? channelTenant : activity.conversation?.tenantId;
}

/**
 * What was typed, without @mentions: Re-think's own, and anyone else's (people mention a colleague
 * in the same message; a command that takes a person has them from `mentioned`). Teams may send a
 * typed space as `&nbsp;`.
 */
export function typedText(activity: TurnContext['activity']): string {
  // botbuilder's mention removal fails on a message with no text (an @mention and a picture, say).
  if (!activity.text) return '';
  let text = TurnContext.removeRecipientMention(activity) ?? activity.text;
  for (const entity of activity.entities ?? []) {
    const mentioned = entity.type === 'mention' ? (entity as { text?: unknown }).text : undefined;
    if (typeof mentioned === 'string' && mentioned) text = text.split(mentioned).join(' ');
  }
  // Teams may send a mention without its text (a name with "&" in it, botbuilder-js#2083): its tag is still no one's typing.
  return text.replace(/<at(?:\s[^>]*)?>[\s\S]*?<\/at>/gi, ' ').replace(/&nbsp;/gi, ' ');
}

/** People @mentioned in a message, Re-think itself aside, once each. */
function mentionedIn(activity: TurnContext['activity']): { id: string; name: string }[] {
  const people = new Map<string, string>();
  for (const entity of activity.entities ?? []) {
    const mentioned = entity.type === 'mention' ? (entity as { mentioned?: { id?: unknown; name?: unknown } }).mentioned : undefined;
    if (typeof mentioned?.id === 'string' && mentioned.id && mentioned.id !== activity.recipient?.id) people.set(mentioned.id, typeof mentioned.name === 'string' ? mentioned.name : '');
  }
  return [...people].map(([id, name]) => ({ id, name }));
}

/** Who a member of this conversation is, as Teams says: undefined when it can't (not a member, or Teams failing). */
async function memberOf(context: TurnContext, memberId: string): Promise<{ aadObjectId: string; name: string; guest: boolean } | undefined> {
  try {
    const member = await TeamsInfo.getMember(context, memberId);
    return member.aadObjectId ? { aadObjectId: member.aadObjectId.toLowerCase(), name: member.name ?? '', guest: member.userRole === 'guest' } : undefined;
  } catch {
    return undefined;
  }
}

/** The team a channel's activity came from (Teams says so in channelData). */
export function teamOf(context: TurnContext): string | undefined {
  const id = (context.activity.channelData as { team?: { id?: unknown } } | undefined)?.team?.id;
  return typeof id === 'string' && id ? id : undefined;
}

function meetingOf(context: TurnContext): string | undefined {
  const id = (context.activity.channelData as { meeting?: { id?: unknown } } | undefined)?.meeting?.id;
  return typeof id === 'string' && id ? id : undefined;
}

/**
 * How long a press waits to learn the person's meeting role: Teams waits about 5 s for the answer.
 * One try, through the app's own client (botbuilder's retries and waits out any Retry-After, for up
 * to its 15 s): a role Teams can't give in time is "unknown", which the answer says.
 */
const ROLE_LOOKUP_MS = 2_500;

/** The person's role in the meeting now, from the Teams meeting participant API: none if not in it (404), unknown if Teams could not say. */
async function meetingRoleOf(connector: Pick<ConnectorClient, 'meetingParticipant'>, serviceUrl: string, meetingId: string, aadObjectId: string, tenantId: string): Promise<MeetingRole> {
  const participation = await connector.meetingParticipant(serviceUrl, meetingId, aadObjectId, tenantId, ROLE_LOOKUP_MS);
  if (participation.kind === 'unavailable') return { kind: 'unknown' };
  return participation.kind === 'member' && participation.role ? { kind: 'role', role: participation.role } : { kind: 'notInMeeting' };
}

const kindOf = (conversation: TurnContext['activity']['conversation']): ConversationKind => own(KINDS, conversation.conversationType ?? '') ?? (conversation.isGroup ? 'groupChat' : 'personal');

/** Where this turn happened, to send there later: the full conversation id, so a channel thread stays the thread. */
export function addressOf(context: TurnContext): ConversationAddress & { conversationKind: ConversationKind } {
  const { activity } = context;
  return { conversationId: activity.conversation.id, serviceUrl: activity.serviceUrl, tenantId: tenantOf(context) ?? '', botId: activity.recipient?.id ?? '', conversationKind: kindOf(activity.conversation) };
}

export function turnInput(context: TurnContext, data: CardData, now: Date, connector: Pick<ConnectorClient, 'meetingParticipant'>): TurnInput {
  const { activity } = context;
  const meetingId = meetingOf(context);
  // Records are kept per channel, not per thread (see `conversationKey`).
  const address = { ...addressOf(context), conversationId: conversationKey(activity.conversation.id) };
  const team = teamOf(context);
  // Kept on a Re-think only in a channel (a team's group chat is not the team's).
  const teamId = address.conversationKind === 'channel' ? team : undefined;
  const where = { ...address, ...(meetingId ? { meetingId } : {}), ...(teamId ? { teamId } : {}) };
  return {
    actor: {
      id: activity.from.id,
      name: activity.from.name ?? '',
      ...(activity.from.aadObjectId ? { aadObjectId: activity.from.aadObjectId } : {}),
    },
    where,
    address,
    turnConversationId: activity.conversation.id,
    ...(team ? { teamId: team } : {}),
    // Asked of Teams each time it is needed: a presenter can be made an attendee mid-meeting.
    ...(activity.from.aadObjectId ? { meetingRole: (meeting: string) => meetingRoleOf(connector, activity.serviceUrl, meeting, activity.from.aadObjectId ?? '', where.tenantId) } : {}),
    ...(activity.type === 'message' ? { mentioned: mentionedIn(activity), memberOf: (id: string) => memberOf(context, id) } : {}),
    activityId: activity.id || undefined,
    replyToId: activity.replyToId || undefined,
    data,
    now,
  };
}

/**
 * A channel's threads arrive as `<channel id>;messageid=<post>`: Re-think keeps one set of records
 * per channel, so `status` and `list` find a Re-think from any thread. Replies still go to the thread.
 */
export const conversationKey = (conversationId: string): string => conversationId.split(';messageid=')[0] ?? conversationId;

export const asCardData = (value: unknown): CardData => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as CardData) : {});
