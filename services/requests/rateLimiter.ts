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

  /** Teams said to wait (429 with Retry-After): nothing goes to `key` before then. */
  block(key: string, ms: number): void {
    this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, this.clock() + ms));
  }

  /** How long to wait before the next message to `key` keeps within every window. */
  waitFor(key: string): number {
    const now = this.clock();
    const blocked = (this.blockedUntil.get(key) ?? 0) - now;
    if (blocked > 0) return blocked;
    this.blockedUntil.delete(key);
    const times = (this.sent.get(key) ?? []).filter((t) => t > now - this.longest);
    this.sent.set(key, times);
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
    for (let wait = this.waitFor(key); wait > 0; wait = this.waitFor(key)) await this.sleep(wait);
    const times = this.sent.get(key) ?? [];
    times.push(this.clock());
    this.sent.set(key, times);
  }
}
