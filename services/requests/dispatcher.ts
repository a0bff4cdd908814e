/**
 * Sends what the outbox holds. Runs in every instance: a lease in the document keeps two instances
 * from sending the same message, and pending deliveries outlive a restart because they live in the
 * store. A delivery is marked sent only after Teams took it, so nothing is lost; Teams offers no way
 * to post idempotently, so a crash between sending and recording could repeat one message.
 */
import { errorKind, type Logger } from '../logging';
import type { Result } from '../result';
import type { ConversationAddress } from '../store/people';
import type { Stored } from '../store/repository';
import type { RequestRepository } from '../store/requests';
import { markFailed, markRetry, markSent, MAX_ATTEMPTS, pendingDue, refusedForGood, throttled } from './outbox';
import type { RateLimiter } from './rateLimiter';
import type { Delivery, FacilitatorRequest, Withheld } from './types';

/**
 * What Teams answered: the posted activity's id, or the HTTP status (0: timeout or network failure).
 * `withheld`: settled without sending it, and why, so the audit trail says what happened.
 */
export type SendOutcome = { ok: true; activityId?: string; withheld?: Withheld } | { ok: false; status: number; retryAfterMs?: number };

/** Renders and sends one delivery; implemented by the bot layer. */
export interface Sender {
  send(delivery: Delivery, request: FacilitatorRequest): Promise<SendOutcome>;
  /** Replaces what a delivery just put in a chat (its activity), the request's record having been erased meanwhile. */
  erased(delivery: Delivery, activityId: string): Promise<SendOutcome>;
}

export interface DispatcherOptions {
  readonly requests: RequestRepository;
  readonly sender: Sender;
  readonly limiter: RateLimiter;
  readonly log: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** This instance's name in leases. */
  readonly owner: string;
  /** Where administrators are told of deliveries that failed for good. */
  readonly administrators: () => Promise<ConversationAddress[]>;
  /** Whose personal chat this is, for telling administrators (a named facilitator, someone from the case): a few reads, only on a failure. */
  readonly chatOwner?: (doc: FacilitatorRequest, to: ConversationAddress) => Promise<string | undefined>;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /** Occasional upkeep beside the deliveries (every twelfth sweep), e.g. completing requests left behind. */
  readonly housekeeping?: () => Promise<void>;
}

type Verdict = 'sent' | 'retry' | 'failed';

/**
 * Teams' final answers (`refusedForGood`) fail the delivery at once. Teams asking to wait (`throttled`) is not a failed try:
 * throttling can last minutes, and a request must not be given up for it. Only a day of it gives up.
 */
export function verdictFor(outcome: SendOutcome, delivery: Pick<Delivery, 'attempts' | 'createdAt'>, now: Date): Verdict {
  if (outcome.ok) return 'sent';
  if (refusedForGood(outcome.status)) return 'failed';
  if (throttled(outcome.status, outcome.retryAfterMs)) return now.getTime() - Date.parse(delivery.createdAt) >= THROTTLED_FOR_MS ? 'failed' : 'retry';
  return delivery.attempts + 1 >= MAX_ATTEMPTS ? 'failed' : 'retry';
}

/** How long a delivery Teams keeps throttling is tried for. */
export const THROTTLED_FOR_MS = 24 * 60 * 60 * 1000;

export class Dispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: DispatcherOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.pollMs = o.pollMs ?? 5_000;
  }

  /** Looks for due deliveries now and every `pollMs`: those left by a restart, and retries coming due. */
  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    tick();
  }

  /** Delivers a request's pending messages now (called right after the change that queued them). */
  kick(id: string): void {
    if (this.stopped) return;
    if (this.running.has(id)) {
      this.again.add(id);
      return;
    }
    const run = this.dispatch(id)
      .catch((error: unknown) => this.o.log.warn({ err: errorKind(error), request: id }, 'delivery round failed; it will be retried'))
      .finally(() => {
        this.running.delete(id);
        if (this.again.delete(id)) this.kick(id);
      });
    this.running.set(id, run);
  }

  private sweeps = 0;

  async sweep(): Promise<void> {
    if (this.o.housekeeping && this.sweeps++ % 12 === 0) {
      await this.o.housekeeping().catch((error: unknown) => this.o.log.warn({ err: errorKind(error) }, 'housekeeping failed; it runs again later'));
    }
    try {
      const ids = await this.o.requests.due(this.o.clock(), 50);
      for (const id of ids) this.kick(id);
    } catch (error) {
      this.o.log.warn({ err: errorKind(error) }, 'could not look for due deliveries');
    }
  }

  /** Resolves when no delivery round is under way. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.sweeping) await Promise.allSettled([...this.running.values(), this.sweeping]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle();
  }

  /** Takes (or extends) the lease unless another instance holds a live one. */
  private lease(doc: Stored<FacilitatorRequest>, needDue: boolean): Result<FacilitatorRequest> {
    const now = this.o.clock();
    const lease = doc.outboxLease;
    if (lease && lease.owner !== this.o.owner && lease.until > now.toISOString()) return { ok: false, error: { code: 'notAllowed', message: 'leased' } };
    if (needDue && pendingDue(doc, now).length === 0) return { ok: false, error: { code: 'notFound', message: 'nothing due' } };
    return { ok: true, value: { ...doc, outboxLease: { owner: this.o.owner, until: new Date(now.getTime() + this.leaseMs).toISOString() } } };
  }

  private async dispatch(id: string): Promise<void> {
    const claimed = await this.update(id, (doc) => this.lease(doc, true));
    if (!claimed) return;
    let doc: Stored<FacilitatorRequest> = claimed;
    try {
      for (let due = pendingDue(doc, this.o.clock()); due.length > 0 && !this.stopped; due = pendingDue(doc, this.o.clock())) {
        const [delivery] = due;
        if (!delivery) break;
        // Teams' limits for that chat first: the wait (up to a Retry-After) may outlast the lease.
        await this.o.limiter.take(delivery.to.conversationId);
        // Waiting (rate limits, a slow send) may have used up the lease: renew it before sending,
        // and stop if another instance has taken over (it sends this delivery instead).
        if (doc.outboxLease && Date.parse(doc.outboxLease.until) - this.o.clock().getTime() < this.leaseMs / 2) {
          const renewed = await this.update(id, (current) => this.lease(current, false), doc);
          if (!renewed) return;
          doc = renewed;
          // Another instance held it meanwhile and may have sent this one already: only what is still pending.
          if (!doc.outbox.some((d) => d.id === delivery.id && d.status === 'pending')) continue;
        }
        const next = await this.deliver(doc, delivery);
        if (!next) return;
        doc = next;
      }
    } finally {
      await this.update(id, (current) => {
        if (current.outboxLease?.owner !== this.o.owner) return { ok: false, error: { code: 'notAllowed', message: 'not ours' } };
        const released: FacilitatorRequest = { ...current };
        delete released.outboxLease;
        return { ok: true, value: released };
      }, doc).catch(() => undefined);
    }
  }

  private async deliver(doc: Stored<FacilitatorRequest>, delivery: Delivery): Promise<Stored<FacilitatorRequest> | undefined> {
    const outcome = await this.o.sender.send(delivery, doc).catch((): SendOutcome => ({ ok: false, status: 0 }));
    if (!outcome.ok && outcome.retryAfterMs !== undefined) this.o.limiter.block(delivery.to.conversationId, outcome.retryAfterMs);
    const verdict = verdictFor(outcome, delivery, this.o.clock());
    const log = this.o.log.child({ request: doc.id, delivery: delivery.id, message: delivery.message.kind, action: delivery.action });
    const administrators = verdict === 'failed' ? await this.o.administrators().catch(() => []) : [];
    const owner = verdict === 'failed' && administrators.length > 0 ? await this.o.chatOwner?.(doc, delivery.to).catch(() => undefined) : undefined;
    const now = this.o.clock();
    // What happened is recorded whoever holds the lease now: it was sent (or not) either way.
    const recorded = await this.o.requests.update(doc.id, (current) => {
      let next: FacilitatorRequest;
      if (outcome.ok) next = markSent(current, delivery.id, outcome.activityId, doc.revision, now, this.o.newId, outcome.withheld);
      else if (verdict === 'retry') next = markRetry(current, delivery.id, outcome.status, outcome.retryAfterMs, now);
      else next = markFailed(current, delivery.id, outcome.status, now, this.o.newId, administrators, owner);
      const stillOurs = !current.outboxLease || current.outboxLease.owner === this.o.owner;
      return { ok: true, value: stillOurs ? { ...next, outboxLease: { owner: this.o.owner, until: new Date(now.getTime() + this.leaseMs).toISOString() } } : next };
    }, doc);
    const updated = recorded.kind === 'updated' ? recorded.doc : undefined;
    // Its case erased while this was on its way: no erasure knew of what it put in the chat, so it goes now.
    const landed = outcome.ok && !outcome.withheld ? (outcome.activityId ?? (delivery.action === 'update' ? delivery.activityId : undefined)) : undefined;
    if (recorded.kind === 'notFound' && landed) {
      const replaced = await this.o.sender.erased(delivery, landed).catch((): SendOutcome => ({ ok: false, status: 0 }));
      if (!replaced.ok) log.warn({ status: replaced.status }, 'a message sent as its request was erased could not be replaced');
    }
    if (outcome.ok) log.debug('delivered');
    else if (verdict === 'retry') log.info({ status: outcome.status, attempts: delivery.attempts + 1 }, 'delivery failed; will retry');
    else if (administrators.length > 0) log.warn({ status: outcome.status }, 'delivery failed for good; administrators told');
    // Told to no one: administrators are reached only in their personal chats with Re-think.
    else log.warn({ status: outcome.status }, 'delivery failed for good; no administrator could be told (none has Re-think added for themselves, or ADMIN_IDS is not set)');
    // Another instance took over while this one was sending: leave the rest to it.
    return updated && updated.outboxLease?.owner === this.o.owner ? updated : undefined;
  }

  /** `read`: the request as this round last saw it; the write is conditional on it, so a stale one is simply re-read. */
  private async update(id: string, apply: (doc: Stored<FacilitatorRequest>) => Result<FacilitatorRequest>, read?: Stored<FacilitatorRequest>): Promise<Stored<FacilitatorRequest> | undefined> {
    const outcome = await this.o.requests.update(id, apply, read);
    return outcome.kind === 'updated' ? outcome.doc : undefined;
  }
}
