/**
 * The independent facilitator request (strategy 3): one document holds the request, its history,
 * and the notifications its changes cause (the outbox), so a change and its messages are saved
 * together or not at all.
 */
import type { OutcomeKind, NextStep, StrategyNumber } from '../rethink/types';
import type { ConversationAddress } from '../store/people';

export type RequestStatus = 'submitted' | 'accepted' | 'scheduled' | 'completed' | 'withdrawn';

/** A person as Teams identifies them; `aadObjectId` finds their personal chat with the bot. */
export interface PersonRef {
  id: string;
  name: string;
  aadObjectId?: string;
}

/** One earlier Re-think of the case, as the requester saw it. */
export interface HistoryEntry {
  rethinkId: string;
  strategy?: StrategyNumber;
  /** When it closed (or started, if still open), YYYY-MM-DD. */
  date: string;
  status: string;
  outcome?: OutcomeKind;
  nextStep?: NextStep;
  agencies: string[];
  actions: { description: string; owner: string; dueDate: string }[];
}

/** What the requester completes; choice fields hold the profile's ids. */
export interface RequestForm {
  requesterRole: string;
  requesterAgency: string;
  requesterContact: string;
  lineManagerName: string;
  managerAgrees: string;
  leadProfessionalName: string;
  leadProfessionalAgency: string;
  tierOfNeed: string;
  planType: string;
  network: string;
  concernCategory: string;
  concernSummary: string;
  /** Required when the history holds no strategy 1 or no strategy 2 Re-think. */
  triedInstead: string;
  urgency: string;
  preferredFormat: string;
  availability: string;
  familyAware: string;
}

export interface Question {
  id: string;
  askedBy: PersonRef;
  /** The conversation it was asked in (the pool's channel, or a facilitator's own chat). */
  askedIn?: string;
  text: string;
  askedAt: string;
  answer?: string;
  answeredAt?: string;
}

export interface Schedule {
  date: string;
  time: string;
  format: string;
  /** Where it is, or how to join (a place, a Teams link, a number to ring): optional. */
  where?: string;
  by: string;
  at: string;
  /** Earlier arrangements, oldest first: a meeting moved is never forgotten. */
  previous?: Omit<Schedule, 'previous'>[];
}

/** Where a copy of the request card lives, so every copy can be updated in place. */
export interface CardCopy {
  to: ConversationAddress;
  activityId: string;
  audience: Audience;
}

export type Audience = 'pool' | 'requester';

/** What a delivery carries; cards are rendered from the request as it is when they are sent. */
export type OutboxMessage =
  | { kind: 'requestCard'; audience: Audience }
  | { kind: 'text'; text: string }
  | { kind: 'question'; questionId: string }
  | { kind: 'document' };

export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface Delivery {
  id: string;
  to: ConversationAddress;
  /** Post a new message, or update the one at `activityId`. */
  action: 'post' | 'update';
  activityId?: string;
  message: OutboxMessage;
  status: DeliveryStatus;
  attempts: number;
  /** Not to be tried before this time (ISO): back-off and Retry-After. */
  notBefore: string;
  createdAt: string;
  sentAt?: string;
  /** The last failure's HTTP status (or 0 for a timeout or network failure): never free text. */
  lastStatus?: number;
  /** Tell administrators if this delivery fails for good (not for messages to administrators). */
  reportFailure: boolean;
}

/**
 * - `leftPool`: its chat is no longer in the facilitator pool (a copy there was replaced by a note);
 * - `tenantNotServed`: its tenant was taken off the allow-list since it was queued;
 * - `nothingToSend`: what it carried has gone (a question since removed).
 */
export type Withheld = 'leftPool' | 'tenantNotServed' | 'nothingToSend';

export type RequestAuditWhat =
  | 'submitted'
  | 'accepted'
  | 'declined'
  | 'questionAsked'
  | 'questionAnswered'
  | 'scheduled'
  | 'rethinkLinked'
  | 'completed'
  | 'withdrawn'
  | 'delivered'
  | 'withheldFromPool'
  | 'withheldTenantNotServed'
  | 'nothingToSend'
  | 'offeredToPool'
  | 'leftPool'
  | 'acceptorReached'
  | 'deliveryFailed'
  | 'documentAccepted'
  | 'documentSent'
  | 'documentDeclined'
  | 'waitingRaised'
  | 'noOneLeft'
  | 'meetingPassedRaised';

export interface RequestAuditEvent {
  at: string;
  by: string;
  what: RequestAuditWhat;
  ref?: string;
}

export interface FacilitatorRequest {
  /** Partition key too: a request is always found by its id. */
  id: string;
  type: 'request';
  tenantId: string;
  caseReference: string;
  status: RequestStatus;
  requester: PersonRef;
  /** Where it was requested, and the requester's own chat with the bot if known. */
  requestedIn: ConversationAddress;
  requesterChat?: ConversationAddress;
  form: RequestForm;
  history: HistoryEntry[];
  /** People from the earlier Re-thinks, told when the meeting is scheduled. */
  network: PersonRef[];
  submittedAt: string;
  accepted?: { by: PersonRef; at: string; chat?: ConversationAddress };
  declines: { by: PersonRef; at: string }[];
  questions: Question[];
  schedule?: Schedule;
  /** The strategy 3 Re-think that follows the request. */
  rethink?: { id: string; conversationId: string; linkedAt: string };
  completedAt?: string;
  /** When the requester and administrators were told everyone who could accept it had declined (once). */
  noOneLeftToldAt?: string;
  /** When its facilitator was reminded that the meeting's day had passed with no strategy 3 Re-think started (once per arrangement). */
  meetingPassedRaisedAt?: string;
  /** When its long wait for a facilitator was raised with the pool and administrators (once). */
  waitingRaisedAt?: string;
  /** How its facilitated Re-think ended, as it closed (labels come from the outcome's kind and next step). */
  outcome?: { kind: OutcomeKind; nextStep?: NextStep };
  withdrawal?: { reason: string; at: string };
  /** Increases with every change to what the request card shows. */
  revision: number;
  cards: CardCopy[];
  outbox: Delivery[];
  /** The earliest time a pending delivery is due (ISO), or absent when none is pending: what the dispatcher looks for. */
  outboxDueAt?: string;
  /** Which instance is delivering, until when: so two instances never send the same message. */
  outboxLease?: { owner: string; until: string };
  appliedActivityIds: string[];
  audit: RequestAuditEvent[];
  updatedAt: string;
  ttl: number;
}
