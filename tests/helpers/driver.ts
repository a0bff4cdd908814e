/** Drives the app over HTTP as Teams would: people typing, pressing card buttons, in one conversation. */
import { execute, message, submit, type TestConversation, type TestUser } from './activities';
import { cardOf, type Connector } from './connector';
import { executeActions, send, type Reachable, type Sent } from './harness';

export const START_FORM = {
  caseReference: 'PSCP-2026-0042',
  concernCategory: 'drift',
  summary: 'The child protection plan has drifted and agencies disagree about the next step.',
  mode: 'teams',
  role: 'Social worker',
  agency: 'Children’s social care',
  isLeadProfessional: 'true',
  raisedWithLeadProfessional: 'false',
  groupMeetingHeld: 'false',
};

export interface Pressed {
  status: number;
  /** The card the person sees after pressing, when the bot answered with one. */
  card?: Record<string, unknown>;
  /** The message the bot answered with instead of a card. */
  message?: string;
}

export class Driver {
  constructor(
    public app: Reachable,
    readonly connector: Connector,
    readonly conversation: TestConversation,
  ) {}

  where(user: TestUser) {
    return { user, conversation: this.conversation, serviceUrl: this.connector.serviceUrl };
  }

  say(user: TestUser, text: string): Promise<Sent> {
    return send(this.app, message(text, this.where(user)));
  }

  async press(user: TestUser, verb: string, data: Record<string, unknown>, options: { replyToId?: string; id?: string } = {}): Promise<Pressed> {
    const { status, body } = await send(this.app, execute(verb, data, { ...this.where(user), ...options }));
    // Everyone's card and new posts follow the answer: wait for them, as the person would see them.
    await this.app.idle();
    const response = body as { type?: string; value?: unknown } | undefined;
    if (response?.type === 'application/vnd.microsoft.card.adaptive') return { status, card: response.value as Record<string, unknown> };
    return { status, message: typeof response?.value === 'string' ? response.value : undefined };
  }

  async submit(user: TestUser, data: Record<string, unknown>, replyToId?: string): Promise<Sent> {
    const sent = await send(this.app, submit(data, { ...this.where(user), ...(replyToId ? { replyToId } : {}) }));
    // Everyone's card follows the turn, as after an invoke.
    await this.app.idle();
    return sent;
  }

  /** Types `start`: returns the activity id of the start form it posts. */
  async startForm(user: TestUser): Promise<string> {
    const before = this.connector.posts(this.conversation.id).length;
    await this.say(user, 'start');
    const startCard = this.connector.posts(this.conversation.id)[before];
    if (!startCard) throw new Error('No start card was posted');
    return startCard.activityId;
  }

  /** Submits the start form: the Re-think is proposed, waiting for its strategy. */
  async propose(user: TestUser, cardId: string, form: Record<string, unknown> = START_FORM): Promise<string> {
    const strategyCard = await this.press(user, 'startRethink', form, { replyToId: cardId });
    const confirm = executeActions(strategyCard.card).find((a) => a.verb === 'confirmStrategy');
    if (!confirm) throw new Error(`No strategy card: ${strategyCard.message ?? ''}`);
    return String(confirm.data.rethinkId);
  }

  /** `start`, fill in the form, accept the recommended strategy: returns the Re-think's id and its card. */
  async start(user: TestUser, form: Record<string, string> = START_FORM, strategy = '2'): Promise<{ rethinkId: string; cardId: string; card: Record<string, unknown> }> {
    const cardId = await this.startForm(user);
    const rethinkId = await this.propose(user, cardId, form);
    const opened = await this.press(user, 'confirmStrategy', { rethinkId, strategy, strategyReason: '' }, { replyToId: cardId });
    if (!opened.card) throw new Error(`The Re-think did not open: ${opened.message ?? ''}`);
    return { rethinkId, cardId, card: opened.card };
  }

  /** The latest version of the shared Re-think card, as everyone in the chat sees it. */
  sharedCard(cardId: string): Record<string, unknown> {
    const updates = this.connector.updates(this.conversation.id).filter((u) => u.activityId === cardId);
    const last = updates[updates.length - 1];
    if (!last) throw new Error('The shared card was never updated');
    return cardOf(last);
  }
}
