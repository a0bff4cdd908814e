/**
 * Changes to one document that arrive while it is being saved wait, and are saved together next,
 * from the document as that save left it: no write that is bound to fail its ETag check (412), and
 * no second read. Several people pressing Save on one Re-think card within a moment is the usual
 * case in a meeting. Each is answered as if their change had been saved alone (see `settle`).
 *
 * Only changes in flight are held: the map is empty whenever no save is under way, so nothing is
 * kept between turns. Writes from other instances are still caught by the ETag, and retried.
 */
import type { Container } from '@azure/cosmos';
import { refuse } from '../result';
import { DEFAULT_BUDGET_MS, saveTogether, StoreUnavailableError, type Change, type Stored, type UpdateOptions, type UpdateOutcome } from './repository';

interface Waiting<T> {
  readonly change: Change<T>;
  /** When the person has waited long enough: Teams gives up after a few seconds. */
  readonly deadline: number;
  readonly read?: Stored<T>;
  /** Tells them at their deadline if they are still waiting for a save to take them. */
  timer?: NodeJS.Timeout;
  resolve(outcome: UpdateOutcome<T>): void;
  reject(error: unknown): void;
}

const tooLate = (): StoreUnavailableError => new StoreUnavailableError(new Error('Waited too long behind other changes'));

export class SharedWrites<T extends { id: string }> {
  private readonly waiting = new Map<string, Waiting<T>[]>();

  /** `idempotent`: every change, applied again to a document it has already changed, changes nothing. */
  constructor(
    private readonly container: Container,
    private readonly idempotent: boolean,
  ) {}

  /** As `updateItem`, but saved with any other change to the same document made at the same moment. */
  update(id: string, partitionKey: string, change: Change<T>, options: Pick<UpdateOptions<T>, 'read' | 'budgetMs'> = {}): Promise<UpdateOutcome<T>> {
    return new Promise((resolve, reject) => {
      const key = JSON.stringify([partitionKey, id]);
      const budget = options.budgetMs ?? DEFAULT_BUDGET_MS;
      const entry: Waiting<T> = { change, deadline: Date.now() + budget, resolve, reject, ...(options.read ? { read: options.read } : {}) };
      const waiting = this.waiting.get(key);
      const queue = waiting ?? [];
      queue.push(entry);
      // Still waiting when their time is up (a slow save ahead of them): told at once that nothing of
      // theirs was saved, rather than after that save and their own.
      entry.timer = setTimeout(() => {
        const at = queue.indexOf(entry);
        if (at < 0) return;
        queue.splice(at, 1);
        reject(tooLate());
      }, budget);
      entry.timer.unref();
      // The first for this document saves; the rest wait their turn (while it runs the queue may be empty).
      if (!waiting) {
        this.waiting.set(key, queue);
        void this.drain(key, id, partitionKey, queue);
      }
    });
  }

  /** Lets the key go only when nothing is waiting, in the same turn of the loop as the last check. */
  private async drain(key: string, id: string, partitionKey: string, queue: Waiting<T>[]): Promise<void> {
    let latest: Stored<T> | undefined;
    while (queue.length > 0) latest = await this.saveBatch(id, partitionKey, queue, latest);
    this.waiting.delete(key);
  }

  /** Takes everyone waiting into a save: from now on they wait for its answer. Anyone out of time is told instead. */
  private static take<T>(queue: Waiting<T>[]): Waiting<T>[] {
    const now = Date.now();
    const taken: Waiting<T>[] = [];
    for (const w of queue.splice(0)) {
      clearTimeout(w.timer);
      if (w.deadline > now) taken.push(w);
      else w.reject(tooLate());
    }
    return taken;
  }

  /** Saves everything waiting, answers each, and returns the document as saved (undefined after a failure). */
  private async saveBatch(id: string, partitionKey: string, queue: Waiting<T>[], latest: Stored<T> | undefined): Promise<Stored<T> | undefined> {
    let batch: Waiting<T>[] = [];
    // A change that throws is a bug in that change: it fails alone, and the others are saved.
    const thrown = new Map<Waiting<T>, unknown>();
    const guarded =
      (w: Waiting<T>): Change<T> =>
      (doc) => {
        try {
          const next = w.change(doc);
          thrown.delete(w);
          return next;
        } catch (error) {
          thrown.set(w, error);
          return refuse('notAllowed', 'The change could not be made.');
        }
      };
    try {
      const together = await saveTogether(
        this.container,
        id,
        partitionKey,
        () => {
          batch = SharedWrites.take(queue);
          return batch.map(guarded);
        },
        {
          // A caller's own read answers only their own change, as it would alone; with others waiting, read afresh.
          read: latest ?? (queue.length === 1 ? queue[0]?.read : undefined),
          idempotent: this.idempotent,
          deadline: Math.min(...queue.map((w) => w.deadline)),
        },
      );
      batch.forEach((w, i) => {
        const outcome = together.outcomes[i];
        if (thrown.has(w)) w.reject(thrown.get(w));
        else if (outcome) w.resolve(outcome);
        else w.reject(new Error('A change was not answered'));
      });
      return together.latest;
    } catch (error) {
      // Taken but not saved: each is told, and may try again.
      for (const w of batch.length ? batch : SharedWrites.take(queue)) w.reject(error);
      return undefined;
    }
  }
}
