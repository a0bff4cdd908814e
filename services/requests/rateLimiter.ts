/**
 * Teams limits how fast a bot may post into one conversation (about 7 messages a second and 60 in
 * 30 seconds). The dispatcher waits its turn here rather than be throttled; a 429 is still honoured.
 */
export interface Window {
  readonly ms: number;
  readonly max: number;
}

const TEAMS_PER_CONVERSATION: readonly Window[] = [
  { ms: 1_000, max: 7 },
  { ms: 30_000, max: 60 },
];

/** The longest the limiter itself holds a conversation for Teams' Retry-After. */
const MAX_BLOCK_MS = 60_000;
/** How many conversations it holds before it looks for ones it can forget. */
const SWEEP_AT = 1_000;

export class RateLimiter {
  private readonly sent = new Map<string, number[]>();
  private readonly longest: number;

  constructor(
    private readonly windows: readonly Window[] = TEAMS_PER_CONVERSATION,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.longest = Math.max(...windows.map((w) => w.ms));
  }

  private readonly blockedUntil = new Map<string, number>();

  /**
   * Teams said to wait (429 with Retry-After): nothing goes to `key` before then, for a minute at
   * most here (the delivery itself waits as long as Teams asked, in the outbox; a longer sleep here
   * would hold the dispatcher, and past 24.8 days Node's timers fire at once).
   */
  block(key: string, ms: number): void {
    this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, this.clock() + Math.min(Math.max(ms, 0), MAX_BLOCK_MS)));
  }

  /** How many conversations it holds anything for (sent lately, or told to wait). */
  get size(): number {
    return new Set([...this.sent.keys(), ...this.blockedUntil.keys()]).size;
  }

  /** How long to wait before the next message to `key` keeps within every window. */
  waitFor(key: string): number {
    const now = this.clock();
    const blocked = (this.blockedUntil.get(key) ?? 0) - now;
    if (blocked > 0) return blocked;
    this.blockedUntil.delete(key);
    const times = (this.sent.get(key) ?? []).filter((t) => t > now - this.longest);
    // A conversation with nothing in any window is forgotten: the map holds only those posted to lately.
    if (times.length > 0) this.sent.set(key, times);
    else this.sent.delete(key);
    let wait = 0;
    for (const { ms, max } of this.windows) {
      const inWindow = times.filter((t) => t > now - ms);
      // The oldest message that must leave the window before another may be sent.
      const blocking = inWindow.length >= max ? inWindow[inWindow.length - max] : undefined;
      if (blocking !== undefined) wait = Math.max(wait, blocking + ms - now);
    }
    return wait;
  }

  /** Waits until a message to `key` is allowed, and counts it. */
  async take(key: string): Promise<void> {
    // Many conversations held: those with nothing in any window go (a long run posts to thousands).
    if (this.sent.size + this.blockedUntil.size > SWEEP_AT) for (const other of new Set([...this.sent.keys(), ...this.blockedUntil.keys()])) this.waitFor(other);
    for (let wait = this.waitFor(key); wait > 0; wait = this.waitFor(key)) await this.sleep(wait);
    const times = this.sent.get(key) ?? [];
    times.push(this.clock());
    this.sent.set(key, times);
  }
}
