/** Everyone's card after the answer: in order of the saves, reading again only when it must. */
import { CardUpdates, landedLate, recheckAt, type CardTiming, type SendCard } from '../../bot/cardUpdates';
import type { SharedCard, ShownCard } from '../../bot/handlers/types';
import { createLogger } from '../../services/logging';
import type { Written } from '../../services/rethink/types';

const TIMING: CardTiming = { windowMs: 200, skewMs: 50 };
const ME = 'instance-a';
const OTHER = 'instance-b';

const written = (revision: number, at: number, previous?: Written['previous'], by = ME): Written => ({ revision, by, at, ...(previous ? { previous } : {}) });

describe('the rule', () => {
  test('a save right after one by another instance fetches the latest once that one’s window has passed', () => {
    expect(recheckAt(written(2, 1_100, { by: OTHER, at: 1_000 }), ME, TIMING)).toBe(1_250);
    expect(recheckAt(written(2, 1_249, { by: OTHER, at: 1_000 }), ME, TIMING)).toBe(1_250);
  });

  test('no fetch after a save by this instance, after the first save, or once the other’s window has passed', () => {
    expect(recheckAt(written(2, 1_100, { by: ME, at: 1_000 }), ME, TIMING)).toBeUndefined();
    expect(recheckAt(written(1, 1_100), ME, TIMING)).toBeUndefined();
    expect(recheckAt(written(2, 1_250, { by: OTHER, at: 1_000 }), ME, TIMING)).toBeUndefined();
  });

  test('an update landing after its window reads the latest; another instance’s save allows for clock skew', () => {
    expect(landedLate(written(3, 1_000), 1_200, ME, TIMING)).toBe(false);
    expect(landedLate(written(3, 1_000), 1_201, ME, TIMING)).toBe(true);
    expect(landedLate(written(3, 1_000, undefined, OTHER), 1_150, ME, TIMING)).toBe(false);
    expect(landedLate(written(3, 1_000, undefined, OTHER), 1_151, ME, TIMING)).toBe(true);
  });
});

// The windows, holds and Teams' waits run on a fake clock: each test's timeline is exact, whatever the machine's load.
beforeEach(() => jest.useFakeTimers({ now: 1_800_000_000_000 }));
afterEach(() => jest.useRealTimers());

/** A card in Teams: what it shows, with a stand-in for the store's latest save. */
function harness() {
  const shown: string[] = [];
  const where: string[] = [];
  const pending = new Set<Promise<void>>();
  let reads = 0;
  let stored: ShownCard | undefined;
  const holds: number[] = [];
  const failures: { status: number; retryAfterMs?: number }[] = [];
  const attempts: number[] = [];
  const whileHeld: (() => void)[] = [];
  const sendCard: SendCard = async (conversationId, activityId, card) => {
    const hold = holds.shift() ?? 0;
    if (hold) {
      whileHeld.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, hold));
    }
    attempts.push(Date.now());
    const failure = failures.shift();
    if (failure) return { ok: false, ...failure };
    shown.push(String(card.title ?? ''));
    // The conversation is named only when it is not the one acted in.
    where.push(conversationId === 'conversation' ? activityId : `${conversationId}/${activityId}`);
    return { ok: true };
  };
  const later = (_what: string, task: () => Promise<void>) => {
    const running: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve)).then(task).finally(() => pending.delete(running));
    pending.add(running);
  };
  const updates = new CardUpdates(later, ME, TIMING, createLogger('silent'));
  const card = (w: Written, activityId = 'card'): SharedCard => ({
    activityId,
    render: () => ({ type: 'AdaptiveCard', version: '1.5', title: `r${w.revision}`, body: [] }),
    order: {
      written: w,
      latest: async () => {
        reads++;
        return stored;
      },
    },
  });
  const store = (w: Written, activityId = 'card', conversationId?: string) => {
    stored = { card: { type: 'AdaptiveCard', version: '1.5', title: `r${w.revision}`, body: [] }, activityId, ...(conversationId ? { conversationId } : {}), written: w };
  };
  return {
    shown,
    where,
    reads: () => reads,
    holdNext: (ms: number, meanwhile?: () => void) => {
      holds.push(ms);
      if (meanwhile) whileHeld.push(meanwhile);
    },
    failNext: (status: number, retryAfterMs?: number) => failures.push({ status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }),
    attempts,
    send: (s: SharedCard, activityId = 'card') => updates.send('conversation', activityId, sendCard, s),
    card,
    store,
    /** Runs the clock on until nothing is left to do: every wait, hold and retry, in the order they fall due. */
    idle: async () => {
      while (pending.size > 0) await jest.runAllTimersAsync();
    },
  };
}

test('quick saves on this instance: sent one at a time, the newest last, nothing read again', async () => {
  const h = harness();
  const now = Date.now();
  h.holdNext(50);
  h.send(h.card(written(1, now)));
  await jest.advanceTimersByTimeAsync(10);
  // While the first is on its way, three more saves: only the newest follows it.
  for (let r = 2; r <= 4; r++) h.send(h.card(written(r, now, { by: ME, at: now })));
  await h.idle();
  expect(h.shown.at(-1)).toBe('r4');
  expect(h.shown).toEqual(['r1', 'r4']);
  expect(h.reads()).toBe(0);
});

test('an older save that reaches this instance late is not sent over a newer one', async () => {
  const h = harness();
  const now = Date.now();
  h.send(h.card(written(6, now, { by: ME, at: now })));
  // r6 is sent; r5's follow-up comes a moment later, within the window.
  await jest.advanceTimersByTimeAsync(10);
  expect(h.shown).toEqual(['r6']);
  h.send(h.card(written(5, now, { by: ME, at: now })));
  await h.idle();
  expect(h.shown).toEqual(['r6']);
});

test('an update that lands after its window reads the latest and shows it', async () => {
  const h = harness();
  const now = Date.now();
  h.holdNext(TIMING.windowMs + 50);
  h.store(written(8, now + 100, { by: OTHER, at: now }, OTHER));
  h.send(h.card(written(7, now)));
  await h.idle();
  expect(h.shown).toEqual(['r7', 'r8']);
  expect(h.reads()).toBe(2);
});

test('a save just after another instance’s: the latest is sent again once the other update must have landed', async () => {
  const h = harness();
  const now = Date.now();
  const mine = written(9, now, { by: OTHER, at: now - 20 });
  h.store(mine);
  h.send(h.card(mine));
  await h.idle();
  // Sent at once, then again after the other instance's window (the other card may have landed after it).
  expect(h.shown).toEqual(['r9', 'r9']);
  // The fetch, and the check after sending what was fetched.
  expect(h.reads()).toBe(2);
});

test('several such saves on one card share one fetch of the latest', async () => {
  const h = harness();
  const now = Date.now();
  h.store(written(12, now, { by: ME, at: now }));
  h.send(h.card(written(10, now, { by: OTHER, at: now - 20 })));
  h.send(h.card(written(11, now, { by: OTHER, at: now - 10 })));
  await h.idle();
  expect(h.shown.at(-1)).toBe('r12');
  expect(h.reads()).toBe(2);
});

test('a card without a stored save (the strategy card) is simply sent', async () => {
  const h = harness();
  h.send({ activityId: 'card', render: () => ({ type: 'AdaptiveCard', version: '1.5', title: 'plain', body: [] }) });
  await h.idle();
  expect(h.shown).toEqual(['plain']);
});

test('a save fetched from the store is always checked after it is sent: another instance may have saved since', async () => {
  const h = harness();
  const now = Date.now();
  // The fetch finds r2 (another instance's) and sends it quickly; meanwhile that instance saves r3 and its own update lands first.
  // r2 is saved just before the fetch, so its send does not land late: only the fetch itself calls for the check.
  h.store(written(2, now + 200, { by: OTHER, at: now - 30 }, OTHER));
  h.holdNext(0);
  h.holdNext(30, () => h.store(written(3, Date.now(), { by: OTHER, at: now + 200 }, OTHER)));
  h.send(h.card(written(1, now - 30, { by: OTHER, at: now - 40 })));
  await h.idle();
  expect(h.shown).toEqual(['r1', 'r2', 'r3']);
});

test('an update Teams fails (5xx) is tried again from the latest a window later; a deleted card (404) is left alone', async () => {
  const h = harness();
  const now = Date.now();
  h.failNext(502);
  h.store(written(4, now));
  h.send(h.card(written(4, now)));
  await h.idle();
  expect(h.shown).toEqual(['r4']);
  // The fetch, and the check after sending what was fetched.
  expect(h.reads()).toBe(2);

  const gone = harness();
  gone.failNext(404);
  gone.send(gone.card(written(5, Date.now())));
  await gone.idle();
  expect(gone.shown).toEqual([]);
  expect(gone.reads()).toBe(0);
});

test('a card posted again meanwhile: the latest goes to the new copy', async () => {
  const h = harness();
  const now = Date.now();
  h.store(written(7, now, { by: ME, at: now }), 'card-again');
  h.holdNext(TIMING.windowMs + 20);
  h.send(h.card(written(6, now)));
  await h.idle();
  expect(h.where).toEqual(['card', 'card-again']);
  expect(h.shown).toEqual(['r6', 'r7']);
});

test('a card posted again in another thread of a channel: the latest goes to that thread', async () => {
  const h = harness();
  const now = Date.now();
  h.store(written(7, now, { by: ME, at: now }), 'card-again', 'other-thread');
  h.holdNext(TIMING.windowMs + 20);
  h.send(h.card(written(6, now)));
  await h.idle();
  expect(h.where).toEqual(['card', 'other-thread/card-again']);
  expect(h.shown).toEqual(['r6', 'r7']);
});

test('a card without a stored save (the strategy card) that Teams fails once is sent again, not left as it was', async () => {
  const h = harness();
  h.failNext(502);
  h.send({ activityId: 'card', render: () => ({ type: 'AdaptiveCard', version: '1.5', title: 'strategy', body: [] }) });
  await h.idle();
  expect(h.shown).toEqual(['strategy']);
  expect(h.attempts).toHaveLength(2);
});

test('Teams asking to wait (429, Retry-After) is obeyed: nothing is sent to the card sooner, and being asked several times is not giving up', async () => {
  const h = harness();
  const now = Date.now();
  for (let i = 0; i < 4; i++) h.failNext(429, 400);
  h.store(written(1, now));
  h.send(h.card(written(1, now)));
  await h.idle();
  expect(h.shown).toEqual(['r1']);
  expect(h.attempts).toHaveLength(5);
  const gaps = h.attempts.slice(1).map((at, i) => at - (h.attempts[i] ?? 0));
  expect(gaps.every((gap) => gap >= 400)).toBe(true);
});

test('a retried card with no save never goes over a newer card sent meanwhile (the strategy card after the Re-think has started)', async () => {
  const h = harness();
  const now = Date.now();
  h.failNext(502);
  h.send({ activityId: 'card', render: () => ({ type: 'AdaptiveCard', version: '1.5', title: 'strategy', body: [] }) });
  await jest.advanceTimersByTimeAsync(50);
  h.store(written(1, now));
  h.send(h.card(written(1, now)));
  await h.idle();
  expect(h.shown).toEqual(['r1']);
  expect(h.attempts).toHaveLength(2);
});

test('Teams’ wait holds for the card for its whole length, even for a save made after the first update was given up on', async () => {
  const h = harness();
  const now = Date.now();
  h.failNext(429, 800);
  h.failNext(429, 800);
  h.failNext(429, 800);
  h.store(written(1, now));
  h.send(h.card(written(1, now)));
  // Longer than a window after the 429: before, the card's record of Teams' wait had been forgotten.
  await jest.advanceTimersByTimeAsync(450);
  h.store(written(2, now + 450, { by: ME, at: now }));
  h.send(h.card(written(2, now + 450, { by: ME, at: now })));
  await h.idle();
  expect(h.shown.at(-1)).toBe('r2');
  const [first, ...rest] = h.attempts;
  for (const at of rest) expect(at - (first ?? 0)).toBeGreaterThanOrEqual(800);
});
