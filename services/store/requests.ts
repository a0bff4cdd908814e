import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { isOpenRequest } from '../requests/lifecycle';
import type { FacilitatorRequest, RequestStatus } from '../requests/types';
import { ok, refuse } from '../result';
import { createItem, queryAcross, readItem, StoreUnavailableError, updateItem, type Change, type Stored, type UpdateOutcome } from './repository';

export interface RequestListItem {
  id: string;
  caseReference: string;
  status: RequestStatus;
  submittedAt: string;
  requesterName: string;
  acceptedBy?: string;
  urgency: string;
}

const OPEN_STATUSES = { all: '"submitted", "accepted", "scheduled"', waiting: '"submitted"', underWay: '"accepted", "scheduled"' } as const;

export interface RequestRepository {
  get(id: string): Promise<Stored<FacilitatorRequest> | undefined>;
  /** `undefined` when a request with this id exists already: a form is submitted once. */
  create(doc: FacilitatorRequest): Promise<Stored<FacilitatorRequest> | undefined>;
  /** `read`: the request as just read in this turn, to save reading it again. */
  /** `idempotent`: the lifecycle's changes are (activity ids); the outbox's bookkeeping is not. */
  update(id: string, change: Change<FacilitatorRequest>, read?: Stored<FacilitatorRequest>, idempotent?: boolean): Promise<UpdateOutcome<FacilitatorRequest>>;
  /** A person's requests, newest first. */
  byRequester(personId: string, aadObjectId: string | undefined, limit: number): Promise<RequestListItem[]>;
  /** Requests still waiting, accepted or scheduled, oldest first: what the pool works on. */
  /** Open requests: all of them, those waiting for someone to accept (oldest first), or those accepted or scheduled (newest first). */
  open(limit: number, which?: keyof typeof OPEN_STATUSES): Promise<RequestListItem[]>;
  /** Requests still waiting for someone to accept, oldest first. */
  waiting(limit: number): Promise<Stored<FacilitatorRequest>[]>;
  /** Requests waiting since before `submittedBefore` whose wait has not been raised yet, oldest first: for the periodic check. */
  waitingLong(submittedBefore: string, limit: number): Promise<Stored<FacilitatorRequest>[]>;
  /** Scheduled requests whose meeting day was before `before`, with no strategy 3 Re-think started and no reminder since it was arranged. */
  meetingPassed(before: string, limit: number): Promise<Stored<FacilitatorRequest>[]>;
  /** Requests, open or closed, with a pool copy of their card in any of these chats: ids only. */
  withPoolCopiesIn(chats: readonly string[], limit: number): Promise<{ id: string }[]>;
  /** The open request for a case, if there is one: a case has one at a time. */
  openFor(caseReference: string): Promise<RequestListItem | undefined>;
  /** Open requests accepted by someone Re-think had no personal chat for when they accepted. */
  acceptedWithoutChat(aadObjectId: string): Promise<Stored<FacilitatorRequest>[]>;
  /** Open requests for a case that this facilitator accepted. */
  acceptedFor(caseReference: string, personId: string): Promise<Stored<FacilitatorRequest>[]>;
  /**
   * Accepted or scheduled requests that may be waiting to be completed: linked to one of these
   * Re-thinks, or for one of these cases and never linked (the link failed when the Re-think started).
   */
  awaitingCompletion(rethinkIds: readonly string[], caseReferences: readonly string[]): Promise<Stored<FacilitatorRequest>[]>;
  /** Ids of requests with deliveries due by `now`. */
  due(now: Date, limit: number): Promise<string[]>;
  /**
   * Makes `requestId` the case's one open request before it is created: `undefined` when it is,
   * or the id of the open request that already is. Two forms submitted at the same moment cannot
   * both pass, as a search for an open request alone would let them.
   */
  claimCase(caseReference: string, requestId: string, now: Date): Promise<string | undefined>;
}

/** A claim whose request is not there yet may be one being created this moment: give it this long. */
const CLAIM_SETTLES_MS = 60_000;

/**
 * Which request is (or was last) a case's open one, in the requests container: a document of its
 * own, so a create or a conditional replace decides between two at once. Named by a hash, and
 * holding only the request's id: never the case reference.
 */
interface CaseClaim {
  id: string;
  type: 'caseClaim';
  requestId: string;
  claimedAt: string;
}

export const caseClaimId = (caseReference: string): string => `claim-${createHash('sha256').update(caseReference).digest('base64url').slice(0, 32)}`;

const LIST_FIELDS = 'c.id, c.caseReference, c.status, c.submittedAt, c.requester.name AS requesterName, c.accepted["by"].name AS acceptedBy, c.form.urgency AS urgency';

export function requestRepository(container: Container): RequestRepository {
  return {
    // Only requests: the container also holds each case's claim, whose id is not a request's.
    get: async (id) => {
      const doc = await readItem<FacilitatorRequest>(container, id, id);
      return doc?.type === 'request' ? doc : undefined;
    },
    create: (doc) => createItem(container, doc),
    update: (id, change, read, idempotent = false) => updateItem<FacilitatorRequest>(container, id, id, change, { read, idempotent }),
    byRequester: (personId, aadObjectId, limit) =>
      queryAcross<RequestListItem>(
        container,
        `SELECT TOP @limit ${LIST_FIELDS} FROM c WHERE c.type = "request" AND (c.requester.id = @personId OR c.requester.aadObjectId = @aad) ORDER BY c.submittedAt DESC`,
        [
          { name: '@limit', value: limit },
          { name: '@personId', value: personId },
          { name: '@aad', value: aadObjectId ?? '-' },
        ],
      ),
    open: (limit, which = 'all') =>
      queryAcross<RequestListItem>(container, `SELECT TOP @limit ${LIST_FIELDS} FROM c WHERE c.type = "request" AND c.status IN (${OPEN_STATUSES[which]}) ORDER BY c.submittedAt ${which === 'underWay' ? 'DESC' : 'ASC'}`, [
        { name: '@limit', value: limit },
      ]),
    // Whole documents: each is then changed with its ETag, with no second read.
    waiting: (limit) =>
      queryAcross<Stored<FacilitatorRequest>>(container, 'SELECT TOP @limit * FROM c WHERE c.type = "request" AND c.status = "submitted" ORDER BY c.submittedAt ASC', [{ name: '@limit', value: limit }]),
    waitingLong: (submittedBefore, limit) =>
      queryAcross<Stored<FacilitatorRequest>>(
        container,
        'SELECT TOP @limit * FROM c WHERE c.type = "request" AND c.status = "submitted" AND c.submittedAt <= @before AND NOT IS_DEFINED(c.waitingRaisedAt) ORDER BY c.submittedAt ASC',
        [
          { name: '@limit', value: limit },
          { name: '@before', value: submittedBefore },
        ],
      ),
    meetingPassed: (before, limit) =>
      queryAcross<Stored<FacilitatorRequest>>(
        container,
        'SELECT TOP @limit * FROM c WHERE c.type = "request" AND c.status = "scheduled" AND NOT IS_DEFINED(c.rethink) AND c.schedule.date < @before AND (NOT IS_DEFINED(c.meetingPassedRaisedAt) OR c.meetingPassedRaisedAt < c.schedule.at) ORDER BY c.submittedAt ASC',
        [
          { name: '@limit', value: limit },
          { name: '@before', value: before },
        ],
      ),
    withPoolCopiesIn: (chats, limit) =>
      queryAcross<{ id: string }>(container, 'SELECT TOP @limit c.id FROM c WHERE c.type = "request" AND EXISTS(SELECT VALUE k FROM k IN c.cards WHERE k.audience = "pool" AND ARRAY_CONTAINS(@chats, k.to.conversationId))', [
        { name: '@limit', value: limit },
        { name: '@chats', value: [...chats] },
      ]),
    openFor: async (caseReference) => {
      const [first] = await queryAcross<RequestListItem>(
        container,
        `SELECT TOP 1 ${LIST_FIELDS} FROM c WHERE c.type = "request" AND c.caseReference = @caseReference AND c.status IN ("submitted", "accepted", "scheduled")`,
        [{ name: '@caseReference', value: caseReference }],
      );
      return first;
    },
    acceptedWithoutChat: (aadObjectId) =>
      queryAcross<Stored<FacilitatorRequest>>(
        container,
        'SELECT * FROM c WHERE c.type = "request" AND c.accepted["by"].aadObjectId = @aad AND NOT IS_DEFINED(c.accepted.chat) AND c.status IN ("accepted", "scheduled")',
        [{ name: '@aad', value: aadObjectId }],
      ),
    acceptedFor: (caseReference, personId) =>
      queryAcross<Stored<FacilitatorRequest>>(
        container,
        'SELECT * FROM c WHERE c.type = "request" AND c.caseReference = @caseReference AND c.accepted["by"].id = @personId AND c.status IN ("accepted", "scheduled")',
        [
          { name: '@caseReference', value: caseReference },
          { name: '@personId', value: personId },
        ],
      ),
    awaitingCompletion: async (rethinkIds, caseReferences) =>
      rethinkIds.length === 0
        ? []
        : queryAcross<Stored<FacilitatorRequest>>(
            container,
            'SELECT * FROM c WHERE c.type = "request" AND c.status IN ("accepted", "scheduled") AND (ARRAY_CONTAINS(@ids, c.rethink.id) OR (NOT IS_DEFINED(c.rethink) AND ARRAY_CONTAINS(@cases, c.caseReference)))',
            [
              { name: '@ids', value: [...rethinkIds] },
              { name: '@cases', value: [...caseReferences] },
            ],
          ),
    claimCase: async (caseReference, requestId, now) => {
      const id = caseClaimId(caseReference);
      const mine: CaseClaim = { id, type: 'caseClaim', requestId, claimedAt: now.toISOString() };
      for (let attempt = 0; attempt < 4; attempt++) {
        if (await createItem<CaseClaim>(container, mine)) return undefined;
        const claim = await readItem<CaseClaim>(container, id, id);
        if (!claim) continue;
        if (claim.requestId === requestId) return undefined;
        const holder = await readItem<FacilitatorRequest>(container, claim.requestId, claim.requestId);
        if (holder && isOpenRequest(holder)) return holder.id;
        // Claimed a moment ago, its request may be being created right now (claim first, then create).
        if (!holder && now.getTime() - Date.parse(claim.claimedAt ?? '') < CLAIM_SETTLES_MS) return claim.requestId;
        // The last open request has closed (or was never made): take the claim over, unless another form just did.
        const taken = await updateItem<CaseClaim>(container, id, id, (current) => (current.requestId === claim.requestId ? ok({ ...current, ...mine }) : refuse('notAllowed', 'claimed meanwhile')), { read: claim });
        if (taken.kind === 'updated') return undefined;
      }
      throw new StoreUnavailableError(new Error('Could not settle which request is the case’s open one'));
    },
    due: async (now, limit) => {
      const rows = await queryAcross<{ id: string }>(container, 'SELECT TOP @limit c.id FROM c WHERE c.type = "request" AND c.outboxDueAt <= @now ORDER BY c.outboxDueAt ASC', [
        { name: '@limit', value: limit },
        { name: '@now', value: now.toISOString() },
      ]);
      return rows.map((r) => r.id);
    },
  };
}
