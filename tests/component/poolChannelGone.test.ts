/**
 * The facilitator channel gone, as Teams says (the channel deleted, its team archived, Re-think
 * removed from the team): it is taken out of the pool, as `remove facilitator channel` would, and the
 * administrators are told in their personal chats. Anything else deleted or removed changes nothing.
 */
import { message, teamEvent, uninstalled, users, type TestConversation } from '../helpers/activities';
import { COMPLETE_FORM, installPersonally, openRequestForm, personalChat, submitForm } from '../helpers/journeys';
import { send, startTestBed, type TestBed } from '../helpers/harness';

const admin = users.isaiah;
const requester = users.alex;
const TEAM = '19:t3e4a5m6facilitators@thread.tacv2';
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId } });
  await installPersonally(bed.app, bed.connector, admin);
  await installPersonally(bed.app, bed.connector, requester);
});
afterAll(() => bed.stop());

const channel = (id: string): TestConversation => ({ id, conversationType: 'channel', isGroup: true });
const inTeam = (activity: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...activity, channelData: { ...(activity.channelData as object), team: { id: TEAM, name: 'Facilitators' }, ...extra } });
const where = (conversation: TestConversation) => ({ user: admin, conversation, serviceUrl: bed.connector.serviceUrl });

async function setChannel(id: string): Promise<void> {
  await send(bed.app, inTeam(message('set facilitator channel', where(channel(`${id};messageid=1`)))));
  expect((await pool())?.channel?.conversationId).toBe(id);
}
const pool = async () => (await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ channel?: { conversationId: string; teamId?: string }; audit: { what: string; by: string }[] }>()).resource;
const told = (): string[] =>
  bed.connector
    .posts(personalChat(admin).id)
    .map((p) => p.activity.text ?? '')
    .filter((t) => t.startsWith('Teams says the facilitator channel can no longer be reached'));

const inTheTeam = (eventType: string, extra: Record<string, unknown> = {}) => teamEvent(where(channel(TEAM)), TEAM, eventType, extra);

test('the channel deleted: taken out of the pool, the administrators are told, and so is the requester of a request it leaves with no one to reach; another channel deleted changes nothing', async () => {
  await setChannel('19:c1h2a3n4gone@thread.tacv2');
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0977');
  await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  expect((await pool())?.channel?.teamId).toBe(TEAM);
  await send(bed.app, inTheTeam('channelDeleted', { channel: { id: '19:s0m3other@thread.tacv2', name: 'Other' } }));
  await bed.app.idle();
  expect((await pool())?.channel).toBeDefined();
  expect(told()).toEqual([]);

  await send(bed.app, inTheTeam('channelDeleted', { channel: { id: '19:c1h2a3n4gone@thread.tacv2', name: 'Requests' } }));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(admin).id && (c.activity.text ?? '').startsWith('Teams says'));
  expect((await pool())?.channel).toBeUndefined();
  expect((await pool())?.audit.at(-1)).toMatchObject({ what: 'channelGone', by: 'teams' });
  expect(told()).toEqual([expect.stringContaining('(the channel was deleted), so it has been taken out of the facilitator pool')]);
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').startsWith('No independent facilitator can be reached just now for your request for case PSCP-2026-0977'));
  // The request's trail names Teams for what followed, not whoever's activity carried the news.
  const { resources } = await bed.db.requests.items.query<{ audit: { what: string; by: string }[] }>({ query: 'SELECT * FROM c WHERE c.caseReference = @c', parameters: [{ name: '@c', value: 'PSCP-2026-0977' }] }).fetchAll();
  expect(resources[0]?.audit.filter((a) => a.what === 'leftPool' || a.what === 'noOneLeft')).toEqual([expect.objectContaining({ what: 'leftPool', by: 'teams' }), expect.objectContaining({ what: 'noOneLeft', by: 'teams' })]);
});

test('the team archived, or Re-think removed from the team: the same, once', async () => {
  await setChannel('19:c5h6a7n8archived@thread.tacv2');
  const before = told().length;
  await send(bed.app, inTheTeam('teamArchived'));
  await bed.connector.waitFor(() => told().length > before);
  expect((await pool())?.channel).toBeUndefined();
  expect(told().at(-1)).toContain('(its team was archived or deleted)');

  await setChannel('19:c9h0a1n2removed@thread.tacv2');
  const removed = inTeam(uninstalled(where(channel(TEAM))));
  await send(bed.app, removed);
  await bed.connector.waitFor(() => told().length > before + 1);
  expect((await pool())?.channel).toBeUndefined();
  expect(told().at(-1)).toContain('(Re-think was removed from its team)');
  // Told again (Teams redelivering it): nothing more.
  await send(bed.app, removed);
  await bed.app.idle();
  expect(told()).toHaveLength(before + 2);
});

test('a channel set before its team was kept learns it when set again there, so its team archived is recognised; its history gains nothing', async () => {
  const id = '19:c3h4a5n6older@thread.tacv2';
  await setChannel(id);
  // As an older version left it: no team.
  const { resource: stored } = await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ channel: { teamId?: string } }>();
  if (!stored) throw new Error('no pool');
  delete stored.channel.teamId;
  await bed.db.settings.items.upsert(stored);
  const history = (await pool())?.audit.length;
  await send(bed.app, inTeam(message('set facilitator channel', where(channel(`${id};messageid=2`)))));
  expect((await pool())?.channel?.teamId).toBe(TEAM);
  expect((await pool())?.audit).toHaveLength(history ?? 0);
  const before = told().length;
  await send(bed.app, inTheTeam('teamArchived'));
  await bed.connector.waitFor(() => told().length > before);
  expect((await pool())?.channel).toBeUndefined();
});
