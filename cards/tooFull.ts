/**
 * The Re-think card's last resort: when a Re-think holds more than one Teams card can show even at
 * its most compact (scores of people with long names, say), this small card says so, keeps
 * refreshing, and still lets the facilitator move on and close, so the Re-think is never stuck and
 * its summary can be posted. Everything stays in the record.
 */
import type { PartnershipProfile } from '../services/profile/types';
import { isFacilitator, waitingFor } from '../services/rethink/facts';
import type { Rethink } from '../services/rethink/types';
import template from './tooFull.json';
import { expand, truncate, type AdaptiveCard } from './render';
import type { RethinkCardOptions } from './rethink';
import { closeForm, nextStepChoices, refreshUserIdsOf } from './wording';

export interface TooFullCardData {
  rethinkId: string;
  caseReference: string;
  stageLine: string;
  hasRefresh: boolean;
  refreshUserIds: string[];
  hasNotice: boolean;
  notice: string;
  noticeColour: 'Good' | 'Attention' | 'Accent' | 'Default';
  explanation: string;
  showMoveOn: boolean;
  waitingLine: string;
  confirming: boolean;
  moveOnTitle: string;
  stage: number;
  joinedCount: number;
  showClose: boolean;
  /** Before stage 5: why only "not resolved" is offered. */
  closeNote: string;
  outcomeChoices: { title: string; value: string }[];
  nextStepChoices: { title: string; value: string }[];
}

const COLOURS = { good: 'Good', attention: 'Attention', accent: 'Accent' } as const;

function tooFullCardData(profile: PartnershipProfile, r: Rethink, options: RethinkCardOptions): TooFullCardData {
  const { viewer } = options;
  const isOpen = r.status === 'open';
  // The shared card carries the facilitator's controls, as the Re-think card's does: Teams refreshes
  // a card for at most 60 people, and the engine checks who pressed.
  const facilitating = isOpen && (viewer ? (viewer.facilitates ?? isFacilitator(r, viewer.id)) : true);
  const waiting = waitingFor(r).length;
  const notice = options.confirmation ?? options.notice?.text;
  return {
    rethinkId: r.id,
    caseReference: r.caseReference,
    stageLine: isOpen ? `Stage ${r.stage} of 5: ${profile.stages[r.stage - 1]?.title ?? ''}` : 'This Re-think is closed.',
    hasRefresh: isOpen,
    refreshUserIds: refreshUserIdsOf(r),
    hasNotice: Boolean(notice),
    notice: truncate(notice ?? '', 1000),
    noticeColour: options.confirmation ? 'Attention' : options.notice ? COLOURS[options.notice.tone] : 'Default',
    explanation: `This Re-think now holds more than one Teams card can show (${r.participants.length} people taking part), so its card shows only this. Everything everyone has recorded is saved.${isOpen ? ` The facilitator can still move the group on and record the outcome here.${r.meetingId ? ' To add your contribution, open the Re-think side panel in the meeting.' : ' New contributions can’t be added on this card.'}` : ''}`,
    showMoveOn: facilitating && r.stage < 5,
    waitingLine: waiting === 0 ? 'Everyone taking part has contributed to this stage.' : `${waiting === 1 ? 'One person has' : `${waiting} people have`} not contributed to this stage yet.`,
    // The first press asks the engine, which names who is still to contribute (or that one voice or
    // agency alone was heard); the card asking that confirms.
    confirming: Boolean(options.confirmation),
    moveOnTitle: options.confirmation ? (waiting === 0 ? 'Move on anyway' : 'Move on without them') : `Move on to stage ${r.stage + 1}`,
    stage: r.stage,
    joinedCount: r.participants.length,
    showClose: facilitating && (r.stage === 5 || Boolean(r.meetingEndRemindedAt)),
    ...closeForm(r.stage),
    nextStepChoices: nextStepChoices(profile, r),
  };
}

export const renderTooFullCard = (profile: PartnershipProfile, r: Rethink, options: RethinkCardOptions): AdaptiveCard => expand(template, tooFullCardData(profile, r, options));
