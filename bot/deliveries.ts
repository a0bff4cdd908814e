import { TurnContext, type CloudAdapter } from 'botbuilder';
import type { Logger } from '../services/logging';
import type { ConversationAddress } from '../services/store/people';

/**
 * Work that follows a turn rather than delaying it: Teams waits on an invoke's answer, so card
 * updates for everyone and new posts go out after the answer, in a turn of their own. The record is
 * already saved when they start; `idle()` lets shutdown (and tests) wait for what is in flight.
 */
export class Deliveries {
  private readonly inFlight = new Set<Promise<void>>();
  /** Per key: the newest work waiting behind the one running (for `latestOnly`). */
  private readonly waiting = new Map<string, { next?: () => Promise<void> }>();

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly log: Logger,
  ) {}

  later(what: string, task: () => Promise<void>): void {
    // Started on the next turn of the event loop, so the answer is written before any of this runs.
    const running: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.name : typeof error, what }, 'follow-up work failed'))
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Runs `work` in the same conversation once the current turn has been answered. */
  afterTurn(context: TurnContext, what: string, work: (context: TurnContext) => Promise<void>): void {
    const reference = TurnContext.getConversationReference(context.activity);
    this.later(what, () => this.adapter.continueConversationAsync(this.appId, reference, work));
  }

  /**
   * Like `afterTurn`, for work where only the latest matters (everyone's card): while one runs for
   * `key`, a newer one waits in its place and runs next, and any older waiting one is dropped. Each
   * run ends by checking the stored latest, so nothing is lost by dropping.
   */
  latestOnly(key: string, context: TurnContext, what: string, work: (context: TurnContext) => Promise<void>): void {
    const reference = TurnContext.getConversationReference(context.activity);
    const task = () => this.adapter.continueConversationAsync(this.appId, reference, work);
    const slot = this.waiting.get(key);
    if (slot) {
      slot.next = task;
      return;
    }
    const state: { next?: () => Promise<void> } = {};
    this.waiting.set(key, state);
    this.later(what, async () => {
      try {
        for (let run: (() => Promise<void>) | undefined = task; run; run = state.next) {
          state.next = undefined;
          await run().catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.name : typeof error, what }, 'follow-up work failed'));
        }
      } finally {
        this.waiting.delete(key);
      }
    });
  }

  /** Runs `work` in another conversation, once the current turn has been answered. */
  elsewhere(to: ConversationAddress, what: string, work: (context: TurnContext) => Promise<void>): void {
    const reference = {
      channelId: 'msteams',
      serviceUrl: to.serviceUrl,
      bot: { id: to.botId, name: '' },
      conversation: { id: to.conversationId, conversationType: to.conversationKind, tenantId: to.tenantId, isGroup: to.conversationKind !== 'personal', name: '' },
    };
    this.later(what, () => this.adapter.continueConversationAsync(this.appId, reference, work));
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
