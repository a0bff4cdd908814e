/**
 * The storage rules every repository follows: a 404 is `undefined`, every update is a
 * conditional replace on the ETag, retried from a fresh read on 412. The two writes that only set
 * values, where the latest is the right one and there is nothing to merge (`patchOrCreate`,
 * `upsertItem`: a person's remembered role and agency or personal chat, a conversation's address),
 * are the exception.
 */
import type { Container, Item, ItemDefinition, PatchOperation } from '@azure/cosmos';
import type { Refusal, Result } from '../result';

/** The store could not be reached or failed: nothing was saved, and the caller may try again. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The store is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A `.catch` for work that may meet the store down: a store fault is handed to `onFault`; anything
 * else is a bug and is thrown as it is.
 */
export const unlessUnavailable =
  <T>(onFault: (error: StoreUnavailableError) => T) =>
  (error: unknown): T => {
    if (error instanceof StoreUnavailableError) return onFault(error);
    throw error;
  };

export type Stored<T> = T & { _etag: string };

export type UpdateOutcome<T> =
  | { kind: 'updated'; doc: Stored<T>; replay: boolean }
  | { kind: 'refused'; refusal: Refusal; doc: Stored<T> }
  | { kind: 'notFound' };

export type Change<T> = (current: Stored<T>) => Result<T> & { replay?: boolean };

const statusOf = (error: unknown): number | undefined => {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown; statusCode?: unknown }).code ?? (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
};

/** Statuses and network failures that mean "the store could not do it now": try again later. */
const TRANSIENT_STATUSES = new Set([408, 429, 449, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR']);
const UNAVAILABLE_NAMES = new Set(['TimeoutError', 'AbortError', 'CredentialUnavailableError', 'AuthenticationError']);

function isUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const status = statusOf(error);
  // 410 and 403/3 are answers during a failover: the write was refused, try again.
  if (status !== undefined) return TRANSIENT_STATUSES.has(status) || status === 410 || (status === 403 && (error as { substatus?: unknown }).substatus === 3);
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) || (typeof code === 'string' && NETWORK_CODES.has(code));
}

/**
 * Expected answers (404, 409, 412) come back as status codes; an unreachable or overloaded store
 * is StoreUnavailableError; anything else is a bug and is thrown as it is.
 */
async function call<R>(run: () => Promise<R>, expected: readonly number[]): Promise<R | number> {
  try {
    return await run();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 && notTheItem((error as { substatus?: unknown }).substatus)) throw new StoreUnavailableError(error);
    if (status !== undefined && expected.includes(status)) return status;
    if (isUnavailable(error)) throw new StoreUnavailableError(error);
    throw error;
  }
}

/**
 * A 404 with a substatus is not "no such item": 1003 is the container or database itself gone (a
 * deployment or configuration fault), 1002 a session not yet readable here. Neither is an answer
 * to give people ("that Re-think doesn't exist"): the store is unavailable to this request.
 */
const notTheItem = (substatus: unknown): boolean => typeof substatus === 'number' && substatus !== 0;

/**
 * How long one operation may take in all, retries included. With endpoint discovery on (any https
 * account), the SDK tries a read or query that timed out up to 120 times: about six minutes against
 * an account that doesn't answer, where Teams waits about five seconds. A write is never retried.
 */
export const OPERATION_MS = 4_000;
/** A search across partitions, never on a card action's path: the periodic checks and lists. */
export const SEARCH_MS = 10_000;
const within = (ms: number = OPERATION_MS): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(ms) });

export async function readItem<T>(container: Container, id: string, partitionKey: string, timeoutMs?: number): Promise<Stored<T> | undefined> {
  const result = await call(() => container.item(id, partitionKey).read<ItemDefinition>(within(timeoutMs)), [404]);
  if (typeof result !== 'number' && result.statusCode === 404 && notTheItem(result.substatus)) {
    throw new StoreUnavailableError(Object.assign(new Error(`Cosmos DB answered 404 with substatus ${String(result.substatus)} for a point read`), { code: 404, substatus: result.substatus }));
  }
  if (typeof result === 'number' || result.statusCode === 404 || !result.resource) return undefined;
  return result.resource as unknown as Stored<T>;
}

/** Creates a document; `undefined` when one with that id already exists. */
export async function createItem<T extends { id: string }>(container: Container, doc: T): Promise<Stored<T> | undefined> {
  const result = await call(() => container.items.create(doc as unknown as ItemDefinition, within()), [409]);
  if (typeof result === 'number') return undefined;
  return result.resource as unknown as Stored<T>;
}

export async function upsertItem<T extends { id: string }>(container: Container, doc: T): Promise<Stored<T>> {
  const { resource } = await always(() => container.items.upsert(doc as unknown as ItemDefinition, within()));
  return resource as unknown as Stored<T>;
}

export async function queryItems<T>(container: Container, query: string, parameters: { name: string; value: string | number }[], partitionKey: string): Promise<T[]> {
  const { resources } = await always(() => container.items.query<T>({ query, parameters }, { partitionKey, ...within() }).fetchAll());
  return resources;
}

/** A query over every partition: for lists and the dispatcher's search, never on a card action's path. */
export async function queryAcross<T>(container: Container, query: string, parameters: { name: string; value: string | number | string[] }[]): Promise<T[]> {
  const { resources } = await always(() => container.items.query<T>({ query, parameters }, within(SEARCH_MS)).fetchAll());
  return resources;
}

/** Deletes a document; one already gone is fine. */
export async function deleteItem(container: Container, id: string, partitionKey: string): Promise<void> {
  await call(() => container.item(id, partitionKey).delete(within()), [404]);
}

/** A call with no expected failure status. */
async function always<R>(run: () => Promise<R>): Promise<R> {
  const result = await call(run, []);
  if (typeof result === 'number') throw new Error(`Unexpected status ${result}`);
  return result;
}

export interface UpdateOptions<T> {
  budgetMs?: number;
  /** A document just read: the first try starts from it. */
  read?: Stored<T>;
  /**
   * The change, applied again to a document it has already changed, changes nothing (activity ids,
   * or set semantics). Only then is a write whose answer was lost checked by applying it again.
   */
  idempotent?: boolean;
}

/**
 * Read, change, replace-if-unchanged. Concurrent writers each win eventually: on 412 the change is
 * applied again to the fresh document, so no one's update overwrites another's. It gives up within
 * Teams' few seconds for an answer, so the person hears "please try again" rather than nothing.
 */
export async function updateItem<T extends { id: string }>(container: Container, id: string, partitionKey: string, change: Change<T>, options: UpdateOptions<T> = {}): Promise<UpdateOutcome<T>> {
  const { outcomes } = await saveTogether(container, id, partitionKey, () => [change], { ...options, deadline: Date.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS) });
  const [outcome] = outcomes;
  if (!outcome) throw new Error('A change was not answered');
  return outcome;
}

/** Within Teams' few seconds for an answer. */
export const DEFAULT_BUDGET_MS = 3_500;

/** How long the look after a lost answer may take: with the store's 3 s timeout, still within Teams' 5 s. */
const LOST_ANSWER_LOOK_MS = 1_000;

export interface Together<T> {
  /** One outcome per change, in order. */
  outcomes: UpdateOutcome<T>[];
  /** The document as it now is in the store, when known (its ETag is current unless someone else writes). */
  latest?: Stored<T>;
}

/**
 * Several changes to one document, applied in order to one read of it and saved in one conditional
 * replace: on 412 all of them are applied again to the fresh document. A change that is refused
 * leaves the others to go ahead. `take` is called once the document is in hand, so changes that
 * arrive while it is being read are saved with the rest. If the save fails, every change fails.
 */
export async function saveTogether<T extends { id: string }>(
  container: Container,
  id: string,
  partitionKey: string,
  take: () => Change<T>[],
  options: Omit<UpdateOptions<T>, 'budgetMs'> & { deadline: number },
): Promise<Together<T>> {
  // A caller that has just read the document starts from it: the write is conditional on its ETag anyway.
  let known = options.read;
  let changes: Change<T>[] | undefined;
  // Changes made in an attempt whose answer was lost: seeing them as replays next time means they landed.
  let madeInLostAttempt = new Set<number>();
  /** A write whose answer was lost: what to say if the look that follows finds it did not land. */
  let lostAnswer: StoreUnavailableError | undefined;
  for (let attempt = 1; ; attempt++) {
    // After a lost answer, a short look: a store that answers at all answers a point read at once.
    const current = known ?? (await readItem<T>(container, id, partitionKey, lostAnswer ? LOST_ANSWER_LOOK_MS : undefined));
    known = undefined;
    changes ??= take();
    if (!current) return { outcomes: changes.map(() => ({ kind: 'notFound' })) };
    const applied = applyInTurn(current, changes);
    const ownReplay = (i: number): boolean => !madeInLostAttempt.has(i);
    if (applied.made.size === 0) return { outcomes: settle(applied, current, ownReplay), latest: current };
    // It did not land, and another try could outlast Teams' wait: "not saved" is true.
    if (lostAnswer && options.deadline - Date.now() < 1_500) throw lostAnswer;
    let result: Awaited<ReturnType<Item['replace']>> | number;
    try {
      result = await call(
        () => container.item(id, partitionKey).replace(applied.doc as unknown as ItemDefinition, { accessCondition: { type: 'IfMatch', condition: current._etag }, ...within() }),
        [412, 404],
      );
    } catch (error) {
      // The write may have landed with its answer lost (a timeout, a reset): look again and apply the
      // changes to what is there. Changes are idempotent (activity ids), so one that landed is not made
      // twice, and someone whose change was saved is never told it wasn't. The look is short, even
      // past the deadline: a timeout takes most of the budget.
      if (!options.idempotent || !(error instanceof StoreUnavailableError) || lostAnswer) throw error;
      lostAnswer = error;
      madeInLostAttempt = applied.made;
      continue;
    }
    if (result === 404) return { outcomes: changes.map(() => ({ kind: 'notFound' })) };
    if (typeof result !== 'number') {
      const saved = result.resource as unknown as Stored<T>;
      return { outcomes: settle(applied, saved, ownReplay), latest: saved };
    }
    if (Date.now() > options.deadline) throw new StoreUnavailableError(new Error(`Gave up after ${attempt} conflicting writes`));
    // Back off with jitter so concurrent writers spread out rather than collide again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 5 * attempt)));
  }
}

type Step = { kind: 'made' } | { kind: 'replay' } | { kind: 'refused'; refusal: Refusal };

interface Applied<T> {
  /** What is written: every change made, in turn. */
  doc: Stored<T>;
  steps: Step[];
  /** The document as each change left it (or found it, if refused or a replay). */
  seen: Stored<T>[];
  made: Set<number>;
}

/**
 * Each change in turn on the document as the ones before it left it. A document part-way through
 * keeps the ETag read, so a write based on it can only meet a 412, never overwrite what came after.
 */
function applyInTurn<T>(current: Stored<T>, changes: Change<T>[]): Applied<T> {
  let doc = current;
  const made = new Set<number>();
  const seen: Stored<T>[] = [];
  const steps = changes.map((change, i): Step => {
    const next = change(doc);
    if (!next.ok || next.replay) {
      seen.push(doc);
      return next.ok ? { kind: 'replay' } : { kind: 'refused', refusal: next.error };
    }
    doc = { ...next.value, _etag: current._etag };
    seen.push(doc);
    made.add(i);
    return { kind: 'made' };
  });
  return { doc, steps, seen, made };
}

/**
 * Each is answered with the document as its own change left it, as if saved alone: what follows a
 * change (a summary posted on closing) follows only the change that did it. Those who saw the last
 * state are given it as saved. A replay is a redelivery, unless the change was made in an attempt
 * whose answer was lost: then it is this call's own write, landed.
 */
function settle<T>(applied: Applied<T>, saved: Stored<T>, ownReplay: (i: number) => boolean): UpdateOutcome<T>[] {
  return applied.steps.map((step, i) => {
    const seen = applied.seen[i];
    const doc = seen === undefined || seen === applied.doc ? saved : seen;
    return step.kind === 'refused' ? { kind: 'refused', refusal: step.refusal, doc } : { kind: 'updated', doc, replay: step.kind === 'replay' && ownReplay(i) };
  });
}

/**
 * A patch setting each given field, but for the id and the partition key: Cosmos DB refuses a patch
 * naming either (the embedded store doesn't), and the document already holds both.
 */
export function patchOperations(fields: Record<string, unknown>, partitionKeyField: string): PatchOperation[] {
  return Object.entries(fields)
    .filter(([key, value]) => key !== 'id' && key !== partitionKeyField && value !== undefined)
    .map(([key, value]) => ({ op: 'set' as const, path: `/${key}`, value }));
}

/**
 * Sets the given fields on a document, creating it when it does not exist yet, and adds `entry` to
 * the end of its audit trail (`audit`) in the same write. `first` is the likelier to succeed: a patch
 * for a document that exists, a create for one that probably doesn't. A document written before it
 * kept a trail (a patch can't append to an array that isn't there) is changed by a conditional
 * replace that starts one.
 */
export async function patchOrCreate<T extends { id: string; audit?: unknown[] }, K extends keyof T & string>(
  container: Container,
  fields: Partial<T> & { id: string } & Record<K, string>,
  partitionKeyField: K,
  entry: NonNullable<T['audit']>[number],
  first: 'patch' | 'create' = 'patch',
): Promise<void> {
  const partitionKey = fields[partitionKeyField];
  // Only onto a trail that is there: Cosmos DB refuses to append to a missing array (the embedded
  // store would add a property named "-"), so the condition says which case this is, in one request.
  const body = { condition: 'FROM c WHERE IS_DEFINED(c.audit)', operations: [...patchOperations(fields, partitionKeyField), { op: 'add', path: '/audit/-', value: entry }] as PatchOperation[] };
  const patch = async (): Promise<boolean> => {
    const result = await call(() => container.item(fields.id, partitionKey).patch(body, within()), [404, 412]);
    if (result === 404) return false;
    if (result !== 412) return true;
    const started = await updateItem<T>(container, fields.id, partitionKey, (current) => ({ ok: true, value: { ...current, ...fields, audit: [...(current.audit ?? []), entry] } }));
    return started.kind !== 'notFound';
  };
  const create = async () => typeof (await call(() => container.items.create({ ...fields, audit: [entry] } as unknown as ItemDefinition, within()), [409])) !== 'number';
  const [one, other] = first === 'patch' ? [patch, create] : [create, patch];
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await one()) || (await other())) return;
  }
  throw new StoreUnavailableError(new Error('Could not create or update the document'));
}
