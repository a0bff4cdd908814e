/** The outbox and its dispatcher's rules, without Teams or a store. */
import path from 'node:path';
import { loadProfile } from '../../services/profile/load';
import { THROTTLED_FOR_MS, verdictFor } from '../../services/requests/dispatcher';
import { acceptRequest, submitRequest } from '../../services/requests/lifecycle';
import { enqueue, markFailed, markRetry, markSent, MAX_ATTEMPTS, SETTLED_KEPT } from '../../services/requests/outbox';
import { RateLimiter } from '../../services/requests/rateLimiter';
import { request } from '../fixtures/cards/requests';

const profile = loadProfile(path.join(__dirname, '../../services/profile/portsmouth.json'));
const NOW = new Date('2026-11-26T09:00:00Z');
let n = 0;
const ctx = { now: NOW, newId: () => `id${++n}`, profile };
const chat = (id: string) => ({ conversationId: id, serviceUrl: 'http://127.0.0.1:9/', tenantId: 't', botId: 'b', conversationKind: 'personal' });

function submitted() {
  const base = request('submitted');
  const result = submitRequest(
    { id: 'r1', tenantId: 't', caseReference: base.caseReference, requester: base.requester, requestedIn: base.requestedIn, requesterChat: chat('a:req'), formActivityId: 'form1', form: base.form, history: base.history, network: [] },
    { channel: chat('19:pool'), facilitators: [chat('a:fac')] },
    ctx,
  );
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

test('a submitted request holds its notifications: the pool’s cards, the requester’s copy updated, the document offered', () => {
  const r = submitted();
  expect(r.outbox.map((d) => [d.action, d.to.conversationId, d.message.kind])).toEqual([
    ['post', '19:pool', 'requestCard'],
    ['post', 'a:fac', 'requestCard'],
    ['update', '19:group@thread.v2', 'requestCard'],
    ['post', 'a:req', 'document'],
  ]);
  expect(r.outboxDueAt).toBe(NOW.toISOString());
});

test('no pool yet: refused with a clear message, nothing made', () => {
  const base = request('submitted');
  const result = submitRequest({ id: 'r1', tenantId: 't', caseReference: base.caseReference, requester: base.requester, requestedIn: base.requestedIn, form: base.form, history: base.history, network: [] }, { facilitators: [] }, ctx);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.message).toContain('No independent facilitators can be reached just now');
});

test('sent: a posted request card becomes a copy to keep up to date; one changed on its way is updated again', () => {
  let r = submitted();
  const [poolPost] = r.outbox;
  if (!poolPost) throw new Error('no delivery');
  const accepted = acceptRequest(r, { id: 'f1', name: 'Adele' }, undefined, 'act1', ctx);
  if (!accepted.ok) throw new Error('not accepted');
  r = markSent(accepted.value, poolPost.id, 'posted-1', 1, NOW, ctx.newId);
  expect(r.cards).toContainEqual({ to: chat('19:pool'), activityId: 'posted-1', audience: 'pool' });
  expect(r.outbox.filter((d) => d.action === 'update' && d.activityId === 'posted-1' && d.status === 'pending')).toHaveLength(1);
});

test('settled without sending: the audit trail says why (left the pool, tenant no longer served, nothing left to send), never that it was delivered', () => {
  const r = submitted();
  const [pool, named, , document] = r.outbox;
  if (!pool || !named || !document) throw new Error('no deliveries');
  let next = markSent(r, pool.id, undefined, r.revision, NOW, ctx.newId, 'leftPool');
  next = markSent(next, named.id, undefined, r.revision, NOW, ctx.newId, 'tenantNotServed');
  next = markSent(next, document.id, undefined, r.revision, NOW, ctx.newId, 'nothingToSend');
  const said = (id: string) => next.audit.filter((a) => a.ref === id).map((a) => a.what);
  expect([said(pool.id), said(named.id), said(document.id)]).toEqual([['withheldFromPool'], ['withheldTenantNotServed'], ['nothingToSend']]);
  expect(next.audit.some((a) => a.what === 'delivered')).toBe(false);
  expect(next.outbox.filter((d) => d.status === 'sent')).toHaveLength(3);
});

test('only the latest settled deliveries stay on the request (each is in the audit trail), so its record does not grow with every change', () => {
  let r = submitted();
  for (let round = 0; round < 15; round++) {
    r = enqueue(r, [{ to: chat(`a:someone-${round}`), message: { kind: 'text', text: 'A change.' } }, { to: chat(`a:other-${round}`), message: { kind: 'text', text: 'Another.' } }], NOW, ctx.newId);
    for (const d of r.outbox.filter((x) => x.status === 'pending')) r = markSent(r, d.id, `sent-${d.id}`, r.revision, NOW, ctx.newId);
  }
  const settled = r.outbox.filter((d) => d.status !== 'pending');
  expect(settled).toHaveLength(SETTLED_KEPT);
  // The latest kept; every one of them in the audit trail.
  expect(settled.at(-1)?.to.conversationId).toBe('a:other-14');
  expect(r.audit.filter((a) => a.what === 'delivered').length).toBeGreaterThan(SETTLED_KEPT);
});

test('retry honours Retry-After, otherwise backs off exponentially; 403 fails for good and tells administrators', () => {
  const r = submitted();
  const [first] = r.outbox;
  if (!first) throw new Error('no delivery');
  // Teams asking to wait is not a failed try.
  const throttled = markRetry(r, first.id, 429, 7_000, NOW);
  expect(throttled.outbox[0]).toMatchObject({ status: 'pending', attempts: 0, lastStatus: 429, notBefore: '2026-11-26T09:00:07.000Z' });
  // A Retry-After of days is waited no longer than the longest back-off, four hours.
  expect(markRetry(r, first.id, 429, 5 * 86_400_000, NOW).outbox[0]).toMatchObject({ notBefore: '2026-11-26T13:00:00.000Z' });
  const backedOff = markRetry(markRetry(throttled, first.id, 500, undefined, NOW, () => 1), first.id, 500, undefined, NOW, () => 1);
  expect(backedOff.outbox[0]).toMatchObject({ attempts: 2, notBefore: '2026-11-26T09:00:04.000Z' });
  const failed = markFailed(r, first.id, 403, NOW, ctx.newId, [chat('a:admin')]);
  expect(failed.outbox[0]).toMatchObject({ status: 'failed', lastStatus: 403 });
  const told = failed.outbox.find((d) => d.to.conversationId === 'a:admin');
  expect(told).toMatchObject({ message: { kind: 'text' }, reportFailure: false });
  const queued = { attempts: 0, createdAt: NOW.toISOString() };
  expect(verdictFor({ ok: false, status: 403 }, queued, NOW)).toBe('failed');
  // Too large, or never acceptable: sending it again changes nothing.
  expect(verdictFor({ ok: false, status: 413 }, queued, NOW)).toBe('failed');
  expect(verdictFor({ ok: false, status: 400 }, queued, NOW)).toBe('failed');
  expect(verdictFor({ ok: false, status: 500 }, queued, NOW)).toBe('retry');
  expect(verdictFor({ ok: false, status: 0 }, { ...queued, attempts: MAX_ATTEMPTS - 1 }, NOW)).toBe('failed');
  // Throttled: tried again however many times, for a day.
  expect(verdictFor({ ok: false, status: 429, retryAfterMs: 1_000 }, { ...queued, attempts: MAX_ATTEMPTS - 1 }, NOW)).toBe('retry');
  expect(verdictFor({ ok: false, status: 429, retryAfterMs: 1_000 }, queued, new Date(NOW.getTime() + THROTTLED_FOR_MS))).toBe('failed');
  // A 429 that doesn't say how long to wait counts as a failed try, and backs off as one.
  expect(markRetry(r, first.id, 429, undefined, NOW, () => 1).outbox[0]).toMatchObject({ attempts: 1, notBefore: '2026-11-26T09:00:02.000Z' });
  expect(verdictFor({ ok: false, status: 429 }, { ...queued, attempts: MAX_ATTEMPTS - 1 }, NOW)).toBe('failed');
});

test('a failure reported to administrators names whose chat and what to do, once per chat however many of its messages failed there', () => {
  const base = submitted();
  const r = enqueue(base, [{ to: chat('a:req'), message: { kind: 'text', text: 'Your request was accepted.' }, reportFailure: true }], NOW, ctx.newId);
  const toRequester = r.outbox.filter((d) => d.to.conversationId === 'a:req');
  expect(toRequester).toHaveLength(2);
  const notices = (doc: typeof r) => doc.outbox.filter((d) => d.to.conversationId === 'a:admin').map((d) => (d.message.kind === 'text' ? d.message.text : ''));
  let doc = markFailed(r, toRequester[0]?.id ?? '', 403, NOW, ctx.newId, [chat('a:admin')]);
  doc = markFailed(doc, toRequester[1]?.id ?? '', 403, NOW, ctx.newId, [chat('a:admin')]);
  expect(notices(doc)).toEqual([
    `Re-think couldn’t deliver a message about the facilitator request for case ${base.caseReference} to ${base.requester.name}’s personal chat with Re-think (they made the request). Teams refused it: usually Re-think has been removed there, or blocked. Please ask them to add Re-think again (in Teams: Apps, then Re-think, then Add).`,
  ]);
  // Both retried for a day before failing for good: still one notice.
  const dayLater = new Date(NOW.getTime() + 86_400_000);
  let retried = markFailed(r, toRequester[0]?.id ?? '', 500, dayLater, ctx.newId, [chat('a:admin')]);
  retried = markFailed(retried, toRequester[1]?.id ?? '', 500, dayLater, ctx.newId, [chat('a:admin')]);
  expect(notices(retried)).toHaveLength(1);
  // A card someone deleted is only that.
  const update = base.outbox.find((d) => d.action === 'update');
  expect(notices(markFailed(base, update?.id ?? '', 404, NOW, ctx.newId, [chat('a:admin')]))).toEqual([
    `Re-think couldn’t deliver a message about the facilitator request for case ${base.caseReference} to the chat the request was made in. The card there may have been deleted: nothing else is affected, and later messages are still sent.`,
  ]);
  // The channel: what to do there; someone else, as the dispatcher names them.
  const channelPost = base.outbox.find((d) => d.to.conversationId === '19:pool');
  expect(notices(markFailed({ ...base, outbox: base.outbox.map((d) => (d.id === channelPost?.id ? { ...d, to: { ...d.to, conversationKind: 'channel' } } : d)) }, channelPost?.id ?? '', 403, NOW, ctx.newId, [chat('a:admin')]))[0]).toMatch(/to the facilitator channel\. Teams refused it: Re-think may have been removed from that team\. Please add it to the team again, or set another facilitator channel\.$/);
  const named = base.outbox.find((d) => d.to.conversationId === 'a:fac');
  expect(notices(markFailed(base, named?.id ?? '', 500, NOW, ctx.newId, [chat('a:admin')], 'Priya Shah’s personal chat with Re-think'))[0]).toMatch(/to Priya Shah’s personal chat with Re-think\. It failed \d+ times \(last status 500\)\./);
});

/** A limiter on a clock that moves only as it sleeps, with what it slept. */
function sleepingLimiter() {
  const time = { now: 0 };
  const slept: number[] = [];
  const limiter = new RateLimiter(undefined, () => time.now, async (ms) => {
    slept.push(ms);
    time.now += ms;
  });
  return { limiter, slept, time };
}

test('the rate limiter keeps to 7 a second and 60 in 30 seconds per conversation', async () => {
  const { limiter, slept, time } = sleepingLimiter();
  for (let i = 0; i < 7; i++) await limiter.take('c1');
  expect(slept).toEqual([]);
  await limiter.take('c1');
  expect(slept).toEqual([1_000]);
  await limiter.take('c2');
  expect(slept).toEqual([1_000]);
  for (let i = 0; i < 52; i++) await limiter.take('c1');
  expect(time.now).toBeLessThan(30_000);
  await limiter.take('c1');
  expect(time.now).toBeGreaterThanOrEqual(30_000);
});

test('the rate limiter holds a conversation for Teams’ Retry-After a minute at most, and forgets conversations not posted to lately', async () => {
  const { limiter, slept, time } = sleepingLimiter();
  // Thirty days asked: a timer that long would fire at once in Node, and the dispatcher would spin.
  limiter.block('c1', 30 * 86_400_000);
  await limiter.take('c1');
  expect(slept).toEqual([60_000]);
  for (let i = 0; i < 1_000; i++) await limiter.take(`chat-${i}`);
  expect(limiter.size).toBe(1_001);
  // Past the longest window, the next message finds the others forgotten.
  time.now += 31_000;
  await limiter.take('c1');
  expect(limiter.size).toBe(1);
});
