/**
 * Everything held for one case reference, across containers: for an administrator's subject access
 * (export) and erasure requests. Never on a card action's path: these are cross-partition queries.
 */
import type { Container } from '@azure/cosmos';
import type { FacilitatorRequest } from '../requests/types';
import type { Rethink } from '../rethink/types';
import { deleteItem, queryAcross, upsertItem } from './repository';

export interface CaseHoldings {
  readonly caseReference: string;
  readonly rethinks: readonly Rethink[];
  readonly requests: readonly FacilitatorRequest[];
  /** People whose list of accepted cases names this one (their aadObjectId). */
  readonly facilitators: readonly string[];
}

/**
 * What is kept of an export or an erasure: who, when, and the ids involved. Never the case reference.
 * An erasure is noted as `started` before anything is deleted and marked `done` at the end, so one
 * stopped part-way by a store fault is still on record.
 */
export interface CaseNote {
  id: string;
  type: 'erasure' | 'export';
  state: 'started' | 'done';
  by: string;
  at: string;
  rethinkIds: string[];
  requestIds: string[];
  facilitatorIds: string[];
  ttl: number;
}

/** How far an erasure got: everything, or what was deleted before the store failed. */
export type ErasureOutcome =
  | { readonly ok: true; readonly note: CaseNote }
  | { readonly ok: false; readonly removed: { readonly rethinks: number; readonly requests: number }; readonly cause: unknown };

export interface CaseRecordsRepository {
  find(caseReference: string): Promise<CaseHoldings>;
  /**
   * Deletes the Re-thinks and requests `find` returned, then takes the case off each facilitator's
   * list with `unlist` (the people repository's), noting the erasure before and after.
   */
  erase(holdings: CaseHoldings, note: NoteStart, unlist: (aadObjectId: string) => Promise<void>): Promise<ErasureOutcome>;
  /** Notes an export before it is handed over, so nothing leaves unrecorded. */
  noteExport(holdings: CaseHoldings, note: NoteStart): Promise<CaseNote>;
}

export type NoteStart = Pick<CaseNote, 'id' | 'by' | 'at' | 'ttl'>;

const noteOf = (holdings: CaseHoldings, start: NoteStart, type: CaseNote['type']): CaseNote => ({
  ...start,
  type,
  state: type === 'export' ? 'done' : 'started',
  rethinkIds: holdings.rethinks.map((r) => r.id),
  requestIds: holdings.requests.map((r) => r.id),
  facilitatorIds: [...holdings.facilitators],
});

/** Cosmos DB's own fields: not part of what the app holds for a person. */
const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;
const withoutSystemFields = <T extends object>(doc: T): T => {
  const copy = { ...doc } as Record<string, unknown>;
  for (const field of SYSTEM_FIELDS) delete copy[field];
  return copy as T;
};

export function caseRecordsRepository(containers: { rethinks: Container; requests: Container; people: Container; settings: Container }): CaseRecordsRepository {
  const byCase = [{ name: '@caseReference', value: '' }];
  const parameters = (caseReference: string) => byCase.map((p) => ({ ...p, value: caseReference }));
  return {
    find: async (caseReference) => {
      const [rethinks, requests, people] = await Promise.all([
        queryAcross<Rethink>(containers.rethinks, 'SELECT * FROM c WHERE c.caseReference = @caseReference', parameters(caseReference)),
        queryAcross<FacilitatorRequest>(containers.requests, 'SELECT * FROM c WHERE c.caseReference = @caseReference', parameters(caseReference)),
        queryAcross<{ aadObjectId: string }>(containers.people, 'SELECT c.aadObjectId FROM c WHERE ARRAY_CONTAINS(c.facilitating, @caseReference)', parameters(caseReference)),
      ]);
      return { caseReference, rethinks: rethinks.map(withoutSystemFields), requests: requests.map(withoutSystemFields), facilitators: people.map((p) => p.aadObjectId) };
    },
    erase: async (holdings, start, unlist) => {
      const note = noteOf(holdings, start, 'erasure');
      const removed = { rethinks: 0, requests: 0 };
      try {
        await upsertItem(containers.settings, note);
        for (const r of holdings.rethinks) {
          await deleteItem(containers.rethinks, r.id, r.conversationId);
          removed.rethinks++;
        }
        for (const r of holdings.requests) {
          await deleteItem(containers.requests, r.id, r.id);
          removed.requests++;
        }
        // After the requests have gone, so a late "remember this case" for one of them finds nothing to add.
        for (const aadObjectId of holdings.facilitators) await unlist(aadObjectId);
        const done: CaseNote = { ...note, state: 'done' };
        await upsertItem(containers.settings, done);
        return { ok: true, note: done };
      } catch (cause) {
        return { ok: false, removed, cause };
      }
    },
    noteExport: async (holdings, start) => {
      const note = noteOf(holdings, start, 'export');
      await upsertItem(containers.settings, note);
      return note;
    },
  };
}

/** The export for a subject access request: every record held for the case, as stored. */
export function caseExport(holdings: CaseHoldings, exportedBy: string, now: Date): Buffer {
  const document = {
    caseReference: holdings.caseReference,
    exportedAt: now.toISOString(),
    exportedBy,
    rethinks: holdings.rethinks,
    requests: holdings.requests,
    facilitatorsWithThisCase: holdings.facilitators,
  };
  return Buffer.from(JSON.stringify(document, null, 2), 'utf8');
}

export const caseExportFileName = (caseReference: string): string => `Re-think case ${caseReference}.json`;

/** "2 Re-thinks and 1 facilitator request": what is held, as people read it. */
export function describeCounts(rethinks: number, requests: number): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return `${count(rethinks, 'Re-think', 'Re-thinks')} and ${count(requests, 'facilitator request', 'facilitator requests')}`;
}

export const describeHoldings = (holdings: CaseHoldings): string => describeCounts(holdings.rethinks.length, holdings.requests.length);
