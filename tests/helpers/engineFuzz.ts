/**
 * Model-based fuzzing of the Re-think engine: seeded random command sequences from many actors, with
 * the record's invariants checked after every command. FUZZ_RUNS / FUZZ_SEED / FUZZ_STEPS to vary.
 */
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { applyCommand, startRethink, type Command, type StartInput, type Where } from '../../services/rethink/engine';
import { actionVersion } from '../../services/rethink/facts';
import type { EngineContext } from '../../services/rethink/types';
import { NO_ONE, type Actor, type Participant, type Rethink, type StageNumber, type StrategyAnswers } from '../../services/rethink/types';
import { participantKey } from '../../services/rethink/participantKey';
import { renderRethinkCard } from '../../cards/rethink';
import { renderSummaryCard } from '../../cards/summary';
import { cardBytes, MAX_CARD_BYTES } from '../../cards/render';
import { panelView } from '../../services/rethink/panelView';
import { renderEscalationCard } from '../../cards/escalation';
import { renderStrategyCard, strategyCardData } from '../../cards/strategy';
import { ukToday } from '../../services/rethink/validation';

const profile = loadProfile(DEFAULT_PROFILE_PATH);
const RETENTION = profile.retentionDays * 86_400;
const DAY = 86_400_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Step {
  command: Command;
  actor: Actor;
  activityId?: string;
  advanceMs: number;
}

export interface Scenario {
  meeting: boolean;
  kind: 'groupChat' | 'channel' | 'personal';
  facilitating: boolean;
  reveal: boolean;
  answers: StrategyAnswers;
  starterRole?: string;
}

const SYSTEM = {
  reminders: { id: NO_ONE.reminders, name: 'Re-think' },
  meeting: { id: NO_ONE.meeting, name: 'Teams meeting' },
  membership: { id: NO_ONE.membership, name: 'Teams' },
};
const MEETING_ID = 'meeting-1';

function people(s: Scenario, rnd: () => number): Record<string, Actor> {
  const m = (role: string, other = false): Partial<Actor> => (s.meeting ? { meetingRole: role, meetingId: other ? 'meeting-other' : MEETING_ID } : {});
  const starterRole = s.starterRole ?? 'Attendee';
  return {
    starter: { id: '29:starter', name: 'Sam Starter', aadObjectId: 'a0', ...m(starterRole) },
    p1: { id: '29:p1', name: 'Pat One', aadObjectId: 'a1', ...m('Attendee') },
    p2: { id: '29:p2', name: 'Alex Two', aadObjectId: 'a2', ...m(rnd() < 0.5 ? 'Presenter' : 'Attendee') },
    p3: { id: '29:p3', name: 'Jo Three', aadObjectId: 'a3', ...m('Attendee') },
    outsider: { id: '29:out', name: 'Never Joined', aadObjectId: 'a4', ...m('Attendee') },
    organiser: { id: '29:org', name: 'Olga Organiser', aadObjectId: 'a5', ...m('Organizer') },
    presenter: { id: '29:pres', name: 'Pres Enter', aadObjectId: 'a6', ...m('Presenter') },
    otherMeetingOrganiser: { id: '29:org2', name: 'Other Org', aadObjectId: 'a7', ...m('Organizer', true) },
    noName: { id: '29:noname', name: '' },
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

const TEXTS = ['I think the plan has drifted.', 'Another view.', '  padded  ', '', '   ', 'x'.repeat(4000), 'y'.repeat(4001), 'Café', 'Cafe\u0301', '${oops}', '**bold** <b>', 'Short'];
const NAMES = ['Gran', 'gran', 'Dr Who', 'Dr Who ', 'Zoë', 'Zoe\u0308', '', 'n'.repeat(80), 'n'.repeat(81), 'Pat One'];
const ROLES = ['Teacher', 'Nurse', 'Social worker', '', ' ', 'r'.repeat(81)];
const AGENCIES = ['School', 'school', 'NHS', 'Police', 'Children’s social care', '', 'a'.repeat(80)];
const REASONS = ['', 'no', 'Because we tried already', ' '.repeat(5), 'r'.repeat(501)];

function dueDate(rnd: () => number, now: Date): string {
  const today = ukToday(now);
  const base = Date.parse(`${today}T00:00:00Z`);
  const choice = rnd();
  if (choice < 0.6) return new Date(base + Math.floor(rnd() * 30) * DAY).toISOString().slice(0, 10);
  if (choice < 0.7) return new Date(base - DAY).toISOString().slice(0, 10);
  if (choice < 0.75) return '2026-02-30';
  if (choice < 0.8) return '';
  if (choice < 0.85) return new Date(base + 900 * DAY).toISOString().slice(0, 10);
  return today;
}

function genStep(r: Rethink, s: Scenario, who: Record<string, Actor>, rnd: () => number, now: Date, usedIds: string[], n: number): Step {
  const humans = Object.values(who);
  const facilitatorish = (): Actor => (s.meeting && r.strategy !== 3 && rnd() < 0.5 ? pick(rnd, [who.organiser!, who.presenter!, who.otherMeetingOrganiser!]) : (humans.find((a) => a.id === r.facilitatorId) ?? pick(rnd, humans)));
  const anyone = (): Actor => (rnd() < 0.55 ? facilitatorish() : rnd() < 0.1 ? who.starter! : pick(rnd, humans));
  const participantIds = r.participants.map((p) => p.id);
  const someId = (): string => {
    const c = rnd();
    if (c < 0.6 && participantIds.length) return pick(rnd, participantIds);
    if (c < 0.75 && participantIds.length) return participantKey(pick(rnd, participantIds));
    if (c < 0.85) return who.outsider!.id;
    if (c < 0.9) return '';
    return pick(rnd, humans).id;
  };
  const stageSeen = (): StageNumber | undefined => {
    const c = rnd();
    if (c < 0.4) return undefined;
    if (c < 0.8) return r.stage;
    return pick(rnd, [1, 2, 3, 4, 5] as const);
  };
  const actionIds = r.actions.map((a) => a.id);
  const someAction = (): string => (actionIds.length && rnd() < 0.85 ? pick(rnd, actionIds) : 'no-such-action');
  const seenOf = (id: string): string | undefined => {
    const a = r.actions.find((x) => x.id === id);
    const c = rnd();
    if (!a || c < 0.3) return undefined;
    if (c < 0.8) return actionVersion(a);
    return a.previous?.length ? pick(rnd, [a.at, ...a.previous.map((p) => p.at)]) : '2020-01-01T00:00:00.000Z';
  };
  const kinds: [Command['kind'], number][] = [
    ['confirmStrategy', r.status === 'proposed' ? 6 : 0.3],
    ['recordCard', 0.5],
    ['cancel', r.status === 'proposed' ? 0.25 : 0.1],
    ['join', 4],
    ['contribute', 6],
    ['contributeOnBehalf', 3],
    ['advance', r.status === 'open' ? 8 : 1],
    ['handOver', 1.2],
    ['takeOver', 1],
    ['memberLeft', 0.7],
    ['formPosted', 0.3],
    ['addAction', r.stage === 5 ? 5 : 0.5],
    ['editAction', r.actions.length ? 3 : 0.2],
    ['removeAction', r.actions.length ? 1.5 : 0.2],
    ['close', r.stage === 5 || r.meetingEndRemindedAt ? 2.5 : 0.3],
    ['escalate', r.status === 'closed' ? 3 : 0.2],
    ['meetingEnded', s.meeting ? 0.6 : 0.1],
    ['remind', 1],
    ['reminderNotSent', r.reminderPending ? 1.5 : 0.2],
    ['reminderPosted', r.reminderPending ? 1.5 : 0.2],
    ['posted', r.owed ? 1.5 : 0.2],
    ['postClaimed', r.owed ? 1 : 0.2],
  ];
  const total = kinds.reduce((t, [, w]) => t + w, 0);
  let x = rnd() * total;
  let kind: Command['kind'] = 'join';
  for (const [k, w] of kinds) {
    x -= w;
    if (x <= 0) {
      kind = k;
      break;
    }
  }
  let command: Command;
  let actor: Actor = anyone();
  switch (kind) {
    case 'confirmStrategy':
      command = { kind, strategy: pick(rnd, [1, 2, 3, r.recommended.strategy, r.recommended.strategy] as const), reason: rnd() < 0.5 ? 'Because we tried already' : pick(rnd, REASONS), ...(rnd() < 0.2 ? { noAcceptedRequest: true } : {}), ...(rnd() < 0.5 ? { card: { activityId: `card-${n}`, conversationId: r.conversationId } } : {}) };
      if (rnd() < 0.6) actor = who.starter!;
      break;
    case 'recordCard':
      command = { kind, card: { activityId: rnd() < 0.3 && r.cardActivityId ? r.cardActivityId : `card-${n}`, conversationId: r.conversationId } };
      break;
    case 'cancel':
      command = { kind };
      break;
    case 'join':
      command = { kind, role: rnd() < 0.5 ? 'Teacher' : pick(rnd, ROLES), agency: rnd() < 0.5 ? pick(rnd, ['School', 'NHS', 'Police']) : pick(rnd, AGENCIES) };
      actor = pick(rnd, humans.filter((h) => h !== who.outsider));
      break;
    case 'contribute':
      command = { kind, text: rnd() < 0.5 ? `My view ${n}` : pick(rnd, TEXTS), ...(() => { const st = stageSeen(); return st === undefined ? {} : { stage: st }; })() };
      actor = rnd() < 0.8 ? (humans.find((h) => h.id === pick(rnd, participantIds)) ?? pick(rnd, humans)) : pick(rnd, humans);
      break;
    case 'contributeOnBehalf': {
      const st = stageSeen();
      command = { kind, name: rnd() < 0.3 ? `Person ${Math.floor(rnd() * 40)}` : pick(rnd, NAMES), role: pick(rnd, ROLES), agency: pick(rnd, AGENCIES), text: pick(rnd, TEXTS), ...(st === undefined ? {} : { stage: st }), ...(rnd() < 0.2 ? { samePerson: true } : {}), ...(rnd() < 0.2 ? { replace: true } : {}) };
      break;
    }
    case 'advance': {
      const st = stageSeen();
      const c = rnd();
      const joined = c < 0.4 ? undefined : c < 0.7 ? r.participants.length : c < 0.9 ? Math.max(0, r.participants.length - 1 - Math.floor(rnd() * 2)) : r.participants.length + 3;
      command = { kind, confirmed: rnd() < 0.8, ...(st === undefined ? {} : { stage: st }), ...(joined === undefined ? {} : { joined }) };
      break;
    }
    case 'handOver':
      command = { kind, toParticipantId: someId() };
      break;
    case 'takeOver':
      command = { kind };
      actor = pick(rnd, humans);
      break;
    case 'memberLeft':
      command = { kind, memberId: rnd() < 0.6 ? r.facilitatorId : someId() };
      actor = SYSTEM.membership;
      break;
    case 'formPosted':
      command = { kind, card: { activityId: rnd() < 0.3 && r.formsPosted?.length ? r.formsPosted[0]!.activityId : `form-${n}`, conversationId: r.conversationId } };
      break;
    case 'addAction':
      command = { kind, description: pick(rnd, ['Call the school', 'Book a meeting', '', 'd'.repeat(501), 'Call the school']), ownerParticipantId: rnd() < 0.3 ? '__external' : someId(), ownerName: pick(rnd, ['Parent', '', 'Mum (carer)', 'o'.repeat(81)]), dueDate: dueDate(rnd, now) };
      if (rnd() < 0.5) actor = humans.find((h) => h.id === pick(rnd, participantIds)) ?? actor;
      break;
    case 'editAction': {
      const id = someAction();
      const a = r.actions.find((y) => y.id === id);
      const seen = seenOf(id);
      command = { kind, actionId: id, description: rnd() < 0.3 && a ? a.description : pick(rnd, ['Call the school again', 'Book a meeting', '', 'Changed']), ownerParticipantId: rnd() < 0.3 && a ? (a.owner.participantId ?? '__external') : someId(), ownerName: rnd() < 0.3 && a ? a.owner.name : pick(rnd, ['Parent', '', 'Carer']), dueDate: rnd() < 0.4 && a ? a.dueDate : dueDate(rnd, now), ...(seen ? { seen } : {}) };
      if (rnd() < 0.4 && a) actor = humans.find((h) => h.id === a.addedBy) ?? actor;
      break;
    }
    case 'removeAction': {
      const id = someAction();
      const seen = seenOf(id);
      command = { kind, actionId: id, ...(seen ? { seen } : {}) };
      break;
    }
    case 'close':
      command = { kind, outcome: pick(rnd, ['resolved', 'partlyResolved', 'notResolved'] as const), ...(rnd() < 0.8 ? { nextStep: pick(rnd, ['nextStrategy', 'escalation'] as const) } : {}) };
      break;
    case 'escalate':
      command = { kind, stage: pick(rnd, [0, 1, 2, 3, 4, 5, 1.5, Number.NaN]), reason: pick(rnd, ['Still stuck', '', 'z'.repeat(501)]) };
      if (rnd() < 0.3) actor = pick(rnd, humans);
      break;
    case 'meetingEnded':
      command = { kind };
      actor = SYSTEM.meeting;
      break;
    case 'remind':
      command = { kind };
      actor = SYSTEM.reminders;
      break;
    case 'reminderNotSent':
      command = { kind, at: r.reminderPending && rnd() < 0.8 ? r.reminderPending : (r.audit[Math.floor(rnd() * r.audit.length)]?.at ?? now.toISOString()), retry: rnd() < 0.7 };
      actor = SYSTEM.reminders;
      break;
    case 'reminderPosted':
      command = { kind, at: r.reminderPending && rnd() < 0.8 ? r.reminderPending : now.toISOString() };
      actor = SYSTEM.reminders;
      break;
    case 'posted':
      command = { kind, post: pick(rnd, ['summary', 'meetingEnd'] as const), ...(rnd() < 0.7 ? { activityId: `post-${n}` } : {}) };
      break;
    case 'postClaimed':
      command = { kind, post: pick(rnd, ['summary', 'meetingEnd'] as const) };
      actor = pick(rnd, [SYSTEM.reminders, SYSTEM.meeting]);
      break;
  }
  const c = rnd();
  const activityId = c < 0.15 && usedIds.length ? pick(rnd, usedIds) : c < 0.85 ? `act-${n}` : undefined;
  const t = rnd();
  const advanceMs = t < 0.6 ? Math.floor(rnd() * 120_000) : t < 0.9 ? Math.floor(rnd() * 2 * DAY) : t < 0.97 ? Math.floor(rnd() * 16 * DAY) : 0;
  return { command, actor, activityId, advanceMs };
}

// ---------- the independent model ----------

const PRESENTING = new Set(['Organizer', 'Presenter']);
/** README: outside meetings the facilitator (starter until handed over); in a meeting organiser/presenters of that meeting or whoever was handed over to; strategy 3 its independent facilitator alone. */
function modelMayFacilitate(r: Rethink, a: Actor): boolean {
  if (r.strategy === 3 || !r.meetingId) return a.id === r.facilitatorId;
  return (PRESENTING.has(a.meetingRole ?? '') && a.meetingId === r.meetingId) || (r.facilitatorByHandOver === true && a.id === r.facilitatorId);
}

const NOT_CHANGES = new Set(['remind', 'reminderNotSent', 'reminderPosted', 'recordCard', 'meetingEnded', 'posted', 'postClaimed', 'memberLeft', 'formPosted']);
const CLOSED_OK = new Set(['escalate', 'posted', 'postClaimed', 'remind', 'reminderNotSent', 'reminderPosted', 'recordCard', 'close', 'formPosted']);

const texts = (r: Rethink, key: string): string[] => {
  const c = r.contributions.find((x) => `${x.participantId}@${x.stage}` === key);
  return c ? [...(c.previous ?? []).map((p) => p.text), c.text] : [];
};

function strip(r: Rethink, fields: string[]): unknown {
  const copy = structuredClone(r) as unknown as Record<string, unknown>;
  for (const f of fields) delete copy[f];
  copy.actions = (copy.actions as Record<string, unknown>[]).map((a) => {
    const rest = { ...a };
    delete rest.remindedAt;
    return rest;
  });
  return copy;
}

export function check(before: Rethink, beforeJson: string, step: Step, result: ReturnType<typeof applyCommand>, ctx: EngineContext): string[] {
  const v: string[] = [];
  const { command: c, actor } = step;
  if (JSON.stringify(before) !== beforeJson) v.push('input record mutated');
  if (!result.ok) return v;
  const after = result.value;
  if (result.replay) {
    if (JSON.stringify(after) !== beforeJson) v.push('replay changed the record');
    // Told someone who joined has left, an open Re-think always marks them (unless marked already or a redelivery).
    const redelivered = step.activityId !== undefined && before.appliedActivityIds.includes(step.activityId);
    if (c.kind === 'memberLeft' && !redelivered && before.status === 'open' && before.participants.some((p) => p.id === c.memberId && !p.external && p.leftAt === undefined)) v.push('memberLeft did not mark the member as gone');
    return v;
  }
  if (step.activityId && before.appliedActivityIds.includes(step.activityId)) v.push('redelivered activity applied again');
  // audit
  if (after.audit.length !== before.audit.length + 1) v.push(`audit grew by ${after.audit.length - before.audit.length}`);
  if (JSON.stringify(after.audit.slice(0, before.audit.length)) !== JSON.stringify(before.audit)) v.push('audit prefix changed');
  const last = after.audit[after.audit.length - 1];
  if (last?.by !== actor.id) v.push(`audit actor ${last?.by} != ${actor.id}`);
  if (last?.at !== ctx.now.toISOString()) v.push('audit time wrong');
  if (c.kind === 'contributeOnBehalf') {
    const touched = after.contributions.filter((x) => JSON.stringify(x) !== JSON.stringify(before.contributions.find((y) => y.participantId === x.participantId && y.stage === x.stage)));
    // The facilitator's own return (a `leftAt` cleared by their change) is not a change to anyone recorded.
    const asCompared = (p: Participant | undefined) => (p && p.id === actor.id ? { ...p, leftAt: undefined } : p);
    const changedP = after.participants.filter((p) => JSON.stringify(asCompared(p)) !== JSON.stringify(asCompared(before.participants.find((q) => q.id === p.id))));
    const ids = new Set([...touched.map((x) => x.participantId), ...changedP.map((p) => p.id)]);
    if (ids.size > 1) v.push('on-behalf touched more than one person');
    if (ids.size === 1 && last?.ref !== [...ids][0]) v.push(`on-behalf audit ref ${last?.ref} != ${[...ids][0]}`);
    for (const id of ids) if (!after.participants.find((p) => p.id === id)?.external) v.push('on-behalf changed a Teams participant');
  }
  if (c.kind === 'contribute') {
    const had = before.contributions.some((x) => x.stage === before.stage && x.participantId === actor.id);
    if (last?.what !== (had ? 'contributionEdited' : 'contributed')) v.push(`contribute audited ${last?.what}`);
    const changed = after.contributions.filter((x) => JSON.stringify(x) !== JSON.stringify(before.contributions.find((y) => y.participantId === x.participantId && y.stage === x.stage)));
    if (changed.some((x) => x.participantId !== actor.id)) v.push('contribute changed someone else\'s words');
  }
  if (c.kind === 'addAction' && after.actions.length !== before.actions.length + 1) v.push('addAction did not add exactly one');
  if (c.kind === 'addAction' && last?.ref !== after.actions[after.actions.length - 1]?.id) v.push('addAction audit ref');
  if (c.kind === 'join' && after.participants.length > before.participants.length + 1) v.push('join added more than one');
  if (c.kind === 'join' && before.participants.some((p) => p.id === actor.id) && after.participants.length !== before.participants.length) v.push('rejoin added a participant');
  // participants
  for (const p of before.participants) if (!after.participants.some((q) => q.id === p.id)) v.push(`participant ${p.id} lost`);
  if (JSON.stringify(after.participants.map((p) => p.id).slice(0, before.participants.length)) !== JSON.stringify(before.participants.map((p) => p.id))) v.push('participant order changed');
  for (const p of after.participants) {
    const old = before.participants.find((q) => q.id === p.id);
    if (old && old.external !== p.external) v.push('external flag changed');
    if (old && old.joinedAt !== p.joinedAt) v.push('joinedAt changed');
  }
  // contributions
  for (const x of before.contributions) {
    const key = `${x.participantId}@${x.stage}`;
    const now = texts(after, key);
    for (const t of texts(before, key)) if (!now.includes(t)) v.push(`contribution text lost ${key}`);
    const was = [...(x.previous ?? []), x];
    const nowC = after.contributions.find((y) => `${y.participantId}@${y.stage}` === key);
    const nowAll = nowC ? [...(nowC.previous ?? []), nowC] : [];
    if (JSON.stringify(nowAll.slice(0, was.length - 1).map((p) => [p.text, p.recordedBy])) !== JSON.stringify(was.slice(0, -1).map((p) => [p.text, p.recordedBy]))) v.push(`contribution history rewritten ${key}`);
  }
  const keys = after.contributions.map((x) => `${x.participantId}@${x.stage}`);
  if (new Set(keys).size !== keys.length) v.push('two contributions for one person at one stage');
  for (const x of after.contributions) if (!after.participants.some((p) => p.id === x.participantId)) v.push('contribution from a non-participant');
  for (const x of after.contributions) if (!before.contributions.some((y) => y.participantId === x.participantId && y.stage === x.stage) && x.stage !== before.stage) v.push(`new contribution filed at stage ${x.stage} while at ${before.stage}`);
  // actions
  for (const a of before.actions) {
    const b = after.actions.find((y) => y.id === a.id);
    if (!b) {
      v.push(`action ${a.id} lost`);
      continue;
    }
    const descs = [...(b.previous ?? []).map((p) => p.description), b.description];
    for (const d of [...(a.previous ?? []).map((p) => p.description), a.description]) if (!descs.includes(d)) v.push('action description lost');
    if (a.removedAt && b.removedAt !== a.removedAt) v.push('removed action revived');
    const unmarked = (x: typeof a): string => JSON.stringify({ ...x, remindedAt: undefined });
    if (a.removedAt && unmarked(a) !== unmarked(b)) v.push('removed action changed');
  }
  const noMark = (xs: Rethink['actions']): string => JSON.stringify(xs.map((x) => ({ ...x, remindedAt: undefined })));
  const changedActions = noMark(after.actions) !== noMark(before.actions) ? [1] : [];
  if (changedActions.length > 0 && !['addAction', 'editAction', 'removeAction'].includes(c.kind)) v.push(`actions changed by ${c.kind}`);
  if (['addAction', 'editAction', 'removeAction'].includes(c.kind)) {
    if (before.status !== 'open') v.push(`${c.kind} while ${before.status}`);
    if (before.stage !== 5) v.push(`${c.kind} at stage ${before.stage}`);
    if (!before.participants.some((p) => p.id === actor.id && !p.external)) v.push(`${c.kind} by non-participant ${actor.id}`);
    if (c.kind === 'editAction' || c.kind === 'removeAction') {
      const a = before.actions.find((y) => y.id === c.actionId);
      if (!a) v.push(`${c.kind} of unknown action`);
      else if (a.addedBy !== actor.id && !modelMayFacilitate(before, actor)) v.push(`${c.kind} by someone who neither added it nor facilitates`);
      if (a && c.seen !== undefined && c.seen !== actionVersion(a) && c.kind === 'removeAction') v.push('stale removal accepted');
      if (a && c.seen !== undefined && c.seen !== actionVersion(a) && c.kind === 'editAction') v.push('stale edit accepted');
    }
  }
  if (after.actions.filter((a) => !a.removedAt).length > 50) v.push('more than 50 live actions');
  // status and stage
  const transitions: Record<string, string[]> = { proposed: ['proposed', 'open', 'cancelled'], open: ['open', 'closed'], closed: ['closed'], cancelled: ['cancelled'] };
  if (!transitions[before.status]!.includes(after.status)) v.push(`status ${before.status} -> ${after.status}`);
  if (after.stage !== before.stage && !(c.kind === 'advance' && after.stage === before.stage + 1)) v.push(`stage ${before.stage} -> ${after.stage} by ${c.kind}`);
  if (before.outcome && JSON.stringify(before.outcome) !== JSON.stringify(after.outcome)) v.push('outcome changed');
  for (const e of before.escalations ?? []) if (!after.escalations?.some((f) => JSON.stringify(e) === JSON.stringify(f))) v.push('escalation lost');
  if (before.strategy !== undefined && after.strategy !== before.strategy) v.push('strategy changed');
  // closed/cancelled are read-only except the commands for them
  if (before.status === 'closed' || before.status === 'cancelled') {
    if (!CLOSED_OK.has(c.kind)) v.push(`${c.kind} changed a ${before.status} Re-think`);
    const fields = ['audit', 'appliedActivityIds', 'updatedAt', 'ttl', 'escalations', 'owed', 'reminderPending', 'reminderFailures', 'cardActivityId', 'cardConversationId', 'formsPosted', 'idleRemindedAt'];
    if (JSON.stringify(strip(before, fields)) !== JSON.stringify(strip(after, fields))) v.push(`${c.kind} changed the body of a ${before.status} Re-think`);
  }
  // who
  const facilitatorOnly = ['advance', 'handOver', 'contributeOnBehalf', 'close'];
  if (facilitatorOnly.includes(c.kind) && !modelMayFacilitate(before, actor)) v.push(`${c.kind} by ${actor.id} who may not facilitate`);
  if (c.kind === 'handOver' && before.strategy === 3) v.push('strategy 3 handed over');
  // Someone Teams said has left is not handed facilitation; anyone's accepted change says they are back.
  if (c.kind === 'handOver' && before.participants.find((p) => p.id === after.facilitatorId)?.leftAt !== undefined) v.push('handed over to someone who had left');
  if (c.kind !== 'memberLeft' && after.status === 'open' && after.participants.some((p) => p.id === actor.id && p.leftAt !== undefined)) v.push(`${c.kind} left the actor marked as gone`);
  if (c.kind === 'memberLeft' && before.status === 'open' && after.participants.some((p) => p.id === c.memberId && !p.external && p.leftAt === undefined)) v.push('memberLeft did not mark the member as gone');
  if (c.kind === 'takeOver') {
    if (before.strategy === 3) v.push('strategy 3 taken over');
    if (!before.participants.some((p) => p.id === actor.id && !p.external)) v.push('take-over by a non-participant');
    const since = [...before.audit].reverse().find((e) => e.by === before.facilitatorId || (e.what === 'handedOver' && e.ref === before.facilitatorId))?.at ?? before.createdAt;
    const quiet = ctx.now.getTime() - Date.parse(since) >= profile.reminders.openRethinkDays * DAY || (before.facilitatorLeftAt !== undefined && since < before.facilitatorLeftAt);
    if (!quiet) v.push('take-over while facilitator active');
    if (after.facilitatorId !== actor.id) v.push('take-over did not make the actor facilitator');
  }
  if (after.facilitatorId !== before.facilitatorId && !['handOver', 'takeOver'].includes(c.kind)) v.push(`facilitator changed by ${c.kind}`);
  if (!after.participants.some((p) => p.id === after.facilitatorId && !p.external)) v.push('facilitator is not a Teams participant');
  if (['confirmStrategy', 'cancel'].includes(c.kind) && actor.id !== before.createdBy) v.push(`${c.kind} by someone other than the starter`);
  if (c.kind === 'confirmStrategy' && after.strategy === 3 && !before.recommended.facilitated) v.push('strategy 3 without an accepted request');
  if (c.kind === 'confirmStrategy' && after.strategy !== undefined && after.strategy !== before.recommended.strategy && (after.strategyReason ?? '').trim().length < 3) v.push('other strategy chosen without reason');
  if (c.kind === 'contribute') {
    if (!before.participants.some((p) => p.id === actor.id)) v.push('contribution by a non-participant');
    if (c.stage !== undefined && c.stage !== before.stage) v.push('stale-stage contribution accepted');
  }
  if (c.kind === 'contributeOnBehalf' && c.stage !== undefined && c.stage !== before.stage) v.push('stale-stage on-behalf accepted');
  if (c.kind === 'advance' && c.stage !== undefined && c.stage !== before.stage) v.push('stale advance accepted');
  if (c.kind === 'advance' && after.stage === before.stage + 1) {
    const waiting = before.participants.filter((p) => !(before.strategy === 3 && p.id === before.facilitatorId) && !before.contributions.some((x) => x.stage === before.stage && x.participantId === p.id));
    if (waiting.length && !c.confirmed) v.push('moved on without everyone, unconfirmed');
    const covered = c.joined ?? before.participants.length;
    if (c.confirmed && waiting.some((p) => before.participants.indexOf(p) >= covered)) v.push('moved on past someone who joined after the confirmation');
  }
  if (c.kind === 'close') {
    if (before.stage !== 5 && !before.meetingEndRemindedAt) v.push('closed before stage 5 without meeting end');
    if (before.stage !== 5 && after.outcome?.kind !== 'notResolved') v.push('closed early as (partly) resolved');
    if (after.outcome?.kind === 'notResolved' && !after.outcome.nextStep) v.push('not resolved without next step');
    if (after.strategy === 3 && after.outcome?.nextStep === 'nextStrategy') v.push('strategy 3 to next strategy');
  }
  if (c.kind === 'escalate') {
    if (before.outcome?.kind !== 'notResolved') v.push('escalation of something not closed unresolved');
    const took = before.participants.some((p) => p.id === actor.id && !p.external) || before.outcome?.recordedBy === actor.id || before.facilitatorId === actor.id;
    if (!took) v.push('escalation by someone who did not take part');
    const stages = (after.escalations ?? []).map((e) => e.stage);
    if (new Set(stages).size !== stages.length) v.push('escalation stage recorded twice');
    for (const st of stages) if (!Number.isInteger(st) || st < 1 || st > profile.escalationStages.length) v.push(`escalation stage ${st}`);
  }
  for (const post of ['summary', 'meetingEnd'] as const) {
    const was = before.owed?.[post];
    const now = after.owed?.[post];
    if (was && !now) v.push(`owed ${post} lost`);
    if (was?.postedAt && JSON.stringify(was) !== JSON.stringify(now)) v.push(`posted ${post} changed`);
    if (was && now && now.tries < was.tries) v.push(`owed ${post} tries went down`);
    if (now && now.tries > 5) v.push(`owed ${post} tried ${now.tries} times`);
    if (!was && now && !((post === 'summary' && c.kind === 'close') || (post === 'meetingEnd' && c.kind === 'meetingEnded'))) v.push(`${post} owed by ${c.kind}`);
    if (c.kind === 'postClaimed' && was && now && now.tries === was.tries + 1 && ctx.now.getTime() - Date.parse(was.claimedAt) < 10 * 60_000) v.push('claim taken over before it lapsed');
  }
  if (c.kind === 'close' && after.outcome?.kind === 'partlyResolved' && !after.actions.some((a) => !a.removedAt)) v.push('partly resolved with no action');
  if (c.kind === 'remind' && before.reminderPending) v.push('reminded while one pending');
  for (const a of after.actions) if (a.removedAt && a.remindedAt && !before.actions.find((b) => b.id === a.id)?.remindedAt) v.push('removed action reminded');
  // time and expiry
  if (NOT_CHANGES.has(c.kind)) {
    if (after.updatedAt !== before.updatedAt) v.push(`${c.kind} moved updatedAt`);
    const expected = Math.max(1, RETENTION - Math.floor((ctx.now.getTime() - Date.parse(before.updatedAt)) / 1000));
    if (after.ttl !== expected) v.push(`${c.kind} ttl ${after.ttl} != ${expected}`);
  } else {
    if (after.updatedAt !== ctx.now.toISOString()) v.push('updatedAt not now');
    if (after.ttl !== RETENTION) v.push('ttl not reset');
  }
  if (after.appliedActivityIds.length > 200) v.push('appliedActivityIds unbounded');
  if (step.activityId && !after.appliedActivityIds.includes(step.activityId)) v.push('activity id not recorded');
  return v;
}

/** Reveal together: another person's current-stage words (unique "My view N") must not be on this viewer's card or panel. */
function leaks(r: Rethink, viewerId: string | undefined, json: string, where: string): string[] {
  if (!r.revealTogether || r.status !== 'open') return [];
  const out: string[] = [];
  for (const c of r.contributions) {
    if (c.stage !== r.stage || c.participantId === viewerId) continue;
    for (const t of [c.text, ...(c.previous ?? []).map((p) => p.text)]) {
      if (!/^My view \d+$/.test(t)) continue;
      if (new RegExp(`${t}(?!\\d)`).test(json)) out.push(`${where} for ${viewerId ?? 'everyone'} shows ${c.participantId}'s hidden "${t}"`);
    }
  }
  return out;
}

function renderChecks(r: Rethink, who: Record<string, Actor>, now: Date, rnd: () => number): string[] {
  const v: string[] = [];
  const viewers = [undefined, r.facilitatorId, pick(rnd, Object.values(who)).id];
  for (const id of viewers) {
    let card;
    try {
      const live = r.actions.filter((a) => !a.removedAt);
      const editing = live.length && rnd() < 0.2 ? pick(rnd, live).id : undefined;
      const long = (): string => pick(rnd, ['short', 'x'.repeat(4001), 'y'.repeat(20_000), '${x}', '']);
      const draft = { description: long(), owner: pick(rnd, [...r.participants.map((p) => p.id), '__external', 'nobody']), ownerName: long(), dueDate: pick(rnd, ['2026-12-01', 'not a date', '']) };
      card = renderRethinkCard(profile, r, {
        now,
        ...(id ? { viewer: { id, facilitates: rnd() < 0.5, ...(rnd() < 0.3 ? { rememberedRole: long(), rememberedAgency: long() } : {}) } } : {}),
        ...(rnd() < 0.2 ? { notice: { text: long(), tone: 'attention' as const } } : {}),
        ...(rnd() < 0.2 ? { confirmation: 'Pat has not contributed. Move on without them?' } : {}),
        ...(rnd() < 0.3 ? { drafts: { contribution: long(), join: { role: long(), agency: long() }, action: draft, ...(editing ? { edit: draft, editVersion: 'v' } : {}), behalf: { name: long(), role: long(), agency: long(), text: long(), samePerson: rnd() < 0.5, replace: rnd() < 0.5 } } } : {}),
        ...(editing ? { editingActionId: editing } : {}),
        ...(rnd() < 0.2 ? { concealOwn: true } : {}),
      });
    } catch (e) {
      v.push(`card threw: ${(e as Error).message}`);
      continue;
    }
    const json = JSON.stringify(card);
    v.push(...leaks(r, id, json, 'card'));
    if (/\$\{/.test(json.replace(/\$\{(oops|x)\}/g, ''))) v.push('card has ${ left');
    if (cardBytes(card) > MAX_CARD_BYTES) v.push(`card too large ${cardBytes(card)}`);
  }
  try {
    const viewer = pick(rnd, Object.values(who));
    const view = panelView(profile, r, viewer, 'privacy');
    v.push(...leaks(r, viewer.id, JSON.stringify(view), 'panel'));
  } catch (e) {
    v.push(`panelView threw: ${(e as Error).message}`);
  }
  try {
    const extra = r.status === 'proposed' ? [renderStrategyCard(strategyCardData(profile, r, rnd() < 0.3 ? { strategy: '3', reason: 'x'.repeat(600) } : {}, rnd() < 0.3 ? 'Please choose' : undefined))] : r.status === 'closed' && r.outcome?.kind === 'notResolved' ? [renderEscalationCard(profile, { rethink: r, ...(rnd() < 0.3 ? { notice: 'Please choose the stage', typed: { stage: '9', reason: 'r'.repeat(600) } } : {}) } as never)] : [];
    for (const card of extra) {
      if (cardBytes(card) > MAX_CARD_BYTES) v.push('strategy/escalation card too large');
      if (/\$\{/.test(JSON.stringify(card))) v.push('strategy/escalation card has ${ left');
    }
  } catch (e) {
    v.push(`strategy/escalation card threw: ${(e as Error).message}`);
  }
  if (r.status === 'closed') {
    try {
      const card = renderSummaryCard(profile, r);
      if (cardBytes(card) > MAX_CARD_BYTES) v.push('summary too large');
      if (/\$\{/.test(JSON.stringify(card).replace(/\$\{oops\}/g, ''))) v.push('summary has ${ left');
    } catch (e) {
      v.push(`summary threw: ${(e as Error).message}`);
    }
  }
  return v;
}

export function scenarioOf(rnd: () => number): Scenario {
  const meeting = rnd() < 0.4;
  return {
    meeting,
    kind: pick(rnd, ['groupChat', 'groupChat', 'channel', 'personal'] as const),
    facilitating: rnd() < 0.25,
    reveal: rnd() < 0.3,
    answers: { isLeadProfessional: rnd() < 0.4, raisedWithLeadProfessional: rnd() < 0.5, groupMeetingHeld: rnd() < 0.4 },
    starterRole: pick(rnd, ['Attendee', 'Presenter', 'Organizer']),
  };
}

export const STATS = new Map<string, number>();
export const FINAL = new Map<string, number>();

export interface RunResult {
  violations: { step: number; messages: string[] }[];
  steps: Step[];
  scenario: Scenario;
  final?: Rethink;
  accepted: number;
}

export function runSequence(seed: number, maxSteps: number, render: boolean, scripted?: { scenario: Scenario; steps: Step[] }): RunResult {
  const rnd = mulberry32(seed);
  const scenario = scripted?.scenario ?? scenarioOf(rnd);
  const who = people(scenario, rnd);
  let t = Date.parse('2026-11-26T10:00:00Z');
  let n = 0;
  const ctxAt = (): EngineContext => ({ now: new Date(t), profile, newId: () => `id-${seed}-${++n}` });
  const where: Where = { conversationId: '19:chat@thread.v2', conversationKind: scenario.kind, tenantId: 't', ...(scenario.meeting ? { meetingId: MEETING_ID } : {}) };
  const input: StartInput = { caseReference: 'PSCP-2026-0042', concernCategory: profile.concernCategories[0]!.id, summary: 'The plan has drifted.', mode: 'teams', role: 'Social worker', agency: 'Children’s social care', answers: scenario.answers, ...(scenario.reveal ? { revealTogether: true } : {}), ...(scenario.facilitating ? { facilitatingRequest: true } : {}) };
  const started = startRethink(input, who.starter!, where, ctxAt());
  if (!started.ok) throw new Error(started.error.message);
  let r = started.value;
  const violations: RunResult['violations'] = [];
  const steps: Step[] = [];
  const usedIds: string[] = [];
  let accepted = 0;
  const total = scripted ? scripted.steps.length : maxSteps;
  for (let i = 0; i < total; i++) {
    const step = scripted ? scripted.steps[i]! : genStep(r, scenario, who, rnd, new Date(t), usedIds, i);
    steps.push(step);
    t += step.advanceMs;
    const ctx = ctxAt();
    const beforeJson = JSON.stringify(r);
    let result: ReturnType<typeof applyCommand>;
    try {
      result = applyCommand(r, step.command, step.actor, ctx, step.activityId);
    } catch (e) {
      violations.push({ step: i, messages: [`threw: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`] });
      break;
    }
    const messages = check(r, beforeJson, step, result, ctx);
    const tag = `${step.command.kind}:${result.ok ? (result.replay ? 'replay' : 'ok') : result.error.code}`;
    STATS.set(tag, (STATS.get(tag) ?? 0) + 1);
    if (result.ok && !result.replay) {
      accepted++;
      // a redelivery of the same activity changes nothing
      if (step.activityId) {
        const again = applyCommand(result.value, step.command, step.actor, ctx, step.activityId);
        if (!again.ok || !again.replay || JSON.stringify(again.value) !== JSON.stringify(result.value)) messages.push('redelivery not a replay');
      }
      r = result.value;
      if (step.activityId) usedIds.push(step.activityId);
      if (render) messages.push(...renderChecks(r, who, new Date(t), rnd));
    }
    if (messages.length) {
      violations.push({ step: i, messages });
      break;
    }
  }
  const fin = `${r.status}/stage${r.stage}/s${r.strategy ?? '-'}`;
  if (!scripted) FINAL.set(fin, (FINAL.get(fin) ?? 0) + 1);
  return { violations, steps, scenario, final: r, accepted };
}

/** Shortest prefix, then drop steps one at a time while the same first message persists. */
export function minimise(seed: number, res: RunResult, render: boolean): Step[] {
  const target = res.violations[0]!.messages[0]!.replace(/[0-9]+/g, '#');
  const fails = (steps: Step[]): boolean => {
    const out = runSequence(seed, steps.length, render, { scenario: res.scenario, steps });
    return out.violations.some((v) => v.messages.some((m) => m.replace(/[0-9]+/g, '#') === target));
  };
  let steps = res.steps.slice(0, res.violations[0]!.step + 1);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = steps.length - 2; i >= 0; i--) {
      // The removed step's time is kept (added to the next), so later steps happen when they did.
      const next = steps[i + 1]!;
      const shorter = [...steps.slice(0, i), { ...next, advanceMs: next.advanceMs + steps[i]!.advanceMs }, ...steps.slice(i + 2)];
      if (fails(shorter)) {
        steps = shorter;
        changed = true;
      }
    }
  }
  return steps;
}

