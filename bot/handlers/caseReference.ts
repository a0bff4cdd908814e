/** A case reference typed to start or request something, read as it will be saved. */
import { checkCaseReference } from '../../services/rethink/validation';
import type { Deps } from './types';

export type ReadReference = { ok: true; value: string; recorded: boolean } | { ok: false; message: string };

/**
 * The case reference as it will be saved. One outside the partnership's pattern is still taken if
 * the case is on record (begun under an earlier pattern, and carried on from its summary or a
 * request): a query, only for a reference the pattern refuses.
 */
export async function referenceOf(typed: string, deps: Deps): Promise<ReadReference> {
  const strict = checkCaseReference(typed, deps.profile);
  if (strict.ok) return { ok: true, value: strict.value, recorded: false };
  const loose = checkCaseReference(typed, deps.profile, { recorded: true });
  if (!loose.ok) return { ok: false, message: loose.error.message };
  const onRecord = (await deps.rethinks.caseOnRecord(loose.value)) || (await deps.requests.openFor(loose.value)) !== undefined;
  return onRecord ? { ok: true, value: loose.value, recorded: true } : { ok: false, message: strict.error.message };
}
