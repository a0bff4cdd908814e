/**
 * What the meeting side panel shows of a Re-think, for one person: plain data, so the page only
 * lays it out. It follows the same rules as the card (who may facilitate, what is shown).
 */
import type { PartnershipProfile } from '../profile/types';
import { authorLine, authorOf, ownerLabel } from './authors';
import { contributionsAt, isIndependentFacilitator, liveActions, mayFacilitate, namedFacilitator, visibleContributions, waitingFor } from './facts';
import type { Actor, Contribution, Participant, Rethink, StageNumber } from './types';
import { formatUkDate } from './validation';

export interface PanelView {
  rethinkId: string;
  caseReference: string;
  strategy: string;
  status: Rethink['status'];
  stage: number;
  stageTitle: string;
  prompt: string;
  /** `external`: taking part by phone or face to face; `independent`: strategy 3's facilitator, who doesn't contribute. */
  participants: { name: string; role: string; agency: string; contributed: boolean; facilitator: boolean; external: boolean; independent: boolean }[];
  waitingFor: string[];
  contributions: { who: string; text: string; mine: boolean }[];
  /** Reveal together: the others' contributions not shown until the group moves on. */
  hiddenCount: number;
  /** Each stage's contributions are shown to everyone together, once the group moves on. */
  revealsTogether: boolean;
  earlierStages: { stage: number; title: string; contributions: { who: string; text: string }[] }[];
  actions: { description: string; owner: string; dueDate: string; /** As people read it, e.g. 10 December 2026. */ due: string }[];
  /** Who may own an action: everyone taking part, by id, as on the card; anyone else is typed. */
  owners: { id: string; label: string }[];
  me: { joined: boolean; contribution: string; mayFacilitate: boolean; name: string; id: string };
  isActionsStage: boolean;
  privacyReminder: string;
  /** The next stage's title, for the facilitator's button (as on the card); none at stage 5. */
  nextStageTitle?: string;
  /** Characters a contribution and an action may have: said with each box, as the card does (absent from an older instance). */
  limits?: { contribution: number; action: number };
}

export function panelView(profile: PartnershipProfile, r: Rethink, viewer: Actor, privacyReminder: string): PanelView {
  const byId = new Map(r.participants.map((p) => [p.id, p]));
  // Contributions under the role and agency they were made under, as on the card and the summary.
  const said = (c: Contribution) => authorLine(authorOf(c, byId));
  const person = (p: Participant) => `${p.name} (${p.role}, ${p.agency})`;
  const waiting = new Set(waitingFor(r).map((p) => p.id));
  const mine = contributionsAt(r, r.stage).find((c) => c.participantId === viewer.id);
  const stageText = (n: number) => profile.stages[n - 1];
  const titleOf = (n: number): string => stageText(n)?.title ?? `Stage ${n}`;
  const visible = visibleContributions(r, viewer.id);
  return {
    rethinkId: r.id,
    caseReference: r.caseReference,
    strategy: r.strategy ? (profile.strategies[r.strategy - 1]?.title ?? `Strategy ${r.strategy}`) : 'Strategy to be chosen',
    status: r.status,
    stage: r.stage,
    stageTitle: titleOf(r.stage),
    prompt: stageText(r.stage)?.prompt ?? '',
    participants: r.participants.map((p) => ({
      name: p.name,
      role: p.role,
      agency: p.agency,
      contributed: !waiting.has(p.id),
      facilitator: namedFacilitator(r, p.id),
      external: p.external === true,
      independent: isIndependentFacilitator(r, p.id),
    })),
    waitingFor: r.participants.filter((p) => waiting.has(p.id)).map((p) => p.name),
    contributions: visible.shown.map((c) => ({ who: said(c), text: c.text, mine: c.participantId === viewer.id })),
    hiddenCount: visible.hidden,
    revealsTogether: r.revealTogether === true,
    earlierStages: Array.from({ length: r.stage - 1 }, (_, i) => (i + 1) as StageNumber).map((n) => ({
      stage: n,
      title: titleOf(n),
      contributions: contributionsAt(r, n).map((c) => ({ who: said(c), text: c.text })),
    })),
    actions: liveActions(r).map((a) => ({ description: a.description, owner: ownerLabel(a, byId), dueDate: a.dueDate, due: formatUkDate(a.dueDate) })),
    owners: r.participants.map((p) => ({ id: p.id, label: `${person(p)}${p.external ? ', outside Teams' : ''}` })),
    me: { joined: byId.has(viewer.id), contribution: mine?.text ?? '', mayFacilitate: mayFacilitate(r, viewer), name: viewer.name, id: viewer.id },
    isActionsStage: r.status === 'open' && r.stage === 5,
    privacyReminder,
    ...(r.stage < 5 ? { nextStageTitle: titleOf(r.stage + 1) } : {}),
    limits: { contribution: profile.limits.contributionMaxLength, action: profile.limits.actionMaxLength },
  };
}
