/** Teams-shaped test activities, built from the recorded fixtures rather than guessed. */
import { randomUUID } from 'node:crypto';
import fixtures from '../fixtures/teams-activities.json';

type Json = Record<string, unknown>;

export interface TestUser {
  id: string;
  name: string;
  aadObjectId: string;
}

export interface TestConversation {
  id: string;
  conversationType: 'personal' | 'groupChat' | 'channel';
  isGroup?: boolean;
  /** A meeting's chat: Teams adds the meeting to the channel data. */
  meetingId?: string;
  /** A team's channel: Teams adds the team and the channel to the channel data. */
  teamId?: string;
}

export const TENANT = fixtures.personalMessage.conversation.tenantId;

/** Next year: its dates are never "in the past" when the tests run, nor more than two years away (the app refuses both). */
export const AHEAD = new Date().getUTCFullYear() + 1;

export const users = {
  alex: { id: fixtures.personalMessage.from.id, name: fixtures.personalMessage.from.name, aadObjectId: fixtures.personalMessage.from.aadObjectId },
  megan: { id: fixtures.groupChatMessageWithMention.from.id, name: fixtures.groupChatMessageWithMention.from.name, aadObjectId: fixtures.groupChatMessageWithMention.from.aadObjectId },
  adele: { id: fixtures.meetingChatMessageWithMention.from.id, name: fixtures.meetingChatMessageWithMention.from.name, aadObjectId: fixtures.meetingChatMessageWithMention.from.aadObjectId },
  isaiah: { id: fixtures.channelMessageWithMention.from.id, name: fixtures.channelMessageWithMention.from.name, aadObjectId: fixtures.channelMessageWithMention.from.aadObjectId },
} satisfies Record<string, TestUser>;

/** Another professional, for tests with many people. */
export const person = (n: number): TestUser => ({
  id: `29:1Professional${n}`,
  name: `Professional ${n}`,
  aadObjectId: `6a1f2c3d-0000-4000-8000-${String(1000 + n).padStart(12, '0')}`,
});

export const conversations = {
  personal: { id: fixtures.personalMessage.conversation.id, conversationType: 'personal' },
  group: { id: fixtures.groupChatMessageWithMention.conversation.id, conversationType: 'groupChat', isGroup: true },
} satisfies Record<string, TestConversation>;

/** A group chat of its own, so tests never share records by accident. */
export const newGroupChat = (): TestConversation => ({ id: `19:${randomUUID().replace(/-/g, '')}@thread.v2`, conversationType: 'groupChat', isGroup: true });

interface Where {
  user: TestUser;
  conversation: TestConversation;
  serviceUrl: string;
  tenantId?: string;
}

function envelope(base: Json, where: Where): Json {
  const tenantId = where.tenantId ?? TENANT;
  return {
    ...structuredClone(base),
    id: `${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    timestamp: new Date().toISOString(),
    serviceUrl: where.serviceUrl,
    from: { ...where.user },
    conversation: { id: where.conversation.id, conversationType: where.conversation.conversationType, ...(where.conversation.isGroup ? { isGroup: true } : {}), tenantId },
    channelData: {
      tenant: { id: tenantId },
      ...(where.conversation.meetingId ? { meeting: { id: where.conversation.meetingId } } : {}),
      ...(where.conversation.teamId ? { team: { id: where.conversation.teamId }, channel: { id: where.conversation.id.split(';')[0] } } : {}),
    },
  };
}

/** A meeting's chat of its own, as Teams shapes it (fixture: meetingChatMessageWithMention). */
export const newMeetingChat = (): TestConversation => {
  const id = randomUUID().replace(/-/g, '');
  return { id: `19:meeting_${id}@thread.v2`, conversationType: 'groupChat', isGroup: true, meetingId: Buffer.from(`0#19:meeting_${id}@thread.v2#0`).toString('base64') };
};

/** Teams' event when a meeting ends. */
export function meetingEnd(where: Where): Json {
  const activity = envelope(fixtures.meetingEndEvent, where);
  return { ...activity, value: { ...fixtures.meetingEndEvent.value, Id: where.conversation.meetingId } };
}

/** A typed message; in a group chat it @mentions the bot as Teams does. */
export function message(text: string, where: Where): Json {
  const group = where.conversation.conversationType !== 'personal';
  const base = group ? fixtures.groupChatMessageWithMention : fixtures.personalMessage;
  return { ...envelope(base, where), text: group ? `<at>Re-think</at> ${text}` : text };
}

/** An Action.Execute press: `adaptiveCard/action` with the verb and the card's merged data. */
export function execute(verb: string, data: Json, where: Where & { replyToId?: string; id?: string }): Json {
  const activity = envelope(fixtures.adaptiveCardExecuteInvoke, where);
  return {
    ...activity,
    ...(where.id ? { id: where.id } : { id: `f:${randomUUID()}` }),
    ...(where.replyToId ? { replyToId: where.replyToId } : { replyToId: undefined }),
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

/** An Action.Submit press: a message with the data as its value and no text, from the card `replyToId` (none: a client that names no card). */
export function submit(data: Json, where: Where & { replyToId?: string }): Json {
  const activity = envelope(fixtures.adaptiveCardSubmitMessage, where);
  delete activity.text;
  delete activity.replyToId;
  return { ...activity, ...(where.replyToId ? { replyToId: where.replyToId } : {}), value: data };
}

export function installed(where: Where): Json {
  return envelope(fixtures.installationUpdateAdd, where);
}

/**
 * Teams' event when people are removed from a chat (fixture: conversationUpdateBotAdded's shape, with
 * `membersRemoved`; in a group chat Teams sends no team).
 */
export function membersRemoved(where: Where, removed: readonly TestUser[]): Json {
  const activity = envelope(fixtures.conversationUpdateBotAdded, where);
  delete activity.membersAdded;
  const inChannel = where.conversation.conversationType === 'channel';
  const { team, ...rest } = activity.channelData as Json;
  const channelData: Json = inChannel ? { ...rest, team: where.conversation.teamId ? { id: where.conversation.teamId } : team, eventType: 'teamMemberRemoved' } : { tenant: rest.tenant };
  return { ...activity, membersRemoved: removed.map((u) => ({ id: u.id, aadObjectId: u.aadObjectId })), channelData };
}

/**
 * Teams' conversationUpdate for a team event (`channelDeleted`, `teamArchived`, ...), in the team's
 * General channel (fixture: conversationUpdateBotAdded's shape); `extra` goes in its channelData.
 */
export function teamEvent(where: Where, teamId: string, eventType: string, extra: Json = {}): Json {
  const activity = envelope(fixtures.conversationUpdateBotAdded, { ...where, conversation: { id: teamId, conversationType: 'channel', isGroup: true } });
  delete activity.membersAdded;
  return { ...activity, channelData: { ...(activity.channelData as Json), eventType, team: { id: teamId, name: 'Team' }, ...extra } };
}

/** The same event as Teams sends it when the app is removed from the conversation. */
export function uninstalled(where: Where): Json {
  return { ...envelope(fixtures.installationUpdateAdd, where), action: 'remove' };
}
