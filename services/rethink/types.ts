import type { PartnershipProfile } from '../profile/types';

/** The Re-think aggregate: everything that must change together lives in this one document. */
export type StageNumber = 1 | 2 | 3 | 4 | 5;
export type StrategyNumber = 1 | 2 | 3;
export type ConversationMode = 'teams' | 'phone' | 'faceToFace';
export type RethinkStatus = 'proposed' | 'open' | 'closed' | 'cancelled';
export type OutcomeKind = 'resolved' | 'partlyResolved' | 'notResolved';
export type NextStep = 'nextStrategy' | 'escalation';
export type ConversationKind = 'personal' | 'groupChat' | 'channel';

export const STAGES: readonly StageNumber[] = [1, 2, 3, 4, 5];
export const OUTCOMES: readonly OutcomeKind[] = ['resolved', 'partlyResolved', 'notResolved'];
export const NEXT_STEPS: readonly NextStep[] = ['nextStrategy', 'escalation'];

/** What the engine needs of the world: the time, the partnership's profile and fresh ids. */
export interface EngineContext {
  readonly now: Date;
  readonly profile: PartnershipProfile;
  readonly newId: () => string;
}

/** The person acting in this turn, as Teams identifies them. */
export interface Actor {
  readonly id: string;
  readonly name: string;
  readonly aadObjectId?: string;
  /** In a meeting: the role Teams gives this person now (Organizer, Presenter or Attendee)... */
  readonly meetingRole?: string;
  /** ...in this meeting. A role counts only in the Re-think's own meeting: a channel holds many. */
  readonly meetingId?: string;
}

export interface Participant {
  /** Teams user id, or `ext:<n>` for someone taking part by phone or face to face. */
  id: string;
  name: string;
  role: string;
  agency: string;
  aadObjectId?: string;
  /** Recorded by the facilitator: not in Teams, so never a facilitator and never refreshed. */
  external: boolean;
  joinedAt: string;
  /** When Teams said they were removed from the chat (or team): not handed facilitation while gone; cleared by their next change here. */
  leftAt?: string;
}

export interface Contribution {
  participantId: string;
  stage: StageNumber;
  text: string;
  /** Role and agency as they were when this was said: a later change does not rewrite it. */
  role?: string;
  agency?: string;
  recordedBy: string;
  at: string;
  editedAt?: string;
  /** Earlier versions, oldest first: an edit never loses what was recorded. */
  previous?: { text: string; role?: string; agency?: string; recordedBy: string; at: string }[];
}

export interface ActionOwner {
  /** Set when the owner is a participant; otherwise a named person outside Teams. */
  participantId?: string;
  name: string;
}

export interface AgreedAction {
  id: string;
  description: string;
  owner: ActionOwner;
  /** ISO date, YYYY-MM-DD. */
  dueDate: string;
  addedBy: string;
  at: string;
  editedAt?: string;
  /** Earlier versions, oldest first. */
  previous?: { description: string; owner: ActionOwner; dueDate: string; at: string }[];
  /** Removed actions are kept, marked, and no longer shown. */
  removedAt?: string;
  removedBy?: string;
  /** When the chat was reminded that it is due (once for each due date; see services/rethink/reminders.ts). */
  remindedAt?: string;
}

export interface Outcome {
  kind: OutcomeKind;
  nextStep?: NextStep;
  recordedBy: string;
  at: string;
}

export interface Escalation {
  /** 1-based, into the profile's escalation stages. */
  stage: number;
  stageName: string;
  startedBy: string;
  startedByName: string;
  at: string;
  reason: string;
}

export interface StrategyAnswers {
  isLeadProfessional: boolean;
  raisedWithLeadProfessional: boolean;
  groupMeetingHeld: boolean;
}

export interface Recommendation {
  strategy: StrategyNumber;
  reason: string;
  /** The independent facilitator's own Re-think, started from the request they accepted. */
  facilitated?: true;
}

export type AuditWhat =
  | 'started'
  | 'strategyConfirmed'
  | 'cancelled'
  | 'joined'
  | 'contributed'
  | 'contributionEdited'
  | 'contributedOnBehalf'
  | 'advanced'
  | 'advancedWithoutEveryone'
  | 'advancedWithOneVoice'
  | 'handedOver'
  | 'facilitationTakenOver'
  | 'facilitatorLeft'
  | 'participantLeft'
  | 'startFormPosted'
  | 'actionAdded'
  | 'actionEdited'
  | 'actionRemoved'
  | 'closed'
  | 'cardPosted'
  | 'escalationStarted'
  | 'meetingEndReminded'
  | 'remindersMarked'
  | 'reminderNotSent'
  | 'reminderUndeliverable'
  | 'reminderPosted'
  | 'summaryPosted'
  | 'summaryRetried'
  | 'meetingEndPosted'
  | 'meetingEndRetried';

export type OwedKind = 'summary' | 'meetingEnd';

/**
 * A post owed: `claimedAt` by whoever is posting it (the turn that made it owed, or the periodic
 * check for one not posted after a while), `tries` so far, and once Teams took it, when and its activity id.
 */
export interface OwedPost {
  claimedAt: string;
  tries: number;
  postedAt?: string;
  activityId?: string;
}

/** Who did what, when; `ref` is an id (participant, action or stage), never free text. */
export interface AuditEvent {
  at: string;
  by: string;
  what: AuditWhat;
  ref?: string;
}

/**
 * Which save of a Re-think this is, by which running instance of the app and when (its clock, in
 * ms). Card updates are sent after the answer; this lets them stay in order without reading again.
 */
export interface Written {
  revision: number;
  by: string;
  at: number;
  /** The same for the save this one replaced. */
  previous?: { by: string; at: number };
}

export interface Rethink {
  id: string;
  /** Partition key: a Re-think is only ever found from its own conversation. */
  conversationId: string;
  conversationKind: ConversationKind;
  tenantId: string;
  caseReference: string;
  concernCategory: string;
  summary: string;
  mode: ConversationMode;
  answers: StrategyAnswers;
  /** Each stage's contributions are revealed together when the facilitator moves on. */
  revealTogether?: boolean;
  recommended: Recommendation;
  strategy?: StrategyNumber;
  /** Why another strategy than the recommended one was chosen. */
  strategyReason?: string;
  status: RethinkStatus;
  stage: StageNumber;
  facilitatorId: string;
  /** The facilitator was handed over to (in a meeting, that lets an attendee facilitate). */
  facilitatorByHandOver?: boolean;
  /**
   * The start form that became this Re-think's strategy card (and, cancelled, a start form again):
   * found again by an erasure, for a Re-think that never began has no other card.
   */
  strategyCard?: { activityId: string; conversationId: string };
  /** Start forms for the next strategy posted from its summary, filled in with its concern: an erasure replaces them too. */
  formsPosted?: { activityId: string; conversationId: string }[];
  /** When Teams said the named facilitator was removed from this chat: anyone who has joined may take over at once. */
  facilitatorLeftAt?: string;
  /** The Teams meeting whose chat this Re-think is in. */
  meetingId?: string;
  /** The team whose channel this Re-think is in (kept since Re-thinks in channels were found by team). */
  teamId?: string;
  /** Where Teams serves this conversation, and the bot's id there: to reach it outside a turn. */
  serviceUrl?: string;
  botId?: string;
  /** When the meeting-end reminder was posted: once only. */
  meetingEndRemindedAt?: string;
  /** When the chat was last reminded that this open Re-think has had no change for a while. */
  idleRemindedAt?: string;
  /**
   * How often Teams has failed to take the reminder `for` (what it reminds of: each action with its
   * due date, or the quiet spell), the last at `at`: after a few tries it is given up.
   */
  reminderFailures?: { for: string; count: number; at: string };
  /**
   * The reminder marked at this time and not yet known to be posted. Cleared once Teams has it; one
   * still here a while later (the instance stopped, or its answer was lost) counts as a failed try.
   */
  reminderPending?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  participants: Participant[];
  contributions: Contribution[];
  actions: AgreedAction[];
  outcome?: Outcome;
  /** Escalations under the partnership's protocol, started after it closed not resolved. */
  escalations?: Escalation[];
  /** Posts the Re-think owes its chat (the summary on closing, the reminder when its meeting ends), each kept like an outbox entry. */
  owed?: Partial<Record<OwedKind, OwedPost>>;
  /** The posted Re-think card, kept up to date in place. */
  cardActivityId?: string;
  /** The conversation that card was posted in: in a channel, its thread (the record is kept per channel). */
  cardConversationId?: string;
  /** Which save this is: set by the store on every write (absent on records saved before it existed). */
  written?: Written;
  /** Recent activity ids already applied, so a redelivered invoke changes nothing. */
  appliedActivityIds: string[];
  audit: AuditEvent[];
  /** Seconds: Cosmos DB expires the record this long after its last change. */
  ttl: number;
}

/**
 * Who the audit trail names for what no one in the chat did: Re-think's own reminders and owed
 * summaries, Teams saying someone left, a meeting ended or a channel is gone, the pool offering
 * waiting requests, the periodic check that completes a request whose Re-think closed, the outbox's
 * deliveries (and what Teams said of them), and the daily retention check.
 */
export const NO_ONE = {
  reminders: 'reminders',
  summaries: 'summaries',
  membership: 'teams-membership',
  meeting: 'meeting',
  /** Teams saying a channel or team is gone. */
  teamsEvent: 'teams',
  /** Requests waiting for a facilitator, offered to someone new to the pool because the pool names them. */
  pool: 'pool',
  requestCompletion: 'reconciler',
  delivery: 'dispatcher',
  retention: 'retention',
} as const;
