import { poolHolds, requestSender } from '../../bot/requestSender';
import type { ConnectorClient } from '../../bot/connectorClient';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import type { Delivery } from '../../services/requests/types';
import { request } from '../fixtures/cards/requests';

const SERVED = '11111111-2222-4333-8444-555555555555';
const DROPPED = '99999999-8888-4777-8666-555555555555';

/** Records what would have reached Teams. */
function recordingConnector(sent: string[]): ConnectorClient {
  return {
    post: async (to) => {
      sent.push(to.conversationId);
      return { ok: true, activityId: 'posted' };
    },
    update: async (to) => {
      sent.push(to.conversationId);
      return { ok: true };
    },
    meetingParticipant: async () => ({ kind: 'unavailable' }),
    conversationMember: async () => 'unavailable',
  };
}

const delivery = (tenantId: string): Delivery => ({
  id: `to-${tenantId}`,
  to: { conversationId: `a:chat-in-${tenantId}`, serviceUrl: 'http://127.0.0.1:9/', tenantId, botId: '28:bot', conversationKind: 'personal' },
  action: 'post',
  message: { kind: 'text', text: 'The request has been accepted.' },
  status: 'pending',
  attempts: 0,
  notBefore: '2026-11-27T10:00:00.000Z',
  createdAt: '2026-11-27T10:00:00.000Z',
  reportFailure: true,
});

test('a delivery queued for a tenant since taken off the allow-list is settled unsent; one still served is sent', async () => {
  const sent: string[] = [];
  const sender = requestSender(loadProfile(DEFAULT_PROFILE_PATH), recordingConnector(sent), async () => true, [SERVED]);
  expect(await sender.send(delivery(DROPPED), request('accepted'))).toEqual({ ok: true, withheld: 'tenantNotServed' });
  expect(sent).toEqual([]);
  expect(await sender.send(delivery(SERVED), request('accepted'))).toMatchObject({ ok: true });
  expect(sent).toEqual([`a:chat-in-${SERVED}`]);
  // With no allow-list, every tenant is served.
  const open = requestSender(loadProfile(DEFAULT_PROFILE_PATH), recordingConnector(sent), async () => true);
  await open.send(delivery(DROPPED), request('accepted'));
  expect(sent).toEqual([`a:chat-in-${SERVED}`, `a:chat-in-${DROPPED}`]);
});

test('whether a personal chat is still one of the pool’s takes one read of the pool and one search of people, however many named facilitators there are', async () => {
  const facilitators = Array.from({ length: 30 }, (_, i) => ({ aadObjectId: `6a1f2c3d-0000-4000-8000-${String(i).padStart(12, '0')}`, addedBy: 'admin', addedAt: '2026-11-01T00:00:00.000Z' }));
  const calls: string[] = [];
  const pool = { get: async () => (calls.push('pool'), { id: 'facilitatorPool' as const, facilitators, audit: [], updatedAt: '', ttl: -1 as const }) };
  const people = {
    get: async () => (calls.push('person'), undefined),
    withPersonalChat: async (conversationId: string) => (calls.push('search'), conversationId === 'a:chat-7' ? [facilitators[7]!.aadObjectId.toUpperCase()] : ['6a1f2c3d-0000-4000-8000-0000000fffff']),
  };
  const holds = poolHolds(pool as never, people as never);
  const chat = (conversationId: string) => ({ conversationId, serviceUrl: 'http://127.0.0.1:9/', tenantId: 't', botId: 'b', conversationKind: 'personal' });
  expect(await holds(chat('a:chat-7'), request('submitted'))).toBe(true);
  expect(calls).toEqual(['pool', 'search']);
  // Someone's chat, but not a named facilitator's.
  expect(await holds(chat('a:someone-else'), request('submitted'))).toBe(false);
});
