/**
 * A local stand-in for the Bot Framework Connector: it records what the bot posts and updates,
 * and can be told to fail, so tests see exactly what Teams would receive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The id the connector gave (POST) or the id updated (PUT). */
  activityId: string;
  replyToId?: string;
  activity: {
    type: string;
    text?: string;
    attachments?: { contentType: string; content: Record<string, unknown> }[];
  };
}

export interface Connector {
  readonly serviceUrl: string;
  readonly captured: Captured[];
  posts(conversationId?: string): Captured[];
  updates(conversationId?: string): Captured[];
  /** Makes the next requests answer with this status until `fail(undefined)`. */
  fail(status: number | undefined): void;
  /** Holds the next card update until `release()`: `arrived` settles when it has come in (not yet taken). */
  holdNextUpdate(): { arrived: Promise<void>; release(): void };
  /** The same for the next new post. */
  holdNextPost(): { arrived: Promise<void>; release(): void };
  /** Answers the next `count` requests with 429 and a Retry-After of `seconds`. */
  throttleNext(count: number, seconds: number): void;
  /** Requests answered with 429 so far. */
  readonly throttled: number;
  /** Answers requests to one conversation (posts, updates, member look-ups) with this status until `failConversation(id, undefined)`. */
  failConversation(conversationId: string, status: number | undefined): void;
  /** Never answers the next `count` requests (a timeout), and records nothing for them. */
  hangNext(count: number): void;
  /** The next `count` new messages (posts, not updates) after `after` more are let through are refused with `status`. */
  failNextPosts(count: number, status: number, after?: number): void;
  /** Takes the next `count` posts (recorded, as Teams would show them) and then never answers. */
  takeThenHangNext(count: number): void;
  /** Every post or update that reached a conversation, when, and the status it was answered with (0: none). */
  readonly arrivals: { conversationId: string; at: number; status: number }[];
  /** The meeting participant API: each person's role (absent: not in the meeting, 404). */
  setMeetingRole(aadObjectId: string, role: 'Organizer' | 'Presenter' | 'Attendee' | undefined, teamsUserId?: string, meetingId?: string): void;
  /** Chat membership (GET .../members/{id}): ids removed from a chat answer 404. */
  removeFromChat(conversationId: string, memberId: string): void;
  /** Who a member is, as Teams answers a look-up of their id (otherwise their id stands for their object id too). */
  knowMember(member: { id: string; name: string; aadObjectId?: string; userRole?: 'user' | 'guest' }): void;
  /** The meeting participant API never answers (until set back), or answers the next `count` look-ups 429 with a Retry-After of `seconds`. */
  hangParticipants(on: boolean): void;
  throttleParticipants(count: number, seconds: number): void;
  /** Role look-ups asked so far, in order (aad object ids). */
  readonly roleLookups: string[];
  /** Chat membership look-ups asked so far, in order (member ids). */
  readonly memberLookups: string[];
  /** Answers uploads with this status (nothing kept) until `failUploads(undefined)`. */
  failUploads(status: number | undefined): void;
  /** Takes this long over each upload (0: at once), as a large file to OneDrive would. */
  slowUploads(ms: number): void;
  /** Where a file consent upload goes: PUTs here are kept in `uploads`. */
  uploadUrl(token: string): string;
  readonly uploads: { token: string; bytes: Buffer; contentRange: string | undefined }[];
  waitFor(predicate: (c: Captured) => boolean, timeoutMs?: number): Promise<Captured>;
  reset(): void;
  stop(): Promise<void>;
}

const readBytes = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

/** restify patches Node's ServerResponse so writeHead no longer chains: keep the calls apart. */
function reply(res: ServerResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

export interface ConnectorOptions {
  /** Keep only where each activity went, not its content: the benchmark sends thousands of cards. */
  readonly keepContent?: boolean;
}

export async function startConnector(options: ConnectorOptions = {}): Promise<Connector> {
  const keepContent = options.keepContent ?? true;
  const captured: Captured[] = [];
  let failing: number | undefined;
  let hold: { method: 'POST' | 'PUT'; arrived: () => void; released: Promise<void> } | undefined;
  const holdNext = (method: 'POST' | 'PUT') => {
    let arrived: () => void = () => undefined;
    let release: () => void = () => undefined;
    const whenArrived = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    hold = { method, arrived, released };
    return { arrived: whenArrived, release };
  };
  let throttleLeft = 0;
  let throttleSeconds = 1;
  let throttled = 0;
  let next = 1;
  let hangLeft = 0;
  const failPosts = { left: 0, status: 400, after: 0 };
  let takeThenHangLeft = 0;
  const arrivals: { conversationId: string; at: number; status: number }[] = [];
  const failingConversations = new Map<string, number>();
  const uploads: { token: string; bytes: Buffer; contentRange: string | undefined }[] = [];
  let uploadsFailing: number | undefined;
  let uploadMs = 0;
  const meetingRoles = new Map<string, string>();
  const teamsIds = new Map<string, string>();
  const removed = new Set<string>();
  const known = new Map<string, { name: string; aadObjectId?: string; userRole?: string }>();
  let participantsHang = false;
  const participantsThrottled = { count: 0, seconds: 1 };
  const roleLookups: string[] = [];
  const memberLookups: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const bytes = await readBytes(req);
    const member = /^\/v3\/conversations\/([^/]+)\/members\/([^/?]+)/.exec(req.url ?? '');
    if (member && req.method === 'GET') {
      const key = `${decodeURIComponent(member[1] ?? '')}|${decodeURIComponent(member[2] ?? '')}`;
      memberLookups.push(decodeURIComponent(member[2] ?? ''));
      const failingWith = failingConversations.get(decodeURIComponent(member[1] ?? ''));
      if (failingWith) reply(res, failingWith, { error: { code: 'Failing', message: 'test' } });
      else if (removed.has(key)) reply(res, 404, { error: { code: 'MemberNotFoundInConversation', message: 'not in the chat' } });
      else {
        const id = decodeURIComponent(member[2] ?? '');
        const who = known.get(id);
        reply(res, 200, who ? { id, name: who.name, ...(who.aadObjectId ? { aadObjectId: who.aadObjectId } : {}), ...(who.userRole ? { userRole: who.userRole } : {}) } : { id, aadObjectId: id });
      }
      return;
    }
    const participant = /^\/v1\/meetings\/([^/]+)\/participants\/([^/?]+)/.exec(req.url ?? '');
    if (participant && req.method === 'GET') {
      const aad = decodeURIComponent(participant[2] ?? '');
      const meetingId = decodeURIComponent(participant[1] ?? '');
      roleLookups.push(aad);
      if (participantsHang) return;
      if (participantsThrottled.count > 0) {
        participantsThrottled.count--;
        res.setHeader('retry-after', String(participantsThrottled.seconds));
        reply(res, 429, { error: { code: 'Throttled', message: 'test' } });
        return;
      }
      if (failing) {
        reply(res, failing, { error: { code: 'Failing', message: 'test' } });
        return;
      }
      // A person is in the meetings they were put in (or in any, when set without one).
      const role = meetingRoles.get(`${meetingId}|${aad}`) ?? meetingRoles.get(`*|${aad}`);
      if (!role) reply(res, 404, { error: { code: 'NotFound', message: 'not in the meeting' } });
      else reply(res, 200, { user: { id: teamsIds.get(aad) ?? `29:${aad}`, aadObjectId: aad }, meeting: { role, inMeeting: true }, conversation: { id: 'meeting chat' } });
      return;
    }
    const upload = /^\/upload\/([^/?]+)/.exec(req.url ?? '');
    if (upload && req.method === 'PUT') {
      if (uploadsFailing) {
        reply(res, uploadsFailing, { error: { code: 'Failing', message: 'test' } });
        return;
      }
      uploads.push({ token: decodeURIComponent(upload[1] ?? ''), bytes, contentRange: req.headers['content-range'] });
      setTimeout(() => reply(res, 201, { id: 'uploaded' }), uploadMs);
      return;
    }
    const body = bytes.toString('utf8');
    if (hangLeft > 0) {
      hangLeft--;
      return;
    }
    const conversation = decodeURIComponent(/^\/v3\/conversations\/([^/]+)/.exec(req.url ?? '')?.[1] ?? '');
    const arrival = { conversationId: conversation, at: Date.now(), status: 0 };
    if (conversation) {
      arrivals.push(arrival);
      res.once('finish', () => (arrival.status = res.statusCode));
    }
    const failingHere = failingConversations.get(conversation);
    if (failingHere) {
      reply(res, failingHere, { error: { code: 'Failing', message: 'test' } });
      return;
    }
    if (throttleLeft > 0) {
      throttleLeft--;
      throttled++;
      res.setHeader('retry-after', String(throttleSeconds));
      reply(res, 429, { error: { code: 'Throttled', message: 'test' } });
      return;
    }
    if (failing) {
      reply(res, failing, { error: { code: 'Failing', message: 'test' } });
      return;
    }
    if (failPosts.left > 0 && req.method === 'POST' && /\/activities(\/[^/]*)?$/.test(req.url ?? '') && failPosts.after-- <= 0) {
      failPosts.left--;
      reply(res, failPosts.status, { error: { code: 'Failing', message: 'test' } });
      return;
    }
    if (hold && req.method === hold.method) {
      const held = hold;
      hold = undefined;
      held.arrived();
      await held.released;
    }
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
    if (match && (req.method === 'POST' || req.method === 'PUT')) {
      const conversationId = decodeURIComponent(match[1] ?? '');
      const target = match[2] ? decodeURIComponent(match[2]) : undefined;
      const activityId = req.method === 'PUT' && target ? target : `posted-${next++}`;
      captured.push({
        method: req.method,
        conversationId,
        activityId,
        ...(req.method === 'POST' && target ? { replyToId: target } : {}),
        activity: keepContent ? JSON.parse(body || '{}') : { type: 'message' },
      });
      if (req.method === 'POST' && takeThenHangLeft > 0) {
        takeThenHangLeft--;
        return;
      }
      reply(res, 200, { id: activityId });
      return;
    }
    reply(res, 200, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const filter = (method: string, conversationId?: string) => captured.filter((c) => c.method === method && (!conversationId || c.conversationId === conversationId));
  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    captured,
    posts: (conversationId) => filter('POST', conversationId),
    updates: (conversationId) => filter('PUT', conversationId),
    fail: (status) => {
      failing = status;
    },
    holdNextUpdate: () => holdNext('PUT'),
    holdNextPost: () => holdNext('POST'),
    throttleNext: (count, seconds) => {
      throttleLeft = count;
      throttleSeconds = seconds;
    },
    get throttled() {
      return throttled;
    },
    failConversation: (conversationId, status) => {
      if (status) failingConversations.set(conversationId, status);
      else failingConversations.delete(conversationId);
    },
    arrivals,
    takeThenHangNext: (count) => {
      takeThenHangLeft = count;
    },
    hangNext: (count) => {
      hangLeft = count;
    },
    failNextPosts: (count, status, after = 0) => {
      failPosts.left = count;
      failPosts.status = status;
      failPosts.after = after;
    },
    setMeetingRole: (aadObjectId, role, teamsUserId, meetingId = '*') => {
      if (role) meetingRoles.set(`${meetingId}|${aadObjectId}`, role);
      else meetingRoles.delete(`${meetingId}|${aadObjectId}`);
      if (teamsUserId) teamsIds.set(aadObjectId, teamsUserId);
    },
    roleLookups,
    memberLookups,
    removeFromChat: (conversationId, memberId) => {
      removed.add(`${conversationId}|${memberId}`);
    },
    knowMember: ({ id, ...who }) => {
      known.set(id, who);
    },
    hangParticipants: (on) => {
      participantsHang = on;
    },
    throttleParticipants: (count, seconds) => {
      Object.assign(participantsThrottled, { count, seconds });
    },
    failUploads: (status) => {
      uploadsFailing = status;
    },
    slowUploads: (ms) => {
      uploadMs = ms;
    },
    uploadUrl: (token) => `http://127.0.0.1:${port}/upload/${encodeURIComponent(token)}`,
    uploads,
    waitFor: async (predicate, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = captured.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('The connector received nothing matching in time');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    reset: () => {
      captured.length = 0;
      arrivals.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The first Adaptive Card in a captured activity. */
export const cardOf = (c: Captured): Record<string, unknown> => {
  const card = c.activity.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
  if (!card) throw new Error(`No Adaptive Card in the ${c.method} to ${c.conversationId}: ${JSON.stringify(c.activity).slice(0, 200)}`);
  return card;
};
