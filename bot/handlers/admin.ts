/** Partnership administrators set up the facilitator pool: a channel, and/or named facilitators. */
import { MESSAGES, textField, type Deps, type Handler, type TurnInput } from './types';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isAdministrator = (input: TurnInput, deps: Deps): boolean => !!input.actor.aadObjectId && deps.administrators.includes(input.actor.aadObjectId);

/** Typed in the channel that is to receive requests (the app installed in its team). */
export const setFacilitatorChannel: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return { notice: MESSAGES.notAdministrator };
  if (input.where.conversationKind !== 'channel') return { notice: 'Please type this in the Teams channel where facilitators should receive requests (with Re-think added to that team).' };
  const at = input.now.toISOString();
  await deps.pool.change((pool) => ({ ...pool, channel: { ...input.address, setBy: input.actor.id, setAt: at }, audit: [...pool.audit, { at, by: input.actor.id, what: 'channelSet' }] }), input.now);
  return { notice: 'Done: new requests for an independent facilitator will be posted in this channel. Anyone in this channel can accept them.' };
};

const idArgument = (input: TurnInput): string => textField(input.data, 'argument').trim();

export const addFacilitator: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return { notice: MESSAGES.notAdministrator };
  const id = idArgument(input);
  if (!GUID.test(id)) return { notice: 'Please give the facilitator’s Microsoft Entra object id, for example **add facilitator 6a1f2c3d-0000-4000-8000-000000000005**. You’ll find it on their profile in the Entra admin centre.' };
  const at = input.now.toISOString();
  const pool = await deps.pool.change(
    (p) => (p.facilitators.some((f) => f.aadObjectId === id) ? p : { ...p, facilitators: [...p.facilitators, { aadObjectId: id, addedBy: input.actor.id, addedAt: at }], audit: [...p.audit, { at, by: input.actor.id, what: 'facilitatorAdded', ref: id }] }),
    input.now,
  );
  const person = await deps.people.get(id);
  const reach = person?.personalConversation ? 'They will receive new requests in their personal chat with Re-think.' : 'They haven’t opened a personal chat with Re-think yet: requests will reach them once they add the app for themselves.';
  return { notice: `Added. The pool now has ${pool.facilitators.length} named facilitator(s). ${reach}` };
};

export const removeFacilitator: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return { notice: MESSAGES.notAdministrator };
  const id = idArgument(input);
  const at = input.now.toISOString();
  const pool = await deps.pool.change(
    (p) => (p.facilitators.some((f) => f.aadObjectId === id) ? { ...p, facilitators: p.facilitators.filter((f) => f.aadObjectId !== id), audit: [...p.audit, { at, by: input.actor.id, what: 'facilitatorRemoved', ref: id }] } : p),
    input.now,
  );
  return { notice: `Removed, if they were in the pool. It now has ${pool.facilitators.length} named facilitator(s).` };
};

export const showPool: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return { notice: MESSAGES.notAdministrator };
  const pool = await deps.pool.get();
  const channel = pool?.channel ? 'Requests are posted in the facilitator channel.' : 'No facilitator channel is set: type **set facilitator channel** in the channel you want.';
  const named = pool?.facilitators.length ? `Named facilitators (Entra object ids): ${pool.facilitators.map((f) => f.aadObjectId).join(', ')}.` : 'No named facilitators.';
  return { notice: `${channel} ${named}` };
};
