/**
 * A pool of named facilitators only (no channel), where every one of them declines a request: the
 * requester and the administrators are told, rather than it waiting in silence.
 */
import { message, person, users, type TestConversation } from '../helpers/activities';
import { send, startTestBed, type TestBed } from '../helpers/harness';
import { COMPLETE_FORM, installPersonally, openRequestForm, personalChat, pressIn, submitForm } from '../helpers/journeys';

const admin = users.isaiah;
const requester = users.alex;
const [first, second, unreachable] = [person(41), person(42), person(43)];

let bed: TestBed;
const say = (conversation: TestConversation, text: string) => send(bed.app, message(text, { user: admin, conversation, serviceUrl: bed.connector.serviceUrl }));
const textsIn = (user: typeof admin): string[] => bed.connector.posts(personalChat(user).id).map((p) => p.activity.text ?? '');

beforeAll(async () => {
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId }, delivery: { pollMs: 100, leaseMs: 2_000, sendTimeoutMs: 900 } });
  for (const user of [admin, requester, first, second]) await installPersonally(bed.app, bed.connector, user);
  // The third named facilitator never added Re-think: requests can't reach them, so they can't decline either.
  for (const f of [first, second, unreachable]) await say(personalChat(admin), `add facilitator ${f.aadObjectId}`);
});
afterAll(() => bed.stop());

test('when every facilitator who can be reached has declined, the requester and the administrators are told; not before', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0901');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  await bed.app.idle();
  const told = (user: typeof admin) => textsIn(user).filter((t) => t.startsWith('Every independent facilitator who can be reached has'));

  await pressIn(bed.app, bed.connector, personalChat(first), first, 'declineRequest', { requestId });
  await bed.app.idle();
  expect(told(requester)).toEqual([]);
  expect(told(admin)).toEqual([]);

  await pressIn(bed.app, bed.connector, personalChat(second), second, 'declineRequest', { requestId });
  await bed.connector.waitFor((c) => c.conversationId === personalChat(admin).id && (c.activity.text ?? '').startsWith('Every independent facilitator'));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').startsWith('Every independent facilitator'));
  expect(told(requester)).toEqual([
    'Every independent facilitator who can be reached has now declined your request for case PSCP-2026-0901 (a facilitator may know the family or the professionals involved). It stays open, and the partnership’s administrators have been told, so that another facilitator can be found. You can also withdraw it from its card.',
  ]);
  expect(told(admin)).toEqual([expect.stringMatching(/^Every independent facilitator who can be reached has declined the request for case PSCP-2026-0901, made by Alex Wilber on .+\. It is waiting with no one left to accept it: please add another facilitator/)]);
  expect((await bed.db.request(requestId))?.status).toBe('submitted');
}, 60_000);

test('removing the last facilitator who can be reached says how many waiting requests now reach no one', async () => {
  await say(personalChat(admin), `remove facilitator ${first.aadObjectId}`);
  expect(textsIn(admin).at(-1)).toMatch(/^Removed \S+\. The pool now has 2 named facilitators\.$/);
  await say(personalChat(admin), `remove facilitator ${second.aadObjectId}`);
  expect(textsIn(admin).at(-1)).toMatch(/^Removed \S+\. The pool now has 1 named facilitator\. No one in the pool can be reached now: the request waiting for a facilitator reaches no one until you add a facilitator or set a facilitator channel\.$/);
});

test('a facilitator channel can be seen, and taken away: its copies of open requests then say so, and what is left of the pool is told', async () => {
  const channel: TestConversation = { id: '19:d1e2c3l4i5n6e7s8@thread.tacv2', conversationType: 'channel', isGroup: true };
  await say(channel, 'set facilitator channel');
  const offered = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes('PSCP-2026-0901'));
  await say(channel, 'facilitators');
  expect(bed.connector.posts(channel.id).at(-1)?.activity.text).toMatch(/^Requests are posted in the facilitator channel \(this channel\), set on .+ \(to move it, type \*\*@Re-think set facilitator channel\*\* in another; to stop, \*\*@Re-think remove facilitator channel\*\*\)\./);
  await say(personalChat(admin), 'remove facilitator channel');
  expect(textsIn(admin).at(-1)).toBe(
    'Done: requests are no longer posted in the facilitator channel, and its copies of open requests now say so. The pool now has 1 named facilitator. No one in the pool can be reached now: the request waiting for a facilitator reaches no one until you add a facilitator or set a facilitator channel.',
  );
  await bed.connector.waitFor((c) => c.method === 'PUT' && c.conversationId === channel.id && c.activityId === offered.activityId && (c.activity.text ?? '').includes('no longer part of the partnership’s pool'));
  await say(personalChat(admin), 'remove facilitator channel');
  expect(textsIn(admin).at(-1)).toBe('No facilitator channel is set, so nothing has changed. Type **facilitators** to see the pool.');
  const pool = (await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ channel?: unknown; audit: { what: string; ref?: string }[] }>()).resource;
  expect(pool?.channel).toBeUndefined();
  expect(pool?.audit.at(-1)).toMatchObject({ what: 'channelRemoved', ref: channel.id });
}, 30_000);
