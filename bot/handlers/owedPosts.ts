/**
 * The periodic check's share of the posts a Re-think owes its chat (the summary on closing, the
 * reminder when its meeting ends): one whose post was never recorded (the instance stopped after the
 * answer, or Teams failed the post) is posted now. Each is claimed on the Re-think in a conditional
 * write first, so of several instances one posts it.
 */
import { renderRethinkCard } from '../../cards/rethink';
import { renderSummaryCard } from '../../cards/summary';
import { errorKind } from '../../services/logging';
import { applyCommand, POST_CLAIM_MS, POST_TRIES, type CardPlace } from '../../services/rethink/engine';
import { NO_ONE, type Actor, type OwedKind, type Rethink } from '../../services/rethink/types';
import { rethinkAddress } from '../../services/store/conversations';
import type { Stored } from '../../services/store/repository';
import { cardActivity, type ConnectorClient } from '../connectorClient';
import { meetingEndText, MEETING } from './meeting';
import { postToRethinkChat, recordPosted } from './rethink';
import { engineContext, type Deps } from './types';

/** Who the audit trail names for a summary the check posted (a meeting-end reminder stays the meeting's). */
const SUMMARIES: Actor = { id: NO_ONE.summaries, name: 'Re-think' };

/** How many of each one check takes on; the rest wait for the next. */
const PER_CHECK = 20;

/** What each owed post is: one message each. */
const OWED: Record<OwedKind, { actor: Actor; message: (deps: Deps, r: Rethink, now: Date) => object; what: string }> = {
  summary: { actor: SUMMARIES, message: (deps, r) => cardActivity(renderSummaryCard(deps.profile, r)), what: 'a closed Re-think’s summary' },
  // The reminder above the card, which becomes the one kept up to date.
  meetingEnd: { actor: MEETING, message: (deps, r, now) => ({ text: meetingEndText(r), ...cardActivity(renderRethinkCard(deps.profile, r, { now })) }), what: 'the reminder at a meeting’s end' },
};

/** `clock` is read again for each: a claim carries the time it was made (see sendReminders). */
export async function postOwed(deps: Deps, connector: ConnectorClient, clock: () => Date, stopping: () => boolean = () => false): Promise<void> {
  for (const post of Object.keys(OWED) as OwedKind[]) {
    const found = await deps.rethinks.owingPost(post, new Date(clock().getTime() - POST_CLAIM_MS).toISOString(), POST_TRIES, PER_CHECK, deps.allowedTenantIds);
    for (const { conversationId, id } of found) {
      if (stopping()) return;
      await postOne(deps, connector, post, conversationId, id, clock()).catch((error: unknown) => deps.log.warn({ err: errorKind(error), rethink: id, post }, `${OWED[post].what} could not be posted now; the periodic check tries again`));
    }
  }
}

async function postOne(deps: Deps, connector: ConnectorClient, post: OwedKind, conversationId: string, id: string, now: Date): Promise<void> {
  const { actor, message, what } = OWED[post];
  const ctx = engineContext(deps, now);
  const claimed = await deps.rethinks.update(conversationId, id, (current) => applyCommand(current, { kind: 'postClaimed', post }, actor, ctx));
  // Posted meanwhile, or another instance took it on (its claim, not this one's, found after a lost answer).
  if (claimed.kind !== 'updated' || claimed.replay || claimed.doc.owed?.[post]?.claimedAt !== now.toISOString()) return;
  const r = claimed.doc;
  const { sent, address } = await postToRethinkChat(deps, connector, r, message(deps, r, now));
  if (!sent.ok) {
    deps.log.warn({ rethink: r.id, post, status: sent.status, tries: r.owed?.[post]?.tries }, `${what} could not be posted; the periodic check tries again a few times`);
    return;
  }
  // At least once: not recorded, it is posted again once the claim lapses.
  const erased = await recordPosted(deps, r, post, sent.activityId, actor, now).catch((error: unknown) => {
    deps.log.warn({ err: errorKind(error), rethink: r.id, post }, `${what} was posted but could not be recorded so; it may be posted again`);
    return undefined;
  });
  // Erased while it was on its way: what was just posted goes too.
  if (erased && sent.activityId) {
    const replaced = await connector.update(address, sent.activityId, { type: 'message', text: erased.erased });
    if (!replaced.ok) deps.log.warn({ rethink: r.id, post, status: replaced.status }, `${what} was posted as its record was erased, and could not be replaced`);
    return;
  }
  if (post === 'meetingEnd' && sent.activityId) await keepCard(deps, connector, r, { activityId: sent.activityId, conversationId: address.conversationId }, actor, now);
}

/** The card posted with the reminder is the one kept up to date from now: brought up to date at once if the Re-think changed while it was posted. */
async function keepCard(deps: Deps, connector: ConnectorClient, posted: Stored<Rethink>, place: CardPlace, actor: Actor, now: Date): Promise<void> {
  try {
    const recorded = await deps.rethinks.update(posted.conversationId, posted.id, (current) => applyCommand(current, { kind: 'recordCard', card: place }, actor, engineContext(deps, now)));
    if (recorded.kind !== 'updated' || recorded.replay) return;
    // Recording posts and cards leaves updatedAt alone: a newer one is a change people made while the card was on its way.
    if (recorded.doc.updatedAt !== posted.updatedAt) {
      const address = await rethinkAddress(deps.conversations, recorded.doc, place.conversationId);
      await connector.update(address, place.activityId, cardActivity(renderRethinkCard(deps.profile, recorded.doc, { now })));
    }
  } catch (error) {
    deps.log.warn({ err: errorKind(error), rethink: posted.id }, 'posted the card with the reminder at a meeting’s end but could not record where it is');
  }
}
