/**
 * Everyone's card, updated in place after the answer, so that it ends up showing the latest save
 * without reading the record again on the happy path.
 *
 * Within this instance, updates of one card go one at a time and an older save is never sent after
 * a newer one. Between instances only the record is shared; its `written` says which save it is,
 * which instance made it and when. The rules that keep every card right:
 * - an update that lands more than the window after its save is followed by a read of the latest
 *   (it may have overtaken a later update), and so is every card fetched from the store (it may be
 *   another instance's save, which that instance's queue does not order against this send);
 * - whoever saves within the window (plus clock skew) of a save by another instance fetches and
 *   sends the latest once that window has passed (the other update may still land after theirs);
 * - a failed send or read is tried again from the latest a window later, a few times.
 * So a card can only be left behind by its own save's update landing within its window, and then
 * the next save's instance either queued behind it, or resends once it must have landed.
 */
import type { AdaptiveCard } from '../cards/render';
import { errorKind, type Logger } from '../services/logging';
import type { SendOutcome } from '../services/requests/dispatcher';
import type { Written } from '../services/rethink/types';
import type { SharedCard, ShownCard } from './handlers/types';
import { conversationKey } from './turn';

export interface CardTiming {
  /** An update landing later than this after its save checks the latest afterwards. */
  readonly windowMs: number;
  /** How far apart the instances' clocks may be. */
  readonly skewMs: number;
}

export const CARD_TIMING: CardTiming = { windowMs: 5_000, skewMs: 2_000 };

/** Replaces the card `activityId` in the conversation `conversationId` with `card` (a Bot Connector update). */
export type SendCard = (conversationId: string, activityId: string, card: AdaptiveCard) => Promise<SendOutcome>;

/** When another instance saved just before this save, when to fetch and send the latest. */
export function recheckAt(written: Written, instance: string, timing: CardTiming): number | undefined {
  const previous = written.previous;
  if (!previous || previous.by === instance) return undefined;
  const settled = previous.at + timing.windowMs + timing.skewMs;
  return written.at < settled ? settled : undefined;
}

/** Measured on this clock: a save by another instance is timed by its clock, so allow for skew. */
export const landedLate = (written: Written, landedAt: number, instance: string, timing: CardTiming): boolean =>
  landedAt - written.at > (written.by === instance ? timing.windowMs : timing.windowMs - timing.skewMs);

interface Job {
  readonly sendCard: SendCard;
  readonly conversationId: string;
  readonly activityId: string;
  readonly shared: SharedCard;
  /** Send the stored latest rather than this card. */
  readonly fetch: boolean;
  /** Tries after a failed send or read. */
  readonly attempt?: number;
  /** Tries after Teams asked to wait (429 with Retry-After): counted apart, and allowed more. */
  readonly throttled?: number;
  /** A retried card with no save to compare (the strategy card): how many sends the card had had when it failed. */
  readonly sendsBefore?: number;
  /** The record was erased: this says so, and nothing is sent to the card after it. */
  readonly erases?: true;
}

/** How many times a failed send or read is tried again, a window apart. */
const RETRIES = 3;
/** How many times Teams may ask to wait before an update is given up, and the longest wait taken. */
const THROTTLED_RETRIES = 10;
const LONGEST_THROTTLE_MS = 60_000;

interface Slot {
  /** The newest save sent to this card (or being sent). */
  sent: number;
  running: boolean;
  next?: Job;
  forget?: NodeJS.Timeout;
  /** Teams asked to wait until then (Retry-After): nothing is sent to this card before. */
  waitUntil?: number;
  /** Cards sent so far: a retried card with no save yields to anything sent since it failed. */
  sends: number;
  /** Kept at least until then: a retry is pending, or Teams asked to wait. */
  keepUntil?: number;
  /** The record was found erased and the card says so. */
  erased?: boolean;
}

const revisionOf = (job: Job): number | undefined => (job.fetch ? undefined : job.shared.order?.written.revision);

/**
 * The record is already saved: a card that cannot be updated is logged, not fatal. `gone` when it
 * never will be (deleted, or the bot removed), `failed` when a later try may work.
 */
async function updateInPlace(sendCard: SendCard, conversationId: string, activityId: string, card: AdaptiveCard, log: Logger): Promise<{ result: 'sent' | 'gone' | 'failed'; retryAfterMs?: number }> {
  const outcome: SendOutcome = await sendCard(conversationId, activityId, card).catch((error: unknown) => {
    log.warn({ err: errorKind(error) }, 'could not reach the conversation to update a card');
    return { ok: false, status: 0 } as const;
  });
  if (outcome.ok) return { result: 'sent' };
  log.warn({ status: outcome.status, activityId }, 'could not update a card in place');
  if (outcome.status === 403 || outcome.status === 404) return { result: 'gone' };
  return { result: 'failed', ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
}

const keyOf = (conversationId: string, activityId: string): string => `${conversationKey(conversationId)}|${activityId}`;

export class CardUpdates {
  /** Per card, while updates are under way and for one window after: not state between turns. */
  private readonly slots = new Map<string, Slot>();
  private readonly rechecks = new Map<string, number>();

  constructor(
    private readonly later: (what: string, task: () => Promise<void>) => void,
    private readonly instance: string,
    private readonly timing: CardTiming,
    private readonly log: Logger,
  ) {}

  /** Sends `shared` to the card `activityId` in the conversation `conversationId`, once the answer is sent. */
  send(conversationId: string, activityId: string, sendCard: SendCard, shared: SharedCard): void {
    const key = keyOf(conversationId, activityId);
    const job: Job = { sendCard, conversationId, activityId, shared, fetch: false };
    const written = shared.order?.written;
    const at = written && recheckAt(written, this.instance, this.timing);
    if (at !== undefined) this.recheck(key, at, { ...job, fetch: true });
    this.enqueue(key, job);
  }

  /**
   * The card's record was erased: it is replaced in turn after any update queued here, and again once
   * an update another instance sent just before the erasure must have landed (its own window and the
   * skew), so that none left on its way brings the record back. Nothing is sent to it here after.
   */
  erase(conversationId: string, activityId: string, sendCard: SendCard, card: AdaptiveCard): void {
    const key = keyOf(conversationId, activityId);
    const job: Job = { sendCard, conversationId, activityId, shared: { render: () => card, activityId }, fetch: false, erases: true };
    this.enqueue(key, job);
    this.afterWait('erased card, again', this.timing.windowMs + this.timing.skewMs, () => this.enqueue(key, job));
  }

  private recheck(key: string, at: number, job: Job): void {
    // One fetch per card, at the latest time asked for, covers every save made before it.
    if ((this.rechecks.get(key) ?? 0) >= at) return;
    this.rechecks.set(key, at);
    // Never longer than a window and the skew, whatever another instance's clock says.
    const wait = Math.min(Math.max(0, at - Date.now()), this.timing.windowMs + this.timing.skewMs);
    this.afterWait('card order check', wait, () => {
      if (this.rechecks.get(key) !== at) return;
      this.rechecks.delete(key);
      this.enqueue(key, job);
    });
  }

  /**
   * After a failed send or read: send the latest (fetched, where the card has a stored save to
   * fetch; otherwise the same card again) a window later, a few times at most. When Teams asked to
   * wait (`retryAfterMs`), no sooner than that, and such waits are counted apart.
   */
  private retry(job: Job, retryAfterMs?: number, slot?: Slot): void {
    const throttled = retryAfterMs !== undefined;
    const attempt = (job.attempt ?? 0) + (throttled ? 0 : 1);
    const throttles = (job.throttled ?? 0) + (throttled ? 1 : 0);
    if (attempt > RETRIES || throttles > THROTTLED_RETRIES) {
      this.log.warn({ attempts: attempt + throttles - 1 }, 'gave up updating everyone’s card; it shows the latest at the next change or refresh');
      return;
    }
    const wait = Math.max(this.timing.windowMs, Math.min(retryAfterMs ?? 0, LONGEST_THROTTLE_MS));
    // The slot outlives the wait, so what it knows (Teams' wait, what was sent meanwhile) still holds.
    if (slot) slot.keepUntil = Math.max(slot.keepUntil ?? 0, Date.now() + wait + this.timing.windowMs);
    const saved = job.shared.order !== undefined;
    // Counted now, as it failed: whatever reaches the card during the wait is newer than this card.
    const sendsBefore = saved || !slot ? undefined : (job.sendsBefore ?? slot.sends);
    this.afterWait('card update retry', wait, () =>
      this.enqueue(keyOf(job.conversationId, job.activityId), { ...job, fetch: saved, attempt, throttled: throttles, ...(sendsBefore === undefined ? {} : { sendsBefore }) }),
    );
  }

  /** Follow-up work after a wait, counted as in flight (shutdown and tests wait for it). */
  private afterWait(what: string, ms: number, then: () => void): void {
    this.later(what, async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      then();
    });
  }

  private enqueue(key: string, job: Job): void {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { sent: 0, running: false, sends: 0 };
      this.slots.set(key, slot);
    }
    const revision = revisionOf(job);
    if (revision !== undefined && revision <= slot.sent) return;
    // A retried card with no save yields to whatever is already waiting for this card: that is newer.
    if (job.sendsBefore !== undefined && slot.next) return;
    clearTimeout(slot.forget);
    if (slot.running) {
      const waiting = slot.next && revisionOf(slot.next);
      // An erasure waiting its turn is never displaced by an update.
      if (slot.next?.erases && !job.erases) return;
      if (!slot.next || revision === undefined || waiting === undefined || revision > waiting) slot.next = job;
      return;
    }
    slot.running = true;
    slot.next = job;
    const own = slot;
    this.later('card update', async () => {
      try {
        for (let next = own.next; next; next = own.next) {
          own.next = undefined;
          const r = revisionOf(next);
          if (r !== undefined && r <= own.sent) continue;
          await this.run(own, next).catch((error: unknown) => this.log.warn({ err: errorKind(error) }, 'could not update everyone’s card'));
        }
      } finally {
        own.running = false;
        this.forgetLater(key, own);
      }
    });
  }

  /**
   * A timer of its own: a closure made in `enqueue` would keep that job's card and record alive
   * for the whole window, and the garbage collector would promote them all.
   */
  private forgetLater(key: string, slot: Slot): void {
    const keep = Math.max(this.timing.windowMs, (slot.keepUntil ?? 0) - Date.now(), (slot.waitUntil ?? 0) - Date.now());
    slot.forget = setTimeout(() => {
      if (this.slots.get(key) === slot) this.slots.delete(key);
    }, keep);
    slot.forget.unref();
  }

  /**
   * Sends the job's card (or the stored latest), then reads the latest again when the rule asks:
   * after an update that landed late, and after any card fetched from the store (it may be another
   * instance's save, which that instance's queue does not order against this send).
   */
  private async run(slot: Slot, job: Job): Promise<void> {
    // A card with no save to compare, failed earlier and retried: anything sent to the card since is newer.
    if (job.sendsBefore !== undefined && slot.sends > job.sendsBefore) return;
    // Once erased, nothing this instance still had on its way is sent to the card.
    if (slot.erased && !job.erases) return;
    let shown: ShownCard | undefined = job.fetch ? await this.latest(job) : { card: job.shared.render(), activityId: job.activityId, ...(job.shared.order ? { written: job.shared.order.written } : {}) };
    if (!shown) return this.retry(job);
    for (let round = 0; round < 3; round++) {
      const current: ShownCard = shown;
      const fetched = job.fetch || round > 0;
      const activityId = current.activityId ?? job.activityId;
      // The card was posted again meanwhile (in a channel, perhaps in another thread): that copy has a queue of its own.
      if (activityId !== job.activityId) {
        const conversationId = current.conversationId ?? job.conversationId;
        return this.enqueue(keyOf(conversationId, activityId), { ...job, conversationId, activityId, fetch: true });
      }
      // A read behind what this card already shows (another instance's save not visible here yet): try again later.
      if (fetched && current.written && current.written.revision < slot.sent) return this.retry(job);
      // Teams asked to wait: nothing more goes to this card until then.
      const wait = (slot.waitUntil ?? 0) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, LONGEST_THROTTLE_MS)));
      const { result, retryAfterMs } = await updateInPlace(job.sendCard, job.conversationId, activityId, current.card, this.log);
      if (result === 'gone') return;
      if (result === 'failed') {
        if (retryAfterMs !== undefined) slot.waitUntil = Date.now() + Math.min(retryAfterMs, LONGEST_THROTTLE_MS);
        return this.retry(job, retryAfterMs, slot);
      }
      slot.sends++;
      if (current.erased || job.erases) slot.erased = true;
      if (job.erases) return;
      if (!current.written) return;
      slot.sent = Math.max(slot.sent, current.written.revision);
      if (!fetched && !landedLate(current.written, Date.now(), this.instance, this.timing)) return;
      const latest = await this.latest(job);
      // Erased meanwhile: the card says so, whatever was just sent.
      if (latest?.erased) {
        shown = latest;
        continue;
      }
      if (!latest?.written) return this.retry(job);
      if (latest.written.revision === current.written.revision && (latest.activityId ?? activityId) === activityId) return;
      shown = latest;
    }
    // Still changing after three rounds: start again from the latest, in turn.
    this.enqueue(keyOf(job.conversationId, job.activityId), { ...job, fetch: true });
  }

  /** The change is saved whatever happens here: a failed read is logged, not reported as a failure. */
  private async latest(job: Job): Promise<ShownCard | undefined> {
    try {
      return await job.shared.order?.latest();
    } catch (error) {
      this.log.warn({ err: errorKind(error) }, 'could not check that everyone sees the latest card');
      return undefined;
    }
  }
}
