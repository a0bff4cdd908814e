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

/** What is kept of an erasure: who, when, and the ids removed. Not the case reference. */
export interface ErasureRecord {
  id: string;
  type: 'erasure';
  by: string;
  at: string;
  rethinkIds: string[];
  requestIds: string[];
  ttl: number;
}

export interface CaseRecordsRepository {
  find(caseReference: string): Promise<CaseHoldings>;
  /** Deletes the Re-thinks and requests `find` returned, and records the erasure (facilitators' lists are the people repository's). */
  erase(holdings: CaseHoldings, erasure: Omit<ErasureRecord, 'type' | 'rethinkIds' | 'requestIds'>): Promise<ErasureRecord>;
}

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
    erase: async (holdings, erasure) => {
      for (const r of holdings.rethinks) await deleteItem(containers.rethinks, r.id, r.conversationId);
      for (const r of holdings.requests) await deleteItem(containers.requests, r.id, r.id);
      const record: ErasureRecord = { ...erasure, type: 'erasure', rethinkIds: holdings.rethinks.map((r) => r.id), requestIds: holdings.requests.map((r) => r.id) };
      await upsertItem(containers.settings, record);
      return record;
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

/** "2 Re-thinks and 1 request": what is held, as people read it. */
export function describeHoldings(holdings: CaseHoldings): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return `${count(holdings.rethinks.length, 'Re-think', 'Re-thinks')} and ${count(holdings.requests.length, 'facilitator request', 'facilitator requests')}`;
}
