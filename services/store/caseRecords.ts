/**
 * Everything held for one case reference, across containers: for an administrator's subject access
 * (export) and erasure requests. Never on a card action's path: these are cross-partition queries.
 */
import { createHash } from 'node:crypto';
import { listNames } from '../rethink/facts';
import { formatUkDate } from '../rethink/validation';
import type { Container } from '@azure/cosmos';
import type { FacilitatorRequest } from '../requests/types';
import { caseClaimId } from './requests';
import type { Rethink } from '../rethink/types';
import { fileNamePart } from '../text';
import { createItem, deleteItem, queryAcross, readItem, StoreUnavailableError, unlessUnavailable, updateItem, upsertItem, type Stored } from './repository';

export interface CaseHoldings {
  readonly caseReference: string;
  readonly rethinks: readonly Rethink[];
  readonly requests: readonly FacilitatorRequest[];
  /** People whose list of accepted cases names this one (their aadObjectId). */
  readonly facilitators: readonly string[];
}

/**
 * What is kept of an export or an erasure: who, when, and the ids involved. Never the case reference.
 * Noted as `started` before anything is deleted or handed over, then marked `done`; `stopped` (an
 * erasure the store stopped part-way, with what it had deleted) and `failed` (an export whose upload
 * did not go) say what happened instead. A `started` erasure note was stopped by a store fault; a
 * `started` export note is one whose upload gave no answer, or whose end could not be noted: it may
 * have been delivered.
 */
export interface CaseNote {
  id: string;
  type: 'erasure' | 'export';
  state: 'started' | 'done' | 'stopped' | 'failed';
  by: string;
  at: string;
  rethinkIds: string[];
  requestIds: string[];
  facilitatorIds: string[];
  /** Who saved a request's Word document to their OneDrive (Teams ids): copies an erasure can't reach. */
  documentHolders?: string[];
  removed?: Removed;
  ttl: number;
}

/** How many of the case's Re-thinks and requests an erasure had deleted. */
export interface Removed {
  readonly rethinks: number;
  readonly requests: number;
}

export type NoteStart = Pick<CaseNote, 'id' | 'by' | 'at'>;

/** Nothing is held for the case: no Re-think, no request, on nobody's list. */
export const holdsNothing = (holdings: CaseHoldings): boolean => holdings.rethinks.length + holdings.requests.length + holdings.facilitators.length === 0;

/** How far an erasure got: everything (and whether its note could be marked done), or what was deleted before the store failed. */
export type ErasureOutcome =
  | { readonly ok: true; readonly note: CaseNote; readonly noteFinished: boolean }
  | { readonly ok: false; readonly removed: Removed };

export interface CaseRecordsRepository {
  find(caseReference: string): Promise<CaseHoldings>;
  /**
   * Deletes the Re-thinks and requests `find` returned, then takes the case off the list of everyone
   * who has it now with `unlist` (the people repository's), noting the erasure before and after.
   * A store fault is an outcome; anything else is a bug and is thrown.
   */
  erase(holdings: CaseHoldings, note: NoteStart, unlist: (aadObjectId: string) => Promise<unknown>): Promise<ErasureOutcome>;
  /**
   * Notes an export as started, before anything is handed over; `undefined` when a note with this id
   * exists, because that export has been made already.
   */
  startExport(holdings: CaseHoldings, note: NoteStart): Promise<Stored<CaseNote> | undefined>;
  /** Records how a noted export or erasure ended (conditional on the note's ETag); `undefined` if the note has gone. */
  finish(note: Stored<CaseNote>, end: Pick<CaseNote, 'state'> & Partial<Pick<CaseNote, 'removed' | 'facilitatorIds'>>): Promise<Stored<CaseNote> | undefined>;
  /** Notes that this person was shown what erasing this case deletes; `false` if it couldn't be noted. */
  notePreview(by: string, caseReference: string, now: Date): Promise<boolean>;
  /** Whether this person was shown what erasing this case deletes within the last PREVIEW_VALID_MS. */
  wasPreviewed(by: string, caseReference: string, now: Date): Promise<boolean>;
}

/** How long a shown erasure preview may be confirmed. */
export const PREVIEW_VALID_MS = 15 * 60_000;

/** One per person, holding a hash of the case they last previewed: never the reference itself. */
interface ErasurePreview {
  id: string;
  type: 'erasurePreview';
  caseHash: string;
  at: string;
  ttl: number;
}
const previewId = (by: string): string => `erasure-preview-${createHash('sha256').update(by).digest('base64url').slice(0, 32)}`;

const noteOf = (holdings: CaseHoldings, start: NoteStart, type: CaseNote['type'], ttl: number): CaseNote => ({
  ...start,
  ttl,
  type,
  state: 'started',
  rethinkIds: holdings.rethinks.map((r) => r.id),
  requestIds: holdings.requests.map((r) => r.id),
  facilitatorIds: [...holdings.facilitators],
  documentHolders: documentHolders(holdings).map((h) => h.id),
});

/** Cosmos DB's own fields: not part of what the app holds for a person. */
const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;
const withoutSystemFields = <T extends object>(doc: T): T => {
  const copy = { ...doc } as Record<string, unknown>;
  for (const field of SYSTEM_FIELDS) delete copy[field];
  return copy as T;
};

/** `retentionSeconds`: how long the notes of exports and erasures are kept. */
export function caseRecordsRepository(containers: { rethinks: Container; requests: Container; people: Container; settings: Container }, retentionSeconds: number): CaseRecordsRepository {
  const byCase = (caseReference: string) => [{ name: '@caseReference', value: caseReference }];
  const listedFor = async (caseReference: string): Promise<string[]> =>
    (await queryAcross<{ aadObjectId: string }>(containers.people, 'SELECT c.aadObjectId FROM c WHERE ARRAY_CONTAINS(c.facilitating, @caseReference)', byCase(caseReference))).map((p) => p.aadObjectId);
  const create = async (note: CaseNote): Promise<Stored<CaseNote>> => {
    const created = await createItem(containers.settings, note);
    if (!created) throw new Error('A case note id was used twice');
    return created;
  };
  const finish: CaseRecordsRepository['finish'] = async (note, end) => {
    const outcome = await updateItem<CaseNote>(containers.settings, note.id, note.id, (current) => ({ ok: true, value: { ...current, ...end } }), { read: note });
    return outcome.kind === 'updated' ? outcome.doc : undefined;
  };
  return {
    notePreview: async (by, caseReference, now) => {
      const preview: ErasurePreview = { id: previewId(by), type: 'erasurePreview', caseHash: caseClaimId(caseReference), at: now.toISOString(), ttl: PREVIEW_VALID_MS / 1000 };
      return upsertItem(containers.settings, preview).then(
        () => true,
        unlessUnavailable(() => false),
      );
    },
    wasPreviewed: async (by, caseReference, now) => {
      const id = previewId(by);
      const preview = await readItem<ErasurePreview>(containers.settings, id, id).catch(unlessUnavailable(() => undefined));
      // The store removes it in time; until it does, its time says whether it still counts.
      return !!preview && preview.caseHash === caseClaimId(caseReference) && now.getTime() - Date.parse(preview.at) <= PREVIEW_VALID_MS;
    },
    find: async (caseReference) => {
      const [rethinks, requests, facilitators] = await Promise.all([
        queryAcross<Rethink>(containers.rethinks, 'SELECT * FROM c WHERE c.caseReference = @caseReference', byCase(caseReference)),
        queryAcross<FacilitatorRequest>(containers.requests, 'SELECT * FROM c WHERE c.caseReference = @caseReference', byCase(caseReference)),
        listedFor(caseReference),
      ]);
      return { caseReference, rethinks: rethinks.map(withoutSystemFields), requests: requests.map(withoutSystemFields), facilitators };
    },
    erase: async (holdings, start, unlist) => {
      const removed = { rethinks: 0, requests: 0 };
      let note: Stored<CaseNote> | undefined;
      try {
        note = await create(noteOf(holdings, start, 'erasure', retentionSeconds));
        for (const r of holdings.rethinks) {
          await deleteItem(containers.rethinks, r.id, r.conversationId);
          removed.rethinks++;
        }
        for (const r of holdings.requests) {
          await deleteItem(containers.requests, r.id, r.id);
          removed.requests++;
        }
        // Which request was the case's open one: only a hash and an id, but of this case all the same.
        const claim = caseClaimId(holdings.caseReference);
        await deleteItem(containers.requests, claim, claim);
        // Looked up again once the requests have gone: a facilitator who accepted one since `find` is
        // listed by now, and one listed later reads the request after writing, finds it gone and unlists.
        const facilitatorIds = [...new Set([...holdings.facilitators, ...(await listedFor(holdings.caseReference))])];
        for (const aadObjectId of facilitatorIds) await unlist(aadObjectId);
        const done = await finish(note, { state: 'done', facilitatorIds }).catch(unlessUnavailable(() => undefined));
        return { ok: true, note: done ?? { ...note, facilitatorIds }, noteFinished: !!done };
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        if (note) await finish(note, { state: 'stopped', removed }).catch(unlessUnavailable(() => undefined));
        return { ok: false, removed };
      }
    },
    startExport: (holdings, start) => createItem(containers.settings, noteOf(holdings, start, 'export', retentionSeconds)),
    finish,
  };
}

/**
 * Everyone who saved a request's Word document to their OneDrive (Teams' file consent): the copies
 * there are theirs, out of Re-think's reach, so an erasure names them to be asked.
 */
export function documentHolders(holdings: CaseHoldings): { id: string; name: string }[] {
  const holders = new Map<string, string>();
  for (const r of holdings.requests) {
    const names = new Map([[r.requester.id, r.requester.name], ...(r.accepted ? [[r.accepted.by.id, r.accepted.by.name] as const] : [])]);
    for (const a of r.audit) if (a.what === 'documentSent') holders.set(a.by, names.get(a.by) ?? holders.get(a.by) ?? 'someone');
  }
  return [...holders].map(([id, name]) => ({ id, name }));
}

/** "Re-think can't delete …": who to ask about the request document's copies in OneDrive; empty when none was saved. */
export function documentCopies(holdings: CaseHoldings): string {
  const holders = documentHolders(holdings).map((h) => h.name);
  if (holders.length === 0) return '';
  return ` The request’s Word document was saved to OneDrive by ${listNames(holders)}: Re-think can’t delete those copies, so please ask ${holders.length === 1 ? 'them' : 'each of them'} to.`;
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

export const caseExportFileName = (caseReference: string): string => {
  const reference = fileNamePart(caseReference);
  return reference ? `Re-think case ${reference}.json` : 'Re-think case.json';
};

const count = (n: number, one: string, many: string) => (n === 0 ? `no ${many}` : `${n} ${n === 1 ? one : many}`);

/** "2 Re-thinks and 1 facilitator request": what is held, as people read it. */
export const describeCounts = (rethinks: number, requests: number): string => `${count(rethinks, 'Re-think', 'Re-thinks')} and ${count(requests, 'facilitator request', 'facilitator requests')}`;

const onLists = (n: number): string => (n === 1 ? '1 facilitator’s list' : `${n} facilitators’ lists`);

/** What an erasure removed, from its note (which names everyone taken off, including anyone listed since the preview). */
export function describeErased(note: CaseNote): string {
  const lists = note.facilitatorIds.length;
  return `${describeCounts(note.rethinkIds.length, note.requestIds.length)}${lists === 0 ? '' : `, and the case was taken off ${onLists(lists)} of accepted cases`}`;
}

/**
 * What is still going on, for the administrator to weigh before erasing: Re-thinks in progress, and
 * requests waiting, accepted or with a meeting arranged ('' when nothing is).
 */
export function describeLive(holdings: CaseHoldings): string {
  const open = holdings.rethinks.filter((r) => r.status === 'open' || r.status === 'proposed').length;
  const requests = holdings.requests.flatMap((r) =>
    r.status === 'submitted'
      ? ['a request is waiting for a facilitator to accept it']
      : r.status === 'accepted'
        ? [`a request was accepted by ${r.accepted?.by.name ?? 'a facilitator'}`]
        : r.status === 'scheduled'
          ? [`a request was accepted by ${r.accepted?.by.name ?? 'a facilitator'}, with a meeting on ${formatUkDate(r.schedule?.date ?? r.updatedAt)}`]
          : [],
  );
  const parts = [...(open === 0 ? [] : [`${open === 1 ? '1 Re-think is' : `${open} Re-thinks are`} still in progress`]), ...requests];
  return parts.length === 0 ? '' : ` The case is still active: ${listNames(parts)}. The people taking part see the cards say the record has been erased, and nothing else.`;
}

/** What is held, with the facilitators' lists that name the case when there are any. */
export function describeHoldings(holdings: CaseHoldings): string {
  const lists = holdings.facilitators.length;
  const listed = lists === 0 ? '' : `, and the case is on ${onLists(lists)} of accepted cases`;
  return `${describeCounts(holdings.rethinks.length, holdings.requests.length)}${listed}`;
}
