import { authorLine, authorOf, ownerLabel } from '../services/rethink/authors';
import type { PartnershipProfile } from '../services/profile/types';
import { actionVersion, contributionsAt, recordedForAtStage, facilitatorIsNamed, facilitatorLeft, facilitatorQuiet, leftPlace, independentlyFacilitated, isFacilitator, listNames, liveActions, namedFacilitator, visibleContributions, waitingFor } from '../services/rethink/facts';
import type { Participant, Rethink, StageNumber } from '../services/rethink/types';
import { formatUkDate, ukToday } from '../services/rethink/validation';
import template from './rethink.json';
import { participantKey, participantNamed } from '../services/rethink/participantKey';
import { CardTooLargeError, expand, fitToSize, truncate, type AdaptiveCard, type Fit } from './render';
import { renderTooFullCard } from './tooFull';
import { characters, closeForm, pasteRoom, nextStepChoices, nextStepLabels, OUTCOME_LABELS, PRIVACY_REMINDER, refreshUserIdsOf, STATUS_LABELS } from './wording';
import { distinctText } from '../services/text';

/** Who is looking at the card: absent for the shared card everyone sees. */
export interface Viewer {
  id: string;
  /** Remembered from an earlier Re-think, to pre-fill the join form. */
  rememberedRole?: string;
  rememberedAgency?: string;
  /** Whether they may facilitate, when it is not simply "is the facilitator" (a meeting's presenters). */
  facilitates?: boolean;
}

export interface CardNotice {
  text: string;
  tone: 'good' | 'attention' | 'accent';
}

/** What the person typed, shown again when something needs correcting. */
export interface ActionDraft {
  description: string;
  owner: string;
  ownerName: string;
  dueDate: string;
}

export interface Drafts {
  contribution?: string;
  /** The role and agency typed to join, or to correct those recorded. */
  join?: { role: string; agency: string };
  action?: ActionDraft;
  /** Typed into the editor of an existing action. */
  edit?: ActionDraft;
  /** The version of that action the editor was opened on: kept while what was typed is corrected. */
  editVersion?: string;
  /** Typed by the facilitator for someone on the phone or face to face. */
  behalf?: BehalfDraft;
}

export interface BehalfDraft {
  name: string;
  role: string;
  agency: string;
  text: string;
  samePerson?: boolean;
  replace?: boolean;
}

export const EXTERNAL_OWNER = '__external';
const withinLimit = (text: string, max: number): string => (text.length <= max ? text : '');

interface Line {
  line: string;
}
interface Choice {
  title: string;
  value: string;
}

export interface RethinkCardData {
  rethinkId: string;
  caseReference: string;
  subtitle: string;
  statusLabel: string;
  statusColour: string;
  hasRefresh: boolean;
  refreshUserIds: string[];
  hasNotice: boolean;
  notice: string;
  noticeStyle: string;
  hasConfirmation: boolean;
  confirmation: string;
  /** The confirmation's buttons: about the people named, or (one voice heard) about the stage. */
  confirmMoveOn: string;
  confirmWait: string;
  /** How many had joined when the confirmation was asked: it covers only the people it named. */
  joinedCount: number;
  isOpen: boolean;
  isClosed: boolean;
  outcomeLine: string;
  stage: number;
  stageTitle: string;
  stagePrompt: string;
  participants: Line[];
  progress: string;
  noContributions: boolean;
  contributions: { who: string; text: string }[];
  /** A crowded card shows the first contributions only: how many more there are. */
  moreNote: string;
  /** The same for the stage revealed together. */
  moreRevealedNote: string;
  /** Reveal together: how many of the others' contributions are not shown yet. */
  hiddenNote: string;
  /** Reveal together: the stage just finished, now shown to everyone. */
  revealedTitle: string;
  revealed: { who: string; text: string }[];
  isActionsStage: boolean;
  /** At stage 5; or earlier, once the meeting it was held in has ended. */
  canClose: boolean;
  showActions: boolean;
  noActions: boolean;
  actions: { id: string; description: string; ownerLine: string }[];
  /** On a crowded card, how many actions are not listed (each can still be chosen to change). */
  moreActionsNote: string;
  hasChangeable: boolean;
  changeable: Choice[];
  isEditing: boolean;
  editing: ActionDraft & { id: string; version: string };
  ownerChoices: Choice[];
  handOverChoices: Choice[];
  /** Someone to hand over to: until another person joins in Teams, the card says so instead of an empty list. */
  hasHandOverChoices: boolean;
  /** Said where no one can be chosen. */
  handOverNote: string;
  outcomeChoices: Choice[];
  /** Before stage 5: why only "not resolved" is offered. */
  closeNote: string;
  nextStepChoices: Choice[];
  privacy: string;
  showJoin: boolean;
  joinTitle: string;
  joinButton: string;
  viewerRole: string;
  viewerAgency: string;
  /** What the join button says was remembered: never text over the limit, which was refused. */
  rememberedRole: string;
  rememberedAgency: string;
  showContribute: boolean;
  contributeTitle: string;
  draft: string;
  /** Why the box is empty when the person has already contributed (the fullest cards only). */
  draftNote: string;
  showAddAction: boolean;
  draftAction: ActionDraft;
  behalf: Omit<BehalfDraft, 'samePerson' | 'replace'> & { samePerson: 'true' | 'false'; replace: 'true' | 'false' };
  /** What was typed for someone would replace what is recorded for them at this stage: the facilitator is asked to say so. */
  showBehalfReplace: boolean;
  /** Someone is recorded by phone or face to face: a name typed again may be them. */
  hasExternals: boolean;
  showFacilitator: boolean;
  /** The named facilitator has gone quiet: someone who has joined may take over. */
  showTakeOver: boolean;
  takeOverNote: string;
  facilitatorNote: string;
  canAdvance: boolean;
  nextStage: number;
  nextStageTitle: string;
  today: string;
  /** The editor's earliest date: today, or the recorded due date if it has passed (it may be kept). */
  editMin: string;
  nameMax: number;
  actionMax: number;
  contributionMax: number;
  /** The limits as the boxes' labels say them. */
  actionLimit: string;
  contributionLimit: string;
}

export interface RethinkCardOptions {
  viewer?: Viewer;
  notice?: CardNotice;
  /** Asks the facilitator to confirm moving on while some have not contributed. */
  confirmation?: string;
  drafts?: Drafts;
  /** The action this viewer is changing: its editor is shown, other forms are hidden. */
  editingActionId?: string;
  /** Posted where everyone sees it: with "reveal together", not even the viewer's own hidden contribution. */
  concealOwn?: boolean;
  now: Date;
}

/** Why facilitation may be taken over, and by whom: the facilitator left the chat (or the team), or has been quiet. */
const takeOverNote = (r: Rethink, facilitator: string, who: string, quietDays: number): string =>
  facilitatorLeft(r)
    ? `${facilitator} has left this ${leftPlace(r)}, so ${who} can take over facilitating this Re-think and the group can carry on. Everyone’s card will say so.`
    : `${facilitator} hasn’t made a change here for ${quietDays} days or more. If they are no longer available (they may have moved on), ${who} can take over facilitating this Re-think, so the group can carry on. Everyone’s card will say so.`;

/**
 * `textLimit` shortens long texts; `fit` also shortens the per-person lists, for very large
 * groups, so the card always fits Teams' size limit.
 */
export function rethinkCardData(profile: PartnershipProfile, r: Rethink, options: RethinkCardOptions, textLimit = 4000, fit: Fit = 'full'): RethinkCardData {
  const compact = fit !== 'full';
  const minimal = fit === 'minimal';
  const tight = fit === 'tight' || minimal;
  // A crowded card shows this many of a stage's contributions; the summary keeps every one.
  const shownAtMost = minimal ? MINIMAL_SHOWN : tight ? TIGHT_CONTRIBUTIONS : Number.POSITIVE_INFINITY;
  const actionsAtMost = minimal ? MINIMAL_SHOWN : tight ? TIGHT_ACTIONS : Number.POSITIVE_INFINITY;
  const choiceOf = (p: Participant): string => (tight ? participantKey(p.id) : p.id);
  // A draft's owner chosen on a card of another fit still selects that person.
  const ownerOf = <T extends ActionDraft>(draft: T): T => {
    const p = draft.owner && draft.owner !== EXTERNAL_OWNER ? participantNamed(r, draft.owner) : undefined;
    return p ? { ...draft, owner: choiceOf(p) } : draft;
  };
  const { viewer, notice, drafts, now } = options;
  const byId = new Map(r.participants.map((p) => [p.id, p]));
  const stageText = profile.stages[r.stage - 1] ?? { title: `Stage ${r.stage}`, prompt: '' };
  const nextStageText = profile.stages[r.stage];
  const isOpen = r.status === 'open';
  const isActionsStage = isOpen && r.stage === 5;
  const me = viewer ? byId.get(viewer.id) : undefined;
  const facilitating = viewer ? (viewer.facilitates ?? isFacilitator(r, viewer.id)) : true;
  const concealed = options.concealOwn === true && r.revealTogether === true;
  const ownContribution = viewer && !concealed ? contributionsAt(r, r.stage).find((c) => c.participantId === viewer.id)?.text : undefined;
  const visible = visibleContributions(r, concealed ? undefined : viewer?.id);
  const waiting = waitingFor(r);
  const contributed = r.participants.filter((p) => !waiting.includes(p));
  const inTeams = r.participants.filter((p) => !p.external);
  const strategy = r.strategy ? (profile.strategies[r.strategy - 1]?.title ?? `Strategy ${r.strategy}`) : 'Strategy to be chosen';
  const actions = liveActions(r);
  const NEXT_STEP_LABELS = nextStepLabels(profile);
  const person = (p: Participant): string => (compact ? p.name : `${p.name} (${p.role}, ${p.agency})`);
  // Anyone but whoever is named facilitator now (in a meeting, the starter too, who doesn't facilitate unless handed over to).
  // Strategy 3 stays with its independent facilitator: it isn't handed over.
  const handOverChoices = independentlyFacilitated(r) ? [] : inTeams.filter((p) => !namedFacilitator(r, p.id) && !p.leftAt).map((p) => ({ title: person(p), value: choiceOf(p) }));
  // Each action is changed by whoever added it or by the facilitator, until the Re-think closes.
  const changeable = isActionsStage ? actions.filter((a) => !viewer || a.addedBy === viewer.id || facilitating) : [];
  // Everyone's card too, where there are no per-person views (the engine checks who may change it).
  const editing = isActionsStage ? changeable.find((a) => a.id === options.editingActionId) : undefined;
  // On the fullest cards, a long contribution of one's own is not put back in its box (it is saved).
  const ownNotShown = minimal && drafts?.contribution === undefined && ownContribution !== undefined && ownContribution.length > MINIMAL_DRAFT ? ownContribution : undefined;

  return {
    rethinkId: r.id,
    caseReference: r.caseReference,
    subtitle: `${strategy} · ${profile.concernCategories.find((c) => c.id === r.concernCategory)?.label ?? 'Concern'} · started ${formatUkDate(r.createdAt)}`,
    statusLabel: STATUS_LABELS[r.status] ?? r.status,
    statusColour: isOpen ? 'Accent' : 'Good',
    hasRefresh: isOpen && inTeams.length > 0,
    refreshUserIds: refreshUserIdsOf(r),
    hasNotice: Boolean(notice),
    notice: notice?.text ?? '',
    noticeStyle: notice?.tone ?? 'default',
    hasConfirmation: Boolean(options.confirmation),
    confirmation: options.confirmation ?? '',
    confirmMoveOn: waiting.length > 0 ? 'Move on without them' : 'Move on anyway',
    confirmWait: waiting.length > 0 ? 'Wait for them' : 'Not yet',
    joinedCount: r.participants.length,
    isOpen,
    isClosed: r.status === 'closed',
    outcomeLine: r.outcome ? `Outcome: ${OUTCOME_LABELS[r.outcome.kind]}${r.outcome.nextStep ? `. Next step: ${NEXT_STEP_LABELS[r.outcome.nextStep]}` : ''}` : '',
    stage: r.stage,
    stageTitle: stageText.title,
    stagePrompt: stageText.prompt,
    participants: minimal
      ? [{ line: `${r.participants.length} people from ${distinctText(r.participants.map((p) => p.agency)).length} agencies, too many to name on one card. Facilitating: ${!facilitatorIsNamed(r) ? 'the organiser and presenters' : (byId.get(r.facilitatorId)?.name ?? 'no one yet')}.` }]
      : tight
      ? [{ line: r.participants.map((p) => `${p.name}${namedFacilitator(r, p.id) ? ' (facilitator)' : ''}`).join(', ') }]
      : r.participants.map((p) => ({ line: compact ? `${p.name}${namedFacilitator(r, p.id) ? ' (facilitator)' : ''}` : participantLine(p, r) })),
    progress: isOpen ? progressLine(contributed, waiting, minimal) : '',
    noContributions: isOpen && contributionsAt(r, r.stage).length === 0,
    hiddenNote: isOpen && visible.hidden > 0 ? `${visible.hidden === 1 ? 'One contribution is' : `${visible.hidden} contributions are`} hidden until the facilitator moves on: this Re-think reveals each stage together.` : '',
    revealedTitle: isOpen && r.revealTogether && r.stage > 1 ? `Revealed together: stage ${r.stage - 1}, ${profile.stages[r.stage - 2]?.title ?? ''}` : '',
    moreRevealedNote: isOpen && r.revealTogether && r.stage > 1 && contributionsAt(r, (r.stage - 1) as StageNumber).length > shownAtMost ? moreContributions(contributionsAt(r, (r.stage - 1) as StageNumber).length - shownAtMost, 'that stage') : '',
    revealed:
      isOpen && r.revealTogether && r.stage > 1
        ? contributionsAt(r, (r.stage - 1) as StageNumber)
            .slice(0, shownAtMost)
            .map((c) => ({ who: byId.get(c.participantId)?.name ?? 'Someone', text: truncate(c.text, textLimit) }))
        : [],
    moreNote: isOpen && visible.shown.length > shownAtMost ? moreContributions(visible.shown.length - shownAtMost, 'this stage') : '',
    contributions: isOpen
      ? visible.shown.slice(0, shownAtMost).map((c) => {
          const author = authorOf(c, byId);
          return { who: compact ? `${author.name}${author.recordedForThem ? ', recorded by the facilitator' : ''}` : authorLine(author), text: truncate(c.text, textLimit) };
        })
      : [],
    isActionsStage,
    canClose: isOpen && (r.stage === 5 || Boolean(r.meetingEndRemindedAt)),
    showActions: r.stage === 5 || actions.length > 0,
    noActions: isActionsStage && actions.length === 0,
    actions: actions.slice(0, actionsAtMost).map((a) => ({
      id: a.id,
      description: truncate(a.description, Math.min(textLimit, 500)),
      ownerLine: `${ownerLabel(a, byId)} · due ${formatUkDate(a.dueDate)}`,
    })),
    moreActionsNote: actions.length > actionsAtMost ? moreActions(actions.length - actionsAtMost) : '',
    hasChangeable: !editing && changeable.length > 0,
    changeable: changeable.map((a) => ({ title: truncate(a.description, Math.min(minimal ? 30 : 60, textLimit)), value: a.id })),
    isEditing: Boolean(editing),
    editing: editing
      ? {
          id: editing.id,
          version: drafts?.edit && drafts.editVersion ? drafts.editVersion : actionVersion(editing),
          ...ownerOf(drafts?.edit ?? { description: editing.description, owner: editing.owner.participantId ?? EXTERNAL_OWNER, ownerName: editing.owner.participantId ? '' : editing.owner.name, dueDate: editing.dueDate }),
        }
      : { id: '', version: '', description: '', owner: '', ownerName: '', dueDate: '' },
    ownerChoices: [...r.participants.map((p) => ({ title: person(p), value: choiceOf(p) })), { title: 'Someone outside Teams (type who below)', value: EXTERNAL_OWNER }],
    handOverChoices,
    hasHandOverChoices: handOverChoices.length > 0,
    handOverNote: independentlyFacilitated(r) ? 'A strategy 3 Re-think stays with its independent facilitator, so it isn’t handed over.' : 'You can hand over once someone else has joined in Teams.',
    ...closeForm(r.stage),
    nextStepChoices: nextStepChoices(profile, r),
    privacy: PRIVACY_REMINDER,
    // Joined, their own card lets them correct their role or agency (the shared card offers both).
    showJoin: isOpen && (!me || Boolean(viewer)) && !editing,
    joinTitle: !viewer ? 'Join, or update your role' : me ? 'Update your role or agency' : 'Join this Re-think',
    joinButton: viewer && me ? 'Save my role and agency' : 'Join',
    viewerRole: drafts?.join?.role ?? (me ? me.role : (viewer?.rememberedRole ?? '')),
    viewerAgency: drafts?.join?.agency ?? (me ? me.agency : (viewer?.rememberedAgency ?? '')),
    rememberedRole: withinLimit(viewer?.rememberedRole ?? '', profile.limits.nameMaxLength),
    rememberedAgency: withinLimit(viewer?.rememberedAgency ?? '', profile.limits.nameMaxLength),
    showContribute: isOpen && (!viewer || Boolean(me)) && !editing,
    contributeTitle: !viewer ? 'Add or edit your contribution' : ownNotShown ? 'Replace your contribution' : ownContribution ? 'Edit your contribution' : 'Add your contribution',
    draft: ownNotShown ? '' : (drafts?.contribution ?? ownContribution ?? ''),
    draftNote: ownNotShown ? `Your contribution to this stage is saved (${ownNotShown.length.toLocaleString('en-GB')} characters), but this card is too full to put it back in this box. What you save here replaces it, and the record keeps the earlier version.` : '',
    showAddAction: isActionsStage && (!viewer || Boolean(me)) && !editing,
    draftAction: drafts?.action ? ownerOf(drafts.action) : { description: '', owner: '', ownerName: '', dueDate: '' },
    behalf: { name: '', role: '', agency: '', text: '', ...drafts?.behalf, samePerson: drafts?.behalf?.samePerson ? 'true' : 'false', replace: drafts?.behalf?.replace ? 'true' : 'false' },
    // Everyone's card carries no one's draft: it offers the box whenever someone by phone is recorded at this stage.
    showBehalfReplace: (!!drafts?.behalf?.name && recordedForAtStage(r, drafts.behalf.name)) || (!viewer && contributionsAt(r, r.stage).some((c) => byId.get(c.participantId)?.external === true)),
    hasExternals: r.participants.some((p) => p.external),
    showFacilitator: isOpen && facilitating && !editing,
    // On everyone's card too (clients without per-person views see only that): the engine checks who pressed.
    showTakeOver: !editing && facilitatorQuiet(r, now, profile) && (viewer ? !facilitating && Boolean(me) && !me?.external : true),
    takeOverNote: takeOverNote(r, byId.get(r.facilitatorId)?.name ?? 'The facilitator', viewer ? 'you' : 'anyone who has joined', profile.reminders.openRethinkDays),
    facilitatorNote: viewer ? 'You are facilitating. Move the group on when every perspective has been heard.' : 'For the facilitator only.',
    canAdvance: isOpen && r.stage < 5,
    nextStage: Math.min(r.stage + 1, 5),
    nextStageTitle: nextStageText?.title ?? '',
    today: ukToday(now),
    editMin: editing && editing.dueDate < ukToday(now) ? editing.dueDate : ukToday(now),
    // Room for what is already recorded under a limit since lowered: a box may cut a longer value put in it.
    nameMax: Math.max(profile.limits.nameMaxLength, ...r.participants.flatMap((p) => [p.role.length, p.agency.length]), ...r.actions.filter((a) => !a.owner.participantId).map((a) => a.owner.name.length)),
    actionMax: Math.max(pasteRoom(profile.limits.actionMaxLength), ...r.actions.map((a) => a.description.length)),
    contributionMax: pasteRoom(profile.limits.contributionMaxLength),
    actionLimit: characters(profile.limits.actionMaxLength),
    contributionLimit: characters(profile.limits.contributionMaxLength),
  };
}

function participantLine(p: Participant, r: Rethink): string {
  const tags = [namedFacilitator(r, p.id) ? 'facilitator' : '', p.external ? 'by phone or face to face' : ''].filter(Boolean);
  return `${p.name} · ${p.role}, ${p.agency}${tags.length ? ` (${tags.join(', ')})` : ''}`;
}

function progressLine(contributed: Participant[], waiting: Participant[], counted = false): string {
  const done = !contributed.length ? '' : counted ? `${contributed.length} of ${contributed.length + waiting.length} have contributed.` : `Contributed: ${listNames(contributed.map((p) => p.name))}.`;
  // The fullest cards name the first few still to contribute; asking to move on names them all.
  const named = counted && waiting.length > MINIMAL_NAMED ? [...waiting.slice(0, MINIMAL_NAMED).map((p) => p.name), `${waiting.length - MINIMAL_NAMED} others`] : waiting.map((p) => p.name);
  const still = waiting.length ? `Still to contribute: ${listNames(named)}.` : 'Everyone taking part has contributed to this stage.';
  return [done, still].filter(Boolean).join(' ');
}

/** How many of a stage's contributions a crowded card shows (see `Fit`). */
const TIGHT_CONTRIBUTIONS = 12;

/** How many actions a crowded card lists (see `Fit`). */
const TIGHT_ACTIONS = 12;

/** The fullest cards list this many contributions and actions, and put back one's own only when shorter than this. */
const MINIMAL_SHOWN = 5;
const MINIMAL_NAMED = 10;
const MINIMAL_DRAFT = 500;

const moreActions = (more: number): string =>
  `…and ${more === 1 ? 'one more action' : `${more} more actions`}, not listed here: too many to fit on one card. Every one is saved, and each can still be chosen to change or remove.`;

const moreContributions = (more: number, stage: 'this stage' | 'that stage'): string =>
  `…and ${more === 1 ? 'one more contribution' : `${more} more contributions`} to ${stage}, not shown here: too many to fit on one card. Every one is saved.`;

/**
 * The Re-think card, with long contributions summarised so it always fits Teams' limit; a Re-think
 * too large for even its most compact card gets the small card that says so (`tooFull`).
 */
export function renderRethinkCard(profile: PartnershipProfile, r: Rethink, options: RethinkCardOptions): AdaptiveCard {
  try {
    return fitToSize((limit, fit) => expand(template, rethinkCardData(profile, r, options, limit, fit)));
  } catch (error) {
    if (!(error instanceof CardTooLargeError)) throw error;
    return renderTooFullCard(profile, r, options);
  }
}
