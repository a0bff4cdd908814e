/** Expected failures travel as values; exceptions are kept for the unexpected. */
export type Result<T, E = Refusal> = { ok: true; value: T } | { ok: false; error: E };

/** A request the domain declines, with a message fit to show the person who asked. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  /** Names of people still to contribute, when code is `needsConfirmation`. */
  readonly waitingFor?: readonly string[];
  /** What may be said where others read it too (a shared chat): the message says something of the person. */
  readonly forOthers?: string;
}

export type RefusalCode =
  | 'notFound'
  | 'notFacilitator'
  | 'notParticipant'
  | 'closed'
  | 'notOpen'
  | 'invalidInput'
  | 'needsConfirmation'
  | 'wrongStage'
  /** Decided on a version someone else has changed since. */
  | 'changedMeanwhile'
  | 'notAllowed';

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const refuse = (code: RefusalCode, message: string, extra: Partial<Refusal> = {}): Result<never> => ({
  ok: false,
  error: { code, message, ...extra },
});
