/**
 * Someone pressing a button waits for the answer; nobody waits on everyone's card being updated a
 * moment later. So follow-up work starts when no request is being answered, one piece per turn of
 * the event loop so that a request arriving meanwhile goes first, and never later than `maxWaitMs`.
 * Measured under load, the answer's slowest moments were this process's event loop busy with other
 * people's follow-ups. It counts requests in flight only: nothing is kept between requests.
 */
export class AnswersFirst {
  private answering = 0;
  private readonly waiting: (() => void)[] = [];
  private releasing = false;

  constructor(private readonly maxWaitMs: number) {}

  /** Marks a request as being answered until `done` is called (once). */
  begin(): () => void {
    this.answering++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.answering--;
      this.release();
    };
  }

  /** Resolves at a quiet moment, or after `maxWaitMs` at the latest. */
  quiet(): Promise<void> {
    // Always a later turn of the loop: the answer in hand is written first.
    if (this.answering === 0 && this.waiting.length === 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise<void>((resolve) => {
      let settled = false;
      const go = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        go();
      }, this.maxWaitMs);
      this.waiting.push(go);
      this.release();
    });
  }

  /** Lets the waiting go one at a time, each on a later turn of the loop, while nothing is being answered. */
  private release(): void {
    if (this.releasing || this.answering > 0 || this.waiting.length === 0) return;
    this.releasing = true;
    setImmediate(() => {
      this.releasing = false;
      if (this.answering > 0) return;
      this.waiting.shift()?.();
      this.release();
    });
  }
}
