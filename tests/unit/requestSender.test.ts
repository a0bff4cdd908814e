import { requestSender } from '../../bot/requestSender';
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
