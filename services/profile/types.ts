import type { BankHolidayRegion } from '../rethink/bankHolidays';

/** What a partnership can change without code: see the practice model's "Partnership profile". */
export interface Choice {
  readonly id: string;
  readonly label: string;
}

export interface StageText {
  readonly title: string;
  readonly prompt: string;
}

export interface StrategyText {
  readonly number: 1 | 2 | 3;
  readonly title: string;
  readonly description: string;
  readonly facilitatedBy: string;
  readonly options: readonly string[];
}

export interface PartnershipProfile {
  readonly partnership: {
    readonly name: string;
    readonly shortName: string;
    readonly guidanceUrl: string;
    readonly escalationProtocolUrl: string;
    readonly escalationProtocolName: string;
    /** As it reads in a sentence, e.g. "HIPS protocol". */
    readonly escalationProtocolShortName: string;
    /**
     * The Teams app package names the partnership as its publisher (`publisherName`, at most 32
     * characters, else `shortName`) with these pages. Only `npm run package` needs them.
     */
    readonly publisherName?: string;
    readonly websiteUrl?: string;
    readonly privacyUrl?: string;
    readonly termsOfUseUrl?: string;
  };
  readonly caseReference: { readonly pattern: string; readonly example: string; readonly hint: string };
  readonly retentionDays: number;
  readonly limits: {
    readonly contributionMaxLength: number;
    readonly summaryMaxLength: number;
    readonly actionMaxLength: number;
    readonly nameMaxLength: number;
  };
  /** Exactly five, in order. */
  readonly stages: readonly StageText[];
  /** Strategies 1, 2 and 3, in order. */
  readonly strategies: readonly StrategyText[];
  readonly strategyQuestions: {
    readonly isLeadProfessional: string;
    readonly raisedWithLeadProfessional: string;
    readonly groupMeetingHeld: string;
  };
  readonly concernCategories: readonly Choice[];
  readonly tiersOfNeed: readonly Choice[];
  readonly escalationStages: readonly string[];
  /**
   * `actionDueSoonDays` and `requestWaitingDays` are working days: notice of an action, and how long a
   * facilitator request no one has accepted waits before it is raised once with the pool and
   * administrators (3 when not given). Working days are Monday to Friday but for the bank holidays of
   * `bankHolidays` (England and Wales when not given; `none` for none) and the one-off `closedDays`.
   */
  readonly reminders: {
    readonly openRethinkDays: number;
    readonly actionDueSoonDays: number;
    readonly requestWaitingDays?: number;
    readonly bankHolidays?: BankHolidayRegion;
    readonly closedDays?: readonly string[];
  };
  /** The choices on the independent facilitator request form. */
  readonly requestForm: {
    readonly planTypes: readonly Choice[];
    readonly urgencies: readonly Choice[];
    readonly formats: readonly Choice[];
    readonly familyAware: readonly Choice[];
    readonly managerAgrees: readonly Choice[];
  };
}
