/**
 * The few Bot Connector calls the app makes itself (the dispatcher's posts, everyone's card updated
 * in place, the meeting and membership checks), over plain HTTP so that the caller alone decides
 * about retries (the SDK's own client retries inside a call, with no say over Retry-After or timeouts).
 * Requests are signed with the same credentials as the adapter's.
 */
import { ConfigurationServiceClientCredentialFactory } from 'botbuilder';
import type { BotAuth } from '../services/config';
import { botbuilderSettings } from './adapter';
import type { SendOutcome } from '../services/requests/dispatcher';
import type { ConversationAddress } from '../services/store/people';
import { httpRequester, type HttpResponse } from './httpRequest';

/** An Adaptive Card as the activity (or the part of one) that carries it. */
export const cardActivity = (card: object) => ({ attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] });

export interface ConnectorClient {
  post(to: ConversationAddress, activity: object): Promise<SendOutcome>;
  update(to: ConversationAddress, activityId: string, activity: object): Promise<SendOutcome>;
  /** The meeting participant API: the person's Teams id and role now; not a member; or Teams could not say (`withinMs`: given up sooner). */
  meetingParticipant(serviceUrl: string, meetingId: string, aadObjectId: string, tenantId: string, withinMs?: number): Promise<Participation>;
  /** Whether the person (by their Teams or Entra id) is still a member of the chat. */
  /** `refused`: Teams said 403, which is the app's own standing in the chat (removed from it, or blocked), not the person's membership. */
  conversationMember(serviceUrl: string, conversationId: string, memberId: string): Promise<'member' | 'notMember' | 'refused' | 'unavailable'>;
}

type TokenSource = () => Promise<string | undefined>;

/** `refused`: Teams said 403, which is the app's permission to ask (not granted in this tenant or kind of meeting), not the person's membership. */
export type Participation = { kind: 'member'; teamsUserId: string; role: string } | { kind: 'notMember' } | { kind: 'unavailable'; refused?: true };

/** No token without an app id (local use); otherwise one from Entra, cached by the SDK's credentials. */
export function tokenSource(auth: BotAuth): TokenSource {
  if (auth.mode === 'none') return async () => undefined;
  const factory = new ConfigurationServiceClientCredentialFactory(botbuilderSettings(auth));
  let credentials: Promise<{ getToken(force?: boolean): Promise<string> }> | undefined;
  return async () => {
    credentials ??= factory.createCredentials(auth.appId, 'https://api.botframework.com', `https://login.microsoftonline.com/${auth.tenantId}`, true) as unknown as Promise<{
      getToken(force?: boolean): Promise<string>;
    }>;
    return (await credentials).getToken();
  };
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const base = (serviceUrl: string): string => serviceUrl.replace(/\/+$/, '');
const conversationUrl = (to: ConversationAddress): string => `${base(to.serviceUrl)}/v3/conversations/${encodeURIComponent(to.conversationId)}/activities`;

/**
 * `tokenFailed`: told when the bot's own credentials can't get a token (an expired secret, an identity
 * not assigned): otherwise every send would look like Teams not answering.
 */
export function connectorClient(token: TokenSource, timeoutMs: number, tokenFailed: (error: unknown) => void = () => undefined): ConnectorClient {
  const http = httpRequester(timeoutMs);
  /** One signed request within the timeout; undefined when it timed out, was refused or was reset. */
  const request = async (method: 'GET' | 'POST' | 'PUT', url: string, activity?: object, withinMs?: number): Promise<HttpResponse | undefined> => {
    let bearer: string | undefined;
    try {
      bearer = await token();
    } catch (error) {
      tokenFailed(error);
      return undefined;
    }
    return http(method, url, { ...(activity ? { json: activity } : {}), ...(bearer ? { bearer } : {}), ...(withinMs !== undefined ? { timeoutMs: withinMs } : {}) });
  };
  const send = async (method: 'POST' | 'PUT', url: string, activity: object): Promise<SendOutcome> => {
    const response = await request(method, url, activity);
    // Timed out, refused or reset: Teams may not have it; try again later.
    if (!response) return { ok: false, status: 0 };
    if (!response.ok) {
      const wait = retryAfterMs(response.retryAfter);
      return { ok: false, status: response.status, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
    }
    const id = (response.body as { id?: unknown } | undefined)?.id;
    return { ok: true, ...(typeof id === 'string' ? { activityId: id } : {}) };
  };
  return {
    meetingParticipant: async (serviceUrl, meetingId, aadObjectId, tenantId, withinMs) => {
      const response = await request('GET', `${base(serviceUrl)}/v1/meetings/${encodeURIComponent(meetingId)}/participants/${encodeURIComponent(aadObjectId)}?tenantId=${encodeURIComponent(tenantId)}`, undefined, withinMs);
      if (response?.status === 403) return { kind: 'unavailable', refused: true };
      if (response?.status === 404) return { kind: 'notMember' };
      if (!response?.ok) return { kind: 'unavailable' };
      const body = response.body as { user?: { id?: unknown }; meeting?: { role?: unknown } } | undefined;
      return { kind: 'member', teamsUserId: typeof body?.user?.id === 'string' ? body.user.id : '', role: typeof body?.meeting?.role === 'string' ? body.meeting.role : '' };
    },
    conversationMember: async (serviceUrl, conversationId, memberId) => {
      const response = await request('GET', `${base(serviceUrl)}/v3/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(memberId)}`);
      if (!response) return 'unavailable';
      if (response.status === 403) return 'refused';
      if (response.status === 404) return 'notMember';
      return response.ok ? 'member' : 'unavailable';
    },
    post: (to, activity) => send('POST', conversationUrl(to), { type: 'message', ...activity }),
    update: (to, activityId, activity) => send('PUT', `${conversationUrl(to)}/${encodeURIComponent(activityId)}`, { type: 'message', id: activityId, ...activity }),
  };
}
