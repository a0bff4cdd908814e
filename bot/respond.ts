/** Turns a handler's result into Teams replies: the invoke response, in-place updates, new posts. */
import { CardFactory, MessageFactory, type AdaptiveCardInvokeResponse, type TurnContext } from 'botbuilder';
import type { AdaptiveCard } from '../cards/render';
import type { Logger } from '../services/logging';
import type { Deliveries } from './deliveries';
import type { HandlerResult, Outgoing, SharedCard } from './handlers/types';

const cardActivity = (card: AdaptiveCard) => MessageFactory.attachment(CardFactory.adaptiveCard(card));

async function post(context: TurnContext, outgoing: Outgoing, log: Logger): Promise<void> {
  const activity = outgoing.card ? cardActivity(outgoing.card) : MessageFactory.text(outgoing.text ?? '');
  const response = await context.sendActivity(activity);
  if (response?.id && outgoing.onPosted) {
    try {
      await outgoing.onPosted(response.id);
    } catch (error) {
      log.warn({ err: (error as Error).name }, 'posted a card but could not record where it is');
    }
  }
}

/** The record is already saved: a card that cannot be updated (deleted, say) is logged, not fatal. */
async function updateInPlace(context: TurnContext, activityId: string, card: AdaptiveCard, log: Logger): Promise<void> {
  try {
    await context.updateActivity({ ...cardActivity(card), id: activityId });
  } catch (error) {
    log.warn({ err: (error as Error).name, activityId }, 'could not update a card in place');
  }
}

/**
 * Updates everyone's card, then makes sure it shows the latest stored version: another change may
 * have sent its update first. A few rounds at most; each round is one point read.
 */
export async function updateShared(context: TurnContext, shared: SharedCard, activityId: string, log: Logger): Promise<void> {
  let current: { card: AdaptiveCard; version?: string; activityId: string } | undefined = {
    card: shared.render(),
    ...(shared.version ? { version: shared.version } : {}),
    activityId,
  };
  for (let round = 0; current && round < 3; round++) {
    await updateInPlace(context, current.activityId, current.card, log);
    if (!shared.latest) return;
    // The change is saved whatever happens here: a failed check is logged, not reported as a failure.
    const latest = await shared.latest().catch((error: unknown) => {
      log.warn({ err: error instanceof Error ? error.name : typeof error }, 'could not check that everyone sees the latest card');
      return undefined;
    });
    // Done when nothing changed since, and the card was not re-posted elsewhere meanwhile.
    if (!latest || (latest.version === current.version && (latest.activityId ?? current.activityId) === current.activityId)) return;
    current = { card: latest.card, version: latest.version, activityId: latest.activityId ?? current.activityId };
  }
}

/** The person's own card is the answer; everyone's card and new posts follow once it is sent. */
export async function respondToInvoke(context: TurnContext, result: HandlerResult, log: Logger, deliveries: Deliveries): Promise<AdaptiveCardInvokeResponse> {
  const { shared } = result;
  const posts = (result.posts ?? []).filter((p) => !p.to);
  postElsewhere(result, log, deliveries);
  const cardId = shared?.activityId;
  if (shared && cardId) {
    // Changes in quick succession: one update of everyone's card in flight at a time, then the latest.
    deliveries.latestOnly(`${context.activity.conversation.id}|${cardId}`, context, 'card update', (later) => updateShared(later, shared, cardId, log));
  }
  if (posts.length > 0) {
    deliveries.afterTurn(context, 'posts', async (later) => {
      for (const outgoing of posts) await post(later, outgoing, log);
    });
  }
  const card = result.view ?? result.shared?.render();
  if (card) return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: result.notice ?? 'Done.' } as unknown as AdaptiveCardInvokeResponse;
}

/** Posts meant for another conversation, such as the person's personal chat. */
function postElsewhere(result: HandlerResult, log: Logger, deliveries: Deliveries): void {
  for (const outgoing of result.posts ?? []) {
    if (outgoing.to) deliveries.elsewhere(outgoing.to, 'post in another conversation', (there) => post(there, outgoing, log));
  }
}

/** Text commands and Action.Submit: no per-person view, so notices are sent as messages. */
export async function respondToMessage(context: TurnContext, result: HandlerResult, log: Logger, deliveries: Deliveries): Promise<void> {
  postElsewhere(result, log, deliveries);
  if (result.shared) {
    const activityId = result.shared.activityId ?? context.activity.replyToId;
    if (activityId) await updateShared(context, result.shared, activityId, log);
    else await post(context, { card: result.shared.render() }, log);
  }
  if (result.notice) await post(context, { text: result.notice }, log);
  else if (result.view && result.postViewWithoutExecute) await post(context, { card: result.publicView ?? result.view }, log);
  for (const outgoing of result.posts ?? []) if (!outgoing.to) await post(context, outgoing, log);
}
