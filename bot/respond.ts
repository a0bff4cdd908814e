/** Turns a handler's result into Teams replies: the invoke response, in-place updates, new posts. */
import { CardFactory, MessageFactory, type AdaptiveCardInvokeResponse, type TurnContext } from 'botbuilder';
import type { AdaptiveCard } from '../cards/render';
import { errorKind, type Logger } from '../services/logging';
import type { Deliveries } from './deliveries';
import type { HandlerResult, Outgoing } from './handlers/types';
import { addressOf } from './turn';

const cardActivity = (card: AdaptiveCard, text?: string) => MessageFactory.attachment(CardFactory.adaptiveCard(card), text);

/** Teams asks the person before a file is put in their OneDrive. */
const fileConsentActivity = (file: NonNullable<Outgoing['file']>) =>
  MessageFactory.attachment({
    contentType: 'application/vnd.microsoft.teams.card.file.consent',
    name: file.name,
    content: { description: file.description, sizeInBytes: file.sizeInBytes, acceptContext: file.context, declineContext: file.context },
  });

async function post(context: TurnContext, outgoing: Outgoing, log: Logger, deliveries: Deliveries): Promise<void> {
  const activity = outgoing.file ? fileConsentActivity(outgoing.file) : outgoing.card ? cardActivity(outgoing.card, outgoing.text) : MessageFactory.text(outgoing.text ?? '');
  const response = await context.sendActivity(activity);
  if (response?.id && outgoing.onPosted) {
    const behind = await outgoing.onPosted(response.id, context.activity.conversation.id).catch((error: unknown) => {
      log.warn({ err: errorKind(error) }, 'posted a card but could not record where it is');
      return undefined;
    });
    // Its record erased while it was on its way: no erasure knew of this message, so it goes now.
    if (behind && 'erased' in behind) {
      await context.updateActivity({ ...MessageFactory.text(behind.erased), id: response.id }).catch((error: unknown) => log.warn({ err: errorKind(error) }, 'a message about an erased record could not be replaced'));
    } else if (behind) deliveries.updateCard(context, response.id, behind);
  }
}

/**
 * Each post in turn, in order; one Teams refuses doesn't keep back those after it (they are other
 * messages: a summary, a start form). Any failure then fails the turn, so a text whose card went
 * missing ("…are below") is followed by an apology rather than left to mislead.
 */
async function postAll(context: TurnContext, outgoings: readonly Outgoing[], log: Logger, deliveries: Deliveries): Promise<void> {
  let failed: { error: unknown } | undefined;
  for (const outgoing of outgoings) {
    try {
      await post(context, outgoing, log, deliveries);
    } catch (error) {
      if (failed) log.warn({ err: errorKind(error), status: (error as { statusCode?: unknown }).statusCode }, 'another post in this turn could not be sent');
      failed ??= { error };
    }
  }
  if (failed) throw failed.error;
}

/** The person's own card is the answer; everyone's card and new posts follow once it is sent. */
export async function respondToInvoke(context: TurnContext, result: HandlerResult, log: Logger, deliveries: Deliveries): Promise<AdaptiveCardInvokeResponse> {
  const { shared } = result;
  const posts = (result.posts ?? []).filter((p) => !p.to);
  postElsewhere(context, result, log, deliveries);
  const cardId = shared?.activityId;
  if (shared && cardId) deliveries.updateCard(context, cardId, shared);
  if (posts.length > 0) {
    deliveries.afterTurn(context, 'posts', (later) => postAll(later, posts, log, deliveries));
  }
  const card = result.view ?? result.shared?.render();
  if (card) return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: result.notice ?? 'Done.' } as unknown as AdaptiveCardInvokeResponse;
}

/** Posts meant for another conversation, such as the person's personal chat; messages elsewhere replaced; other Re-thinks' cards. */
function postElsewhere(context: TurnContext, result: HandlerResult, log: Logger, deliveries: Deliveries): void {
  for (const { to, card } of result.otherCards ?? []) if (card.activityId) deliveries.updateCardAt(to, card.activityId, card);
  // Read now, if a refusal may need telling: the turn's context is gone by the time a post elsewhere
  // has failed. Said later, in a shared chat, it names whom it is for, whatever they pressed or typed.
  const tellHere = result.posts?.some((p) => p.to && p.onRefused) ? { asked: addressOf(context), prefix: whomPrefix(context, true) } : undefined;
  for (const outgoing of result.posts ?? []) {
    if (!outgoing.to) continue;
    const { onRefused } = outgoing;
    deliveries.elsewhere(outgoing.to, 'post in another conversation', async (there) => {
      try {
        await post(there, outgoing, log, deliveries);
      } catch (error) {
        // Re-think isn't there any more (removed, and the news lost): the person is told where they asked.
        const status = (error as { statusCode?: unknown }).statusCode;
        if (!onRefused || !tellHere || (status !== 403 && status !== 404)) throw error;
        const said = await onRefused();
        if (said) deliveries.elsewhere(tellHere.asked, 'say another conversation could not be reached', async (here) => void (await here.sendActivity(`${tellHere.prefix}${said}`)));
      }
    });
  }
  for (const { to, activityId, text, everyones } of result.replaced ?? []) {
    if (everyones) deliveries.eraseCardAt(to, activityId, text);
    else deliveries.replaceAt(to, activityId, text);
  }
}

/** Text commands and Action.Submit: no per-person view, so notices are sent as messages. */
export async function respondToMessage(context: TurnContext, result: HandlerResult, log: Logger, deliveries: Deliveries): Promise<void> {
  postElsewhere(context, result, log, deliveries);
  const outgoings: Outgoing[] = [];
  if (result.shared) {
    const activityId = result.shared.activityId ?? context.activity.replyToId;
    if (activityId) deliveries.updateCard(context, activityId, result.shared);
    else outgoings.push({ card: result.shared.render() });
  }
  if (result.notice) outgoings.push({ text: forWhom(context, result.notice) });
  else if (result.said) outgoings.push({ text: forWhom(context, result.said) });
  else if (result.view && result.postViewWithoutExecute) outgoings.push({ card: result.publicView?.() ?? result.view });
  outgoings.push(...(result.posts ?? []).filter((p) => !p.to));
  await postAll(context, outgoings, log, deliveries);
}

/**
 * A card's button pressed in a shared chat without per-person views: its answer is posted for
 * everyone to read, so it says whom it is for.
 */
function forWhom(context: TurnContext, notice: string): string {
  return `${whomPrefix(context)}${notice}`;
}

/** `For <name>: `, where the answer to a press (or, `typedToo`, to anything) is posted for everyone to read; nothing elsewhere. */
function whomPrefix(context: TurnContext, typedToo = false): string {
  const { activity } = context;
  const pressed = typedToo || (activity.value !== undefined && activity.value !== null);
  const shared = activity.conversation.conversationType !== 'personal';
  const name = activity.from.name?.trim();
  return pressed && shared && name ? `For ${name}: ` : '';
}
