/**
 * The outbox: messages a change causes are added to the same document in the same write, then
 * sent by the dispatcher. These pure functions add, settle and schedule deliveries.
 */
import type { ConversationAddress } from '../store/people';
import type { Audience, Delivery, FacilitatorRequest, OutboxMessage, RequestAuditWhat, Withheld } from './types';
import { NO_ONE } from '../rethink/types';

/** Tries before a delivery is given up on; with the back-off below (capped at 4 hours), about a day. */
export const MAX_ATTEMPTS = 20;
const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 4 * 60 * 60 * 1000;

export interface Enqueue {
  to: ConversationAddress;
  message: OutboxMessage;
  action?: 'post' | 'update';
  activityId?: string;
  reportFailure?: boolean;
}

export function enqueue(doc: FacilitatorRequest, items: readonly Enqueue[], now: Date, newId: () => string): FacilitatorRequest {
  const outbox = [...doc.outbox];
  for (const item of items) {
    // A pending update of the same card already sends the latest state: one is enough.
    if (item.action === 'update' && outbox.some((d) => d.status === 'pending' && d.action === 'update' && d.activityId === item.activityId && d.to.conversationId === item.to.conversationId)) continue;
    outbox.push({
      id: newId(),
      to: item.to,
      action: item.action ?? 'post',
      ...(item.activityId ? { activityId: item.activityId } : {}),
      message: item.message,
      status: 'pending',
      attempts: 0,
      notBefore: now.toISOString(),
      createdAt: now.toISOString(),
      reportFailure: item.reportFailure ?? true,
    });
  }
  return withDueAt({ ...doc, outbox });
}

/** Updates every posted copy of the request card, so everyone sees the change. */
export const updateCopies = (doc: FacilitatorRequest): Enqueue[] =>
  doc.cards.map((copy) => ({ to: copy.to, action: 'update' as const, activityId: copy.activityId, message: { kind: 'requestCard' as const, audience: copy.audience } }));

/**
 * Settled deliveries kept on the request, the latest: what each was is in the audit trail, so older
 * ones go (every change queues an update for every copy of the card, and the record must stay within
 * what the store can hold).
 */
export const SETTLED_KEPT = 20;

function withDueAt(doc: FacilitatorRequest): FacilitatorRequest {
  const due = doc.outbox
    .filter((d) => d.status === 'pending')
    .map((d) => d.notBefore)
    .sort()[0];
  const settled = doc.outbox.filter((d) => d.status !== 'pending');
  const dropped = new Set(settled.slice(0, Math.max(0, settled.length - SETTLED_KEPT)));
  const next = dropped.size > 0 ? { ...doc, outbox: doc.outbox.filter((d) => !dropped.has(d)) } : { ...doc };
  if (due) next.outboxDueAt = due;
  else delete next.outboxDueAt;
  return next;
}

const settle = (doc: FacilitatorRequest, id: string, change: (d: Delivery) => Delivery): FacilitatorRequest =>
  withDueAt({ ...doc, outbox: doc.outbox.map((d) => (d.id === id && d.status === 'pending' ? change(d) : d)) });

/** Sent: a posted request card becomes a copy to keep up to date, and catches up if it changed meanwhile. */
const WITHHELD: Record<Withheld, RequestAuditWhat> = { leftPool: 'withheldFromPool', tenantNotServed: 'withheldTenantNotServed', nothingToSend: 'nothingToSend' };

export function markSent(doc: FacilitatorRequest, id: string, activityId: string | undefined, renderedRevision: number, now: Date, newId: () => string, withheld?: Withheld): FacilitatorRequest {
  const delivery = doc.outbox.find((d) => d.id === id);
  if (!delivery || delivery.status !== 'pending') return doc;
  let next = settle(doc, id, (d) => ({ ...d, status: 'sent', attempts: d.attempts + 1, sentAt: now.toISOString(), ...(activityId ? { activityId } : {}) }));
  next = { ...next, audit: [...next.audit, { at: now.toISOString(), by: NO_ONE.delivery, what: withheld ? WITHHELD[withheld] : 'delivered', ref: id }] };
  // A chat no longer in the pool, or no longer served: its copy is not kept up to date any more.
  if (withheld) return { ...next, cards: next.cards.filter((c) => !(c.activityId === delivery.activityId && c.to.conversationId === delivery.to.conversationId)) };
  const { message } = delivery;
  if (message.kind !== 'requestCard') return next;
  const cardId = delivery.action === 'post' ? activityId : delivery.activityId;
  if (!cardId) return next;
  if (delivery.action === 'post') next = { ...next, cards: [...next.cards, { to: delivery.to, activityId: cardId, audience: message.audience as Audience }] };
  // The request changed while this card was on its way: send the latest.
  if (next.revision !== renderedRevision) next = enqueue(next, [{ to: delivery.to, action: 'update', activityId: cardId, message }], now, newId);
  return next;
}

/**
 * Teams asking to wait: a 429 that says how long. Not a failed try, as throttling can last minutes;
 * a 429 that doesn't say is counted, so its back-off grows as any failure's does.
 */
export const throttled = (status: number, retryAfterMs: number | undefined): boolean => status === 429 && retryAfterMs !== undefined;

/**
 * Teams' final answers, which trying again cannot change: the app removed or blocked there (403), the
 * conversation or message gone (404), a message Teams will never take (400), or one too large (413).
 */
export const refusedForGood = (status: number): boolean => status === 400 || status === 403 || status === 404 || status === 413;

/**
 * Try again later: after Retry-After when Teams gives one, otherwise with exponential back-off and
 * jitter. Throttling is per conversation, so everything else waiting for it waits as long.
 */
export function markRetry(doc: FacilitatorRequest, id: string, status: number, retryAfterMs: number | undefined, now: Date, random = Math.random): FacilitatorRequest {
  const delivery = doc.outbox.find((d) => d.id === id);
  if (!delivery || delivery.status !== 'pending') return doc;
  // Teams asking to wait is not a failed try (see verdictFor).
  const attempts = throttled(status, retryAfterMs) ? delivery.attempts : delivery.attempts + 1;
  const backoff = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** delivery.attempts) * (0.5 + random() / 2);
  // As Teams asks, but never longer than the longest back-off: a Retry-After of days would hold a request that long.
  const notBefore = new Date(now.getTime() + (retryAfterMs !== undefined ? Math.min(Math.max(retryAfterMs, 0), MAX_DELAY_MS) : backoff)).toISOString();
  const throttledHere = (d: Delivery) => retryAfterMs !== undefined && d.status === 'pending' && d.to.conversationId === delivery.to.conversationId && d.notBefore < notBefore;
  return withDueAt({
    ...doc,
    outbox: doc.outbox.map((d) => (d.id === id ? { ...d, attempts, lastStatus: status, notBefore } : throttledHere(d) ? { ...d, notBefore } : d)),
  });
}

/** Given up on: the app was removed or blocked (403), or tries ran out. Administrators are told. */
/**
 * A delivery Teams will never take. The administrators are told whose chat it was (as far as the
 * request itself says: `owner` names anyone else, such as a named facilitator) and what to do, once
 * per chat within an hour: a card and its document failing together are one notice.
 */
export function markFailed(doc: FacilitatorRequest, id: string, status: number, now: Date, newId: () => string, administrators: readonly ConversationAddress[], owner?: string): FacilitatorRequest {
  const delivery = doc.outbox.find((d) => d.id === id);
  if (!delivery || delivery.status !== 'pending') return doc;
  let next = settle(doc, id, (d) => ({ ...d, status: 'failed', attempts: d.attempts + 1, lastStatus: status }));
  next = { ...next, audit: [...next.audit, { at: now.toISOString(), by: NO_ONE.delivery, what: 'deliveryFailed', ref: id }] };
  // A card that can no longer be updated is not tried (nor reported) again at every change.
  if (delivery.action === 'update') next = { ...next, cards: next.cards.filter((c) => !(c.activityId === delivery.activityId && c.to.conversationId === delivery.to.conversationId)) };
  if (!delivery.reportFailure) return next;
  // When each delivery failed for good is in the audit trail (one retried for a day failed long after it was queued).
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  const failedAt = new Map(doc.audit.filter((a) => a.what === 'deliveryFailed' && a.ref !== undefined).map((a) => [a.ref, a.at]));
  const toldAlready = doc.outbox.some((d) => d.id !== id && d.status === 'failed' && d.reportFailure && d.to.conversationId === delivery.to.conversationId && (failedAt.get(d.id) ?? '') >= hourAgo);
  if (toldAlready) return next;
  const text = `Re-think couldn’t deliver a message about the facilitator request for case ${doc.caseReference} to ${whoseChat(doc, delivery.to, owner)}. ${whatToDo(delivery, status)}`;
  return enqueue(next, administrators.map((to) => ({ to, message: { kind: 'text' as const, text }, reportFailure: false })), now, newId);
}

/** Whose chat a delivery was for, as the request knows it. */
function whoseChat(doc: FacilitatorRequest, to: ConversationAddress, owner: string | undefined): string {
  if (to.conversationKind === 'channel') return 'the facilitator channel';
  if (to.conversationKind !== 'personal') return 'the chat the request was made in';
  if (to.conversationId === doc.requesterChat?.conversationId) return `${doc.requester.name}’s personal chat with Re-think (they made the request)`;
  if (doc.accepted && to.conversationId === doc.accepted.chat?.conversationId) return `${doc.accepted.by.name}’s personal chat with Re-think (the facilitator who accepted it)`;
  return owner ?? 'a personal chat with Re-think';
}

function whatToDo(delivery: Delivery, status: number): string {
  if (status === 404 && delivery.action === 'update') return 'The card there may have been deleted: nothing else is affected, and later messages are still sent.';
  if (status === 403 || status === 404) {
    if (delivery.to.conversationKind === 'channel') return 'Teams refused it: Re-think may have been removed from that team. Please add it to the team again, or set another facilitator channel.';
    if (delivery.to.conversationKind !== 'personal') return 'Teams refused it: Re-think may have been removed from that chat. Please ask someone in it to add Re-think again.';
    return 'Teams refused it: usually Re-think has been removed there, or blocked. Please ask them to add Re-think again (in Teams: Apps, then Re-think, then Add).';
  }
  if (status === 400 || status === 413) return 'Teams did not accept the message. If it happens again, please tell whoever supports Re-think.';
  return `It failed ${MAX_ATTEMPTS} times (last status ${status || 'no answer'}). Teams may be having problems: later messages are still sent.`;
}

export const pendingDue = (doc: FacilitatorRequest, now: Date): Delivery[] => doc.outbox.filter((d) => d.status === 'pending' && d.notBefore <= now.toISOString());
