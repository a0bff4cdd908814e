import { CardFactory, MessageFactory, TurnContext, type CloudAdapter } from 'botbuilder';
import { errorKind, type Logger } from '../services/logging';
import type { ConversationAddress } from '../services/store/people';
import type { AnswersFirst } from './answersFirst';
import { CardUpdates, type CardTiming, type SendCard } from './cardUpdates';
import type { ConnectorClient } from './connectorClient';
import type { SharedCard } from './handlers/types';
import { renderErasedCard } from '../cards/erased';
import { addressOf } from './turn';

/** Opens a turn in a conversation (proactively, after the answer). */
type Reach = (work: (context: TurnContext) => Promise<void>) => Promise<void>;

/**
 * Work that follows a turn rather than delaying it: Teams waits on an invoke's answer, so card
 * updates for everyone and new posts go out after the answer (posts in a proactive turn of their
 * own, card updates as a plain Bot Connector call). The record is already saved when they start;
 * `idle()` lets shutdown (and tests) wait for what is in flight.
 */
export class Deliveries {
  private readonly inFlight = new Set<Promise<void>>();
  /** Everyone's card, kept in order of the saves it shows. */
  private readonly cards: CardUpdates;

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly log: Logger,
    instance: string,
    timing: CardTiming,
    private readonly answers: AnswersFirst,
    private readonly connector: ConnectorClient,
  ) {
    this.cards = new CardUpdates((what, task) => this.later(what, task), instance, timing, log);
  }

  later(what: string, task: () => Promise<void>): void {
    // Started once the answer is written, at a moment when nobody else is waiting for one.
    const running: Promise<void> = this.answers
      .quiet()
      .then(task)
      .catch((error: unknown) => this.log.warn({ err: errorKind(error), what }, 'follow-up work failed'))
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Runs `work` in the same conversation once the current turn has been answered. */
  afterTurn(context: TurnContext, what: string, work: (context: TurnContext) => Promise<void>): void {
    const reach = this.reachFrom(context);
    this.later(what, () => reach(work));
  }

  /** Updates the card `activityId` in this turn's conversation (everyone's card) once the turn is answered. */
  updateCard(context: TurnContext, activityId: string, shared: SharedCard): void {
    this.updateCardAt(addressOf(context), activityId, shared);
  }

  /**
   * The same, for a conversation known by its address (the side panel has no turn). A plain Bot
   * Connector update rather than a proactive turn: one follows nearly every action, and a turn
   * through botbuilder cost three times the CPU and left much of its garbage for a full collection.
   */
  updateCardAt(to: ConversationAddress, activityId: string, shared: SharedCard): void {
    const sendCard: SendCard = (conversationId, id, card) => this.connector.update({ ...to, conversationId }, id, MessageFactory.attachment(CardFactory.adaptiveCard(card)));
    // In a channel the stored card may live in another thread than the one acted in: update it there.
    const conversationId = activityId === shared.activityId && shared.conversationId ? shared.conversationId : to.conversationId;
    this.cards.send(conversationId, activityId, sendCard, shared);
  }

  /**
   * Everyone's card, whose record was erased: replaced with a line of text in turn with its updates,
   * and again once any update another instance had on its way must have landed (see CardUpdates.erase).
   * Teams is sent the line of text; the card, saying the same, is what the update queue keeps.
   */
  eraseCardAt(to: ConversationAddress, activityId: string, text: string): void {
    const sendText: SendCard = (conversationId, id) => this.connector.update({ ...to, conversationId }, id, MessageFactory.text(text));
    this.cards.erase(to.conversationId, activityId, sendText, renderErasedCard(text));
  }

  /** Replaces one of the bot's own messages with a line of text, after the answer; a failure is logged. */
  replaceAt(to: ConversationAddress, activityId: string, text: string): void {
    this.later('replace a message', async () => {
      const sent = await this.connector.update(to, activityId, MessageFactory.text(text));
      if (!sent.ok) throw Object.assign(new Error(`Teams answered ${sent.status}`), { statusCode: sent.status });
    });
  }

  /** Opens a turn in this turn's conversation later on. */
  private reachFrom(context: TurnContext): Reach {
    const reference = TurnContext.getConversationReference(context.activity);
    return (work) => this.adapter.continueConversationAsync(this.appId, reference, work);
  }

  /** Runs `work` in another conversation, once the current turn has been answered. */
  elsewhere(to: ConversationAddress, what: string, work: (context: TurnContext) => Promise<void>): void {
    const reach = this.reachAt(to);
    this.later(what, () => reach(work));
  }

  /** Opens a turn in a conversation known by its address. */
  private reachAt(to: ConversationAddress): Reach {
    const reference = {
      channelId: 'msteams',
      serviceUrl: to.serviceUrl,
      bot: { id: to.botId, name: '' },
      conversation: { id: to.conversationId, conversationType: to.conversationKind, tenantId: to.tenantId, isGroup: to.conversationKind !== 'personal', name: '' },
    };
    return (work) => this.adapter.continueConversationAsync(this.appId, reference, work);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
