/**
 * The periodic check's share of closing: a summary whose post was never recorded (the instance
 * stopped after the answer, or Teams failed the post) is posted now. Each is claimed on the Re-think
 * in a conditional write first, so of several instances one posts it.
 */
import { renderSummaryCard } from '../../cards/summary';
import { errorKind } from '../../services/logging';
import { applyCommand, SUMMARY_CLAIM_MS, SUMMARY_TRIES } from '../../services/rethink/engine';
import type { Actor } from '../../services/rethink/types';
import { rethinkAddress } from '../../services/store/conversations';
import type { ConnectorClient } from '../connectorClient';
import { recordSummaryPosted } from './rethink';
import { engineContext, type Deps } from './types';

/** Who the audit trail names for a summary the check posted. */
const SUMMARIES: Actor = { id: 'summaries', name: 'Re-think' };

/** How many one check takes on; the rest wait for the next. */
const PER_CHECK = 20;

/** `clock` is read again for each: a claim carries the time it was made (see sendReminders). */
export async function postMissedSummaries(deps: Deps, connector: ConnectorClient, clock: () => Date, stopping: () => boolean = () => false): Promise<void> {
  const found = await deps.rethinks.summariesToPost(new Date(clock().getTime() - SUMMARY_CLAIM_MS).toISOString(), SUMMARY_TRIES, PER_CHECK, deps.allowedTenantIds);
  for (const { conversationId, id } of found) {
    if (stopping()) return;
    const now = clock();
    const ctx = engineContext(deps, now);
    try {
      const claimed = await deps.rethinks.update(conversationId, id, (current) => applyCommand(current, { kind: 'summaryClaimed' }, SUMMARIES, ctx));
      // Posted meanwhile, or another instance took it on (its claim, not this one's, found after a lost answer).
      if (claimed.kind !== 'updated' || claimed.replay || claimed.doc.summaryPost?.claimedAt !== now.toISOString()) continue;
      const r = claimed.doc;
      // In a channel, the thread its card is in.
      const address = await rethinkAddress(deps.conversations, r, r.cardConversationId ?? r.conversationId);
      const card = { contentType: 'application/vnd.microsoft.card.adaptive', content: renderSummaryCard(deps.profile, r) };
      const sent = address.serviceUrl ? await connector.post(address, { attachments: [card] }) : { ok: false as const, status: 404 };
      if (!sent.ok) {
        deps.log.warn({ rethink: r.id, status: sent.status, tries: r.summaryPost?.tries }, 'a closed Re-think’s summary could not be posted; the periodic check tries again a few times');
        continue;
      }
      // Not recorded, it is posted again once the claim lapses: at least once, rarely twice.
      await recordSummaryPosted(deps, r, sent.activityId, SUMMARIES, now).catch((error: unknown) =>
        deps.log.warn({ err: errorKind(error), rethink: r.id }, 'a closed Re-think’s summary was posted but could not be recorded so; it may be posted again'),
      );
    } catch (error) {
      deps.log.warn({ err: errorKind(error), rethink: id }, 'a closed Re-think’s summary could not be posted now; the periodic check tries again');
    }
  }
}
