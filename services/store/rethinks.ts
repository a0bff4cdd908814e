import type { Container } from '@azure/cosmos';
import { NO_ONE, type OwedKind, type Participant, type Rethink, type RethinkStatus, type StrategyNumber, type Written } from '../rethink/types';
import { createItem, queryAcross, queryItems, readItem, type Change, type Stored, type UpdateOutcome } from './repository';
import { SharedWrites } from './sharedWrites';

export interface RethinkListItem {
  id: string;
  caseReference: string;
  strategy?: StrategyNumber;
  status: RethinkStatus;
  stage: number;
  updatedAt: string;
  outcome?: Rethink['outcome'];
}

/** What the periodic check needs of a closed strategy 3 Re-think to find and complete its request. */
export type ClosedStrategyThree = Pick<Rethink, 'id' | 'conversationId' | 'caseReference' | 'createdBy' | 'createdAt' | 'outcome'>;

export interface RethinkRepository {
  get(conversationId: string, id: string): Promise<Stored<Rethink> | undefined>;
  create(rethink: Rethink): Promise<Stored<Rethink> | undefined>;
  /** `read`: the document as just read in this turn, to save reading it again. */
  update(conversationId: string, id: string, change: Change<Rethink>, read?: Stored<Rethink>): Promise<UpdateOutcome<Rethink>>;
  /** This conversation's Re-thinks (the open ones only, with `open`; whose card is in `thread`, if given), most recently changed first (one partition). */
  list(conversationId: string, limit: number, open?: 'open', thread?: string): Promise<RethinkListItem[]>;
  /** The most recently changed open Re-think in this conversation (held in this meeting, or with its card in this channel thread, if given). */
  latestOpen(conversationId: string, within?: Within): Promise<Stored<Rethink> | undefined>;
  /** The Re-thinks open in this meeting (in its chat), most recently changed first. */
  openInMeeting(conversationId: string, meetingId: string, limit: number): Promise<Stored<Rethink>[]>;
  /** The conversation's most recent Re-think still waiting for its strategy to be chosen. */
  latestProposed(conversationId: string): Promise<Stored<Rethink> | undefined>;
  /** Whether one is waiting for its strategy, without reading it (the side panel asks at every poll with nothing open). */
  anyProposed(conversationId: string): Promise<boolean>;
  /** The conversation's most recently changed Re-think that closed without resolving the concern (its card in `thread`, if given; one partition). */
  latestNotResolved(conversationId: string, thread?: string): Promise<Stored<Rethink> | undefined>;
  /** Every Re-think of a case, in any conversation: only for building a request. */
  forCase(caseReference: string): Promise<Rethink[]>;
  /** The Re-thinks in this conversation whose card (or strategy card) is this message: ids only (one partition; for an erasure). */
  holdingCard(conversationId: string, activityId: string): Promise<string[]>;
  /** This conversation's open Re-thinks this person facilitates or has joined (one partition): when Teams says they left it. */
  openWithMember(conversationId: string, memberId: string): Promise<Stored<Rethink>[]>;
  /**
   * The same in every channel of a team (a search across chats): when Teams says they were removed
   * from the team. One started before the team was kept is found only in the team's General channel.
   */
  openWithMemberInTeam(teamId: string, memberId: string): Promise<Stored<Rethink>[]>;
  /** A case's Re-thinks in this conversation (one partition): an escalation's history. */
  forCaseIn(conversationId: string, caseReference: string): Promise<Rethink[]>;
  /** Whether any Re-think of the case is on record, in any conversation (one id read, not the records). */
  caseOnRecord(caseReference: string): Promise<boolean>;
  /** Strategy 3 Re-thinks closed since `since`, in any conversation: for the periodic check that completes their requests. */
  closedStrategyThreeSince(since: string): Promise<ClosedStrategyThree[]>;
  /**
   * Re-thinks that may be due a reminder (services/rethink/reminders.ts), in any conversation: a
   * search for the periodic check, never on a card action's path. Each is checked again on its record.
   */
  dueReminders(bounds: { dueBy: string; overdueFrom: string; agreedBefore: string; idleSince: string }, limit: number, tenants?: readonly string[]): Promise<{ id: string; conversationId: string }[]>;
  /** Re-thinks with a reminder marked before `markedBefore` and never settled (posted, or failed): for the periodic check. */
  lapsedReminders(markedBefore: string, limit: number, tenants?: readonly string[]): Promise<{ id: string; conversationId: string }[]>;
  /**
   * Re-thinks owing their chat this post (a closed one its summary, an open one its meeting's end), claimed
   * before `claimedBefore` and never recorded as posted, with tries left: for the periodic check.
   */
  owingPost(post: OwedKind, claimedBefore: string, tries: number, limit: number, tenants?: readonly string[]): Promise<{ id: string; conversationId: string }[]>;
  /** Everyone in Teams who took part in a case's Re-thinks, by joining or by changing one (not those recorded by phone or face to face, nor the independent facilitator of its strategy 3 Re-thinks, who came from outside it): just their ids and names (none for those who never joined). */
  peopleInCase(caseReference: string): Promise<Pick<Participant, 'id' | 'name' | 'aadObjectId'>[]>;
}

/** What this save replaced: a record saved before `written` existed counts as saved by someone else. */
const previousOf = (current: Rethink): Written['previous'] => (current.written ? { by: current.written.by, at: current.written.at } : { by: 'unknown', at: Date.parse(current.updatedAt) || 0 });

/** How far back the periodic check seeks posts owed: far beyond their tries (five, ten minutes apart). */
const OWED_SOUGHT_MS = 7 * 86_400_000;

/** Facilitated by this person, or joined by them. */
const WITH_MEMBER = '(c.facilitatorId = @memberId OR EXISTS(SELECT VALUE p FROM p IN c.participants WHERE p.id = @memberId))';

/** A case's Re-thinks that count (not those cancelled before they started, nor still proposed). */
const OF_CASE = 'c.caseReference = @caseReference AND c.status IN ("open", "closed")';

/**
 * Narrower than the whole conversation: a meeting held in it, or (in a channel, where the records are
 * kept per channel) the reply thread its card is in.
 */
export interface Within {
  readonly meetingId?: string;
  readonly thread?: string;
}

/** `instance`: this running app's id, stamped with the time on every save (see `Written`). */
export function rethinkRepository(container: Container, instance: string): RethinkRepository {
  const stamp = <T extends Rethink>(next: T, current?: Rethink): T => ({
    ...next,
    written: { revision: (current?.written?.revision ?? 0) + 1, by: instance, at: Date.now(), ...(current ? { previous: previousOf(current) } : {}) },
  });
  // applyCommand: a redelivered activity is a replay, and the same values again change nothing.
  const writes = new SharedWrites<Rethink>(container, true);
  /** The conversation's most recently changed Re-thinks in this state (narrowed by `within`, if given). */
  const newest = (conversationId: string, status: Rethink['status'], limit: number, { meetingId, thread }: Within = {}, notResolved = false): Promise<Stored<Rethink>[]> =>
    queryItems<Stored<Rethink>>(
      container,
      `SELECT TOP @limit * FROM c WHERE c.conversationId = @conversationId AND c.status = @status${meetingId === undefined ? '' : ' AND c.meetingId = @meetingId'}${thread === undefined ? '' : ' AND c.cardConversationId = @thread'}${notResolved ? ' AND c.outcome.kind = "notResolved"' : ''} ORDER BY c.updatedAt DESC`,
      [
        { name: '@limit', value: limit },
        { name: '@conversationId', value: conversationId },
        { name: '@status', value: status },
        ...(meetingId === undefined ? [] : [{ name: '@meetingId', value: meetingId }]),
        ...(thread === undefined ? [] : [{ name: '@thread', value: thread }]),
      ],
      conversationId,
    );
  const latest = async (conversationId: string, status: Rethink['status'], within?: Within, notResolved = false): Promise<Stored<Rethink> | undefined> =>
    (await newest(conversationId, status, 1, within, notResolved))[0];
  return {
    get: (conversationId, id) => readItem<Rethink>(container, id, conversationId),
    create: (rethink) => createItem(container, stamp(rethink)),
    update: (conversationId, id, change, read) =>
      writes.update(
        id,
        conversationId,
        (current) => {
          const next = change(current);
          return next.ok && !next.replay ? { ...next, value: stamp(next.value, current) } : next;
        },
        read ? { read } : {},
      ),
    list: (conversationId, limit, open, thread) =>
      queryItems<RethinkListItem>(
        container,
        `SELECT TOP @limit c.id, c.caseReference, c.strategy, c.status, c.stage, c.updatedAt, c.outcome FROM c WHERE c.conversationId = @conversationId AND ${open ? 'c.status = "open"' : 'c.status != "cancelled"'}${thread === undefined ? '' : ' AND c.cardConversationId = @thread'} ORDER BY c.updatedAt DESC`,
        [{ name: '@limit', value: limit }, { name: '@conversationId', value: conversationId }, ...(thread === undefined ? [] : [{ name: '@thread', value: thread }])],
        conversationId,
      ),
    latestOpen: (conversationId, within) => latest(conversationId, 'open', within),
    holdingCard: (conversationId, activityId) =>
      queryItems<string>(container, 'SELECT VALUE c.id FROM c WHERE c.conversationId = @conversationId AND (c.strategyCard.activityId = @activityId OR c.cardActivityId = @activityId)', [
        { name: '@conversationId', value: conversationId },
        { name: '@activityId', value: activityId },
      ], conversationId),
    openWithMember: (conversationId, memberId) =>
      queryItems<Stored<Rethink>>(container, `SELECT * FROM c WHERE c.conversationId = @conversationId AND c.status = "open" AND ${WITH_MEMBER}`, [
        { name: '@conversationId', value: conversationId },
        { name: '@memberId', value: memberId },
      ], conversationId),
    openWithMemberInTeam: (teamId, memberId) =>
      queryAcross<Stored<Rethink>>(container, `SELECT * FROM c WHERE c.status = "open" AND (c.teamId = @teamId OR c.conversationId = @teamId) AND ${WITH_MEMBER}`, [
        { name: '@teamId', value: teamId },
        { name: '@memberId', value: memberId },
      ]),
    openInMeeting: (conversationId, meetingId, limit) => newest(conversationId, 'open', limit, { meetingId }),
    latestProposed: (conversationId) => latest(conversationId, 'proposed'),
    anyProposed: async (conversationId) =>
      (await queryItems<string>(container, 'SELECT TOP 1 VALUE c.id FROM c WHERE c.conversationId = @conversationId AND c.status = "proposed"', [{ name: '@conversationId', value: conversationId }], conversationId)).length > 0,
    latestNotResolved: (conversationId, thread) => latest(conversationId, 'closed', thread === undefined ? {} : { thread }, true),
    // Every one in the window (a partnership closes a handful a month): a limit could leave one out for good.
    closedStrategyThreeSince: (since) =>
      queryAcross<ClosedStrategyThree>(container, 'SELECT c.id, c.conversationId, c.caseReference, c.createdBy, c.createdAt, c.outcome FROM c WHERE c.status = "closed" AND c.strategy = 3 AND c.updatedAt >= @since', [{ name: '@since', value: since }]),
    dueReminders: async (bounds, limit, tenants) => {
      // Only tenants still served: one taken off the allow-list is sent and written nothing more.
      const served = tenants ? ' AND ARRAY_CONTAINS(@tenants, c.tenantId)' : '';
      const tenantParameter = tenants ? [{ name: '@tenants', value: [...tenants] }] : [];
      const [actions, idle] = await Promise.all([
        queryAcross<{ id: string; conversationId: string }>(
          container,
          // One row per Re-think, however many of its actions are due.
          `SELECT TOP @limit c.id, c.conversationId FROM c WHERE c.status IN ("open", "closed")${served} AND EXISTS(SELECT VALUE a FROM a IN c.actions WHERE NOT IS_DEFINED(a.removedAt) AND NOT IS_DEFINED(a.remindedAt) AND a.dueDate <= @dueBy AND a.dueDate >= @overdueFrom AND a.at <= @agreedBefore)`,
          [
            { name: '@limit', value: limit },
            { name: '@dueBy', value: bounds.dueBy },
            { name: '@overdueFrom', value: bounds.overdueFrom },
            { name: '@agreedBefore', value: bounds.agreedBefore },
            ...tenantParameter,
          ],
        ),
        queryAcross<{ id: string; conversationId: string }>(
          container,
          `SELECT TOP @limit c.id, c.conversationId FROM c WHERE c.status = "open"${served} AND c.updatedAt <= @idleSince AND (NOT IS_DEFINED(c.idleRemindedAt) OR c.idleRemindedAt < c.updatedAt)`,
          [
            { name: '@limit', value: limit },
            { name: '@idleSince', value: bounds.idleSince },
            ...tenantParameter,
          ],
        ),
      ]);
      const unique = new Map([...actions, ...idle].map((r) => [`${r.conversationId}|${r.id}`, r]));
      return [...unique.values()].slice(0, limit);
    },
    lapsedReminders: (markedBefore, limit, tenants) =>
      queryAcross<{ id: string; conversationId: string }>(
        container,
        `SELECT TOP @limit c.id, c.conversationId FROM c WHERE IS_DEFINED(c.reminderPending) AND c.reminderPending < @markedBefore${tenants ? ' AND ARRAY_CONTAINS(@tenants, c.tenantId)' : ''}`,
        [{ name: '@limit', value: limit }, { name: '@markedBefore', value: markedBefore }, ...(tenants ? [{ name: '@tenants', value: [...tenants] }] : [])],
      ),
    owingPost: (post, claimedBefore, tries, limit, tenants) => {
      // `post` is one of two fixed names, never input: safe in the query's text.
      const owed = `c.owed.${post}`;
      return queryAcross<{ id: string; conversationId: string }>(
        container,
        // Claimed within the last week: every closed Re-think keeps its posted summary's claim, and
        // without a lower bound the index would offer them all, every minute, on every instance.
        `SELECT TOP @limit c.id, c.conversationId FROM c WHERE c.status = @status${tenants ? ' AND ARRAY_CONTAINS(@tenants, c.tenantId)' : ''} AND ${owed}.claimedAt >= @claimedSince AND ${owed}.claimedAt < @claimedBefore AND NOT IS_DEFINED(${owed}.postedAt) AND ${owed}.tries < @tries`,
        [
          { name: '@limit', value: limit },
          { name: '@status', value: post === 'summary' ? 'closed' : 'open' },
          { name: '@claimedSince', value: new Date(Date.parse(claimedBefore) - OWED_SOUGHT_MS).toISOString() },
          { name: '@claimedBefore', value: claimedBefore },
          { name: '@tries', value: tries },
          ...(tenants ? [{ name: '@tenants', value: [...tenants] }] : []),
        ],
      );
    },
    forCase: (caseReference) => queryAcross<Rethink>(container, `SELECT * FROM c WHERE ${OF_CASE} ORDER BY c.createdAt ASC`, [{ name: '@caseReference', value: caseReference }]),
    forCaseIn: (conversationId, caseReference) =>
      queryItems<Rethink>(
        container,
        `SELECT * FROM c WHERE c.conversationId = @conversationId AND ${OF_CASE} ORDER BY c.createdAt ASC`,
        [
          { name: '@conversationId', value: conversationId },
          { name: '@caseReference', value: caseReference },
        ],
        conversationId,
      ),
    caseOnRecord: async (caseReference) => (await queryAcross<string>(container, `SELECT TOP 1 VALUE c.id FROM c WHERE ${OF_CASE}`, [{ name: '@caseReference', value: caseReference }])).length > 0,
    peopleInCase: async (caseReference) => {
      const parameters = [{ name: '@caseReference', value: caseReference }];
      const [joined, acted] = await Promise.all([
        queryAcross<Pick<Participant, 'id' | 'name' | 'aadObjectId'>>(
          container,
          // The independent facilitator of a strategy 3 Re-think was there from outside the case, not in it.
          'SELECT p.id, p.name, p.aadObjectId FROM c JOIN p IN c.participants WHERE c.caseReference = @caseReference AND c.status IN ("open", "closed") AND (NOT IS_DEFINED(p.external) OR p.external = false) AND NOT (c.strategy = 3 AND p.id = c.facilitatorId)',
          parameters,
        ),
        // In a meeting, presenters facilitate (move on, close) without joining; and a facilitator
        // handed over to may not have joined either: whoever changed a Re-think took part in it.
        // Asking to see its card again (status) changes nothing, nor does a meeting ending; reminders
        // and Teams saying someone left are no one's doing.
        queryAcross<{ by: string; facilitatorId: string; strategy?: StrategyNumber }>(container, 'SELECT a["by"], c.facilitatorId, c.strategy FROM c JOIN a IN c.audit WHERE c.caseReference = @caseReference AND c.status IN ("open", "closed") AND NOT (a.what IN ("cardPosted", "meetingEndReminded", "summaryPosted", "summaryRetried", "meetingEndPosted", "meetingEndRetried")) AND a["by"] != @reminders AND a["by"] != @membership', [...parameters, { name: '@reminders', value: NO_ONE.reminders }, { name: '@membership', value: NO_ONE.membership }]),
      ]);
      const known = new Set(joined.map((p) => p.id));
      const others = [...new Set(acted.flatMap((a) => (a.strategy === 3 ? [a.by].filter((by) => by !== a.facilitatorId) : [a.by, a.facilitatorId])))].filter((id) => id && !known.has(id) && !id.startsWith('ext:'));
      return [...joined, ...others.map((id) => ({ id, name: '' }))];
    },
  };
}
