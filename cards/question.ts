import { characters, pasteRoom } from './wording';
import type { PartnershipProfile } from '../services/profile/types';
import type { FacilitatorRequest } from '../services/requests/types';
import template from './question.json';
import { expand, fitted, type AdaptiveCard, type NoticeTone } from './render';

export interface QuestionCardData {
  requestId: string;
  questionId: string;
  caseReference: string;
  askedBy: string;
  question: string;
  answered: boolean;
  answer: string;
  /** What was typed, kept when the answer could not be sent. */
  typedAnswer: string;
  textMaxLength: number;
  /** The limit as the boxes' labels say it. */
  textLimit: string;
  hasNotice: boolean;
  notice: string;
  /** Something done is good news; something refused needs attention. */
  noticeStyle: NoticeTone;
}

/** `undefined` when the request holds no such question. */
export function questionCardData(profile: PartnershipProfile, r: FacilitatorRequest, questionId: string, notice = '', typedAnswer = '', tone: NoticeTone = 'attention'): QuestionCardData | undefined {
  const q = r.questions.find((x) => x.id === questionId);
  if (!q) return undefined;
  return {
    requestId: r.id,
    questionId,
    caseReference: r.caseReference,
    askedBy: q.askedBy.name,
    question: q.text,
    answered: q.answer !== undefined,
    answer: q.answer ?? '',
    typedAnswer: q.answer === undefined ? typedAnswer : '',
    textMaxLength: pasteRoom(profile.limits.summaryMaxLength),
    textLimit: characters(profile.limits.summaryMaxLength),
    hasNotice: notice !== '',
    notice,
    noticeStyle: tone,
  };
}

export const renderQuestionCard = (data: QuestionCardData): AdaptiveCard => fitted(expand(template, data));
