/**
 * Partnership administrators set up the facilitator pool (a channel, and/or named facilitators), and
 * answer subject access and erasure requests for a case reference.
 */
import { checkCaseReference, formatUkDate } from '../../services/rethink/validation';
import { caseExport, caseExportFileName, describeCounts, describeErased, describeHoldings, describeLive, documentCopies, holdsNothing } from '../../services/store/caseRecords';
import { rethinkAddress } from '../../services/store/conversations';
import type { FacilitatorRequest } from '../../services/requests/types';
import { NO_ONE, type Rethink } from '../../services/rethink/types';
import * as lifecycle from '../../services/requests/lifecycle';
import { administratorChats, changeEach, poolReach } from './requests';
import type { ConversationAddress } from '../../services/store/people';
import { namedReach, whoIs, type FacilitatorPool } from '../../services/store/pool';
import { engineContext, MESSAGES, textField, type Deps, type Handler, type HandlerResult, type TurnInput } from './types';
import { trimChars, typedCommand } from '../../services/text';
import { conversationKey } from '../turn';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isAdministrator = (input: TurnInput, deps: Deps): boolean => !!input.actor.aadObjectId && deps.administrators.includes(input.actor.aadObjectId);
/** Refused, and logged with who tried (the turn's log names the command, never what followed it): an attempt can be traced. */
const notAdministrator = (input: TurnInput, deps: Deps, notice: string): HandlerResult => {
  deps.log.info({ refusal: 'notAdministrator', aadObjectId: input.actor.aadObjectId ?? 'none' }, 'administrator command refused');
  return { notice };
};

/** Typed in the channel that is to receive requests (the app installed in its team). */
export const setFacilitatorChannel: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministrator);
  if (input.where.conversationKind !== 'channel') return { notice: 'Please type this in the Teams channel where facilitators should receive requests (with Re-think added to that team).' };
  const at = input.now.toISOString();
  // The channel it replaces, as read by the change itself: one read of the pool, not two.
  let before: ConversationAddress | undefined;
  const saved = await deps.pool.change((pool) => {
    before = pool.channel;
    // Already this channel: nothing changes, and nothing is added to the pool's history; but one set
    // before its team was kept learns its team now, so the team's archiving or deletion is recognised.
    if (before?.conversationId === input.address.conversationId) return pool.channel && !pool.channel.teamId && input.teamId ? { ...pool, channel: { ...pool.channel, teamId: input.teamId } } : pool;
    const replaced = before && before.conversationId !== input.address.conversationId ? { ref: before.conversationId } : {};
    return { ...pool, channel: { ...input.address, setBy: input.actor.id, setAt: at, ...(input.teamId ? { teamId: input.teamId } : {}) }, audit: [...pool.audit, { at, by: input.actor.id, what: 'channelSet', ...replaced }] };
  }, input.now);
  if (!saved) return { notice: MESSAGES.storeUnavailable };
  if (before?.conversationId === input.address.conversationId) return { notice: `This is already the facilitator channel: new requests for an independent facilitator are posted here, and anyone in this channel can accept them.${await personalChatHint(input, deps)}` };
  if (before) await noteLeftPool(input, deps, [before.conversationId]);
  const offered = await offerWaiting(input, deps, input.address);
  const replaced = before ? ' It replaces the channel set before: the copies of requests there now say that channel is no longer part of the pool.' : '';
  return { notice: `Done: new requests for an independent facilitator will be posted in this channel. Anyone in this channel can accept them.${replaced}${waitingSent(offered, 'here')}${await personalChatHint(input, deps)}` };
};

/** `remove facilitator channel`: requests go to the named facilitators only; the channel's copies say so. */
export const removeFacilitatorChannel: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministrator);
  const { pool, removed } = await takeChannelOut(deps, input.now, input.actor.id, 'channelRemoved', () => true);
  if (!pool) return { notice: MESSAGES.storeUnavailable };
  if (!removed) return { notice: `No facilitator channel is set, so nothing has changed. Type ${typedHere(input, 'facilitators')} to see the pool.` };
  await noteLeftPool(input, deps, [removed.conversationId]);
  return { notice: `Done: requests are no longer posted in the facilitator channel, and its copies of open requests now say so. The pool now has ${facilitatorCount(pool.facilitators.length)}.${await afterLeaving(input, deps, pool)}` };
};

/** The facilitator channel taken out of the pool, if `which` is it, audited as `what` by `by`: the pool as saved (none if it couldn't be), and the channel taken out. */
async function takeChannelOut(deps: Deps, now: Date, by: string, what: 'channelRemoved' | 'channelGone', which: (channel: NonNullable<FacilitatorPool['channel']>) => boolean): Promise<{ pool?: FacilitatorPool; removed?: FacilitatorPool['channel'] }> {
  let removed: FacilitatorPool['channel'];
  const pool = await deps.pool.change((p) => {
    removed = p.channel && which(p.channel) ? p.channel : undefined;
    if (!removed) return p;
    const rest = { ...p };
    delete rest.channel;
    return { ...rest, audit: [...p.audit, { at: now.toISOString(), by, what, ref: removed.conversationId }] };
  }, now);
  return { ...(pool ? { pool } : {}), ...(removed ? { removed } : {}) };
}

/** Why Teams says the facilitator channel can no longer be reached. */
const GONE_BECAUSE = {
  channelDeleted: 'the channel was deleted',
  teamGone: 'its team was archived or deleted',
  removed: 'Re-think was removed from its team',
} as const;

/**
 * Teams says the facilitator channel is gone (deleted, its team archived or deleted, or Re-think
 * removed from the team): it is taken out of the pool, as `remove facilitator channel` would, so
 * requests go to the named facilitators and a request left with no one to accept it says so; the
 * administrators are told, in their personal chats. Anything else deleted or removed: nothing.
 */
export const facilitatorChannelGone: Handler = async (input, deps) => {
  const why = textField(input.data, 'why') as keyof typeof GONE_BECAUSE;
  const channelId = textField(input.data, 'channelId');
  const teamId = textField(input.data, 'teamId');
  if (!Object.hasOwn(GONE_BECAUSE, why) || (!channelId && !teamId)) return {};
  // Teams' doing, not that of whoever's activity carried the news: the requests' trails say so.
  const { pool, removed: gone } = await takeChannelOut(deps, input.now, NO_ONE.teamsEvent, 'channelGone', (channel) =>
    (channelId !== '' && conversationKey(channel.conversationId) === channelId) || (teamId !== '' && (channel.teamId === teamId || conversationKey(channel.conversationId) === teamId)),
  );
  if (!pool || !gone) return {};
  await noteLeftPool(input, deps, [gone.conversationId], NO_ONE.teamsEvent);
  const text = `Teams says the facilitator channel can no longer be reached (${GONE_BECAUSE[why]}), so it has been taken out of the facilitator pool: new requests for an independent facilitator now go to the ${facilitatorCount(pool.facilitators.length)} only. To use another channel, type **@Re-think set facilitator channel** in it (requests waiting for a facilitator are then sent there too).${await afterLeaving(input, deps, pool, NO_ONE.teamsEvent)}`;
  return { posts: (await administratorChats(deps)).map((to) => ({ to, text })) };
};

/**
 * The copies of requests in chats that have left the pool become the note saying so, now: closed
 * ones too, which still show the requester's details.
 */
async function noteLeftPool(input: TurnInput, deps: Deps, chats: string[], by = input.actor.id): Promise<void> {
  await changeEach(deps, await deps.requests.withPoolCopiesIn(chats, 500), (current) => lifecycle.noteLeftPool(current, chats, by, engineContext(deps, input.now)));
}

/**
 * Requests still waiting for someone to accept were sent to the pool as it was: a chat new to the
 * pool is sent them too (otherwise a replaced channel would leave them with no one to accept them).
 */
async function offerWaiting(input: TurnInput, deps: Deps, to: ConversationAddress, by = input.actor.id): Promise<number> {
  // However many are accepted and running, every one still waiting (a partnership has a handful).
  return changeEach(deps, await deps.requests.waiting(200), (current) => lifecycle.offerToPool(current, [to], by, engineContext(deps, input.now)));
}

const waitingSent = (sent: number, where: 'here' | 'to them'): string =>
  sent === 0 ? '' : sent === 1 ? ` The one request waiting for a facilitator is being sent ${where} too.` : ` The ${sent} requests waiting for a facilitator are being sent ${where} too.`;

const facilitatorCount = (n: number): string => `${n === 0 ? 'no' : n} named facilitator${n === 1 ? '' : 's'}`;

/** Teams gives object ids in lower case; one pasted from elsewhere may not be, or may come in braces or quotes. */
const idArgument = (input: TurnInput): string => trimChars(textField(input.data, 'argument').trim(), '"\'“‘{(<', '"\'”’})>.,;:!?').toLowerCase();
const ID_EXAMPLE = (command: 'add' | 'remove'): string => `for example **${command} facilitator 6a1f2c3d-0000-4000-8000-000000000005**`;
const askForId = (command: 'add' | 'remove'): string =>
  `Please give the facilitator’s Microsoft Entra object id, ${ID_EXAMPLE(command)}. They can find it by typing **my id** to Re-think, or you’ll find it on their profile in the Entra admin centre. In a chat or channel you share with them, you can @mention them instead: **@Re-think ${command} facilitator @their name**.`;

/** Whom an administrator means: the one person @mentioned (Teams is asked who they are), or the Entra object id typed. */
async function facilitatorMeant(input: TurnInput, command: 'add' | 'remove'): Promise<{ ok: true; id: string; name?: string } | { ok: false; notice: string }> {
  // Anything typed is the id: a colleague @mentioned beside it (cc) is never taken for the facilitator.
  const typed = idArgument(input);
  if (typed !== '') return GUID.test(typed) ? { ok: true, id: typed } : { ok: false, notice: askForId(command) };
  const mentioned = input.mentioned ?? [];
  if (mentioned.length > 1) return { ok: false, notice: `Please ${command} one facilitator at a time: @mention just one person after **${command} facilitator**.` };
  const [person] = mentioned;
  if (!person) return { ok: false, notice: askForId(command) };
  const member = await input.memberOf?.(person.id);
  const who = person.name || 'that person';
  if (!member || !GUID.test(member.aadObjectId)) {
    return { ok: false, notice: `Teams didn’t tell me who ${who} is here, so nothing has changed. Please give their Microsoft Entra object id instead, ${ID_EXAMPLE(command)}: they can find it by typing **my id** to Re-think.` };
  }
  // A guest's id here is not the one their own organisation's Teams (where requests reach them) knows them by.
  if (member.guest) {
    return { ok: false, notice: `${who} is a guest here, so Teams knows them by another id in their own organisation, where requests would reach them. Nothing has changed: please ask them to type **my id** to Re-think in their own Teams, and give that id, ${ID_EXAMPLE(command)}.` };
  }
  const name = member.name || person.name;
  return { ok: true, id: member.aadObjectId, ...(name ? { name } : {}) };
}

/** `my id`: someone's own Entra object id, to give an administrator who is adding them to the pool. */
export const myId: Handler = async (input) => {
  const id = input.actor.aadObjectId;
  if (!id) return { notice: 'Teams didn’t give me your Microsoft Entra object id here. Please type **my id** in your personal chat with Re-think.' };
  return { notice: `Your Microsoft Entra object id is ${id}. To be a named independent facilitator, send it to your partnership administrator, who types **add facilitator ${id}**.` };
};

export const addFacilitator: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministrator);
  const meant = await facilitatorMeant(input, 'add');
  if (!meant.ok) return { notice: meant.notice };
  const { id, name } = meant;
  const at = input.now.toISOString();
  let already = false;
  let named = false;
  const pool = await deps.pool.change((p) => {
    const entry = p.facilitators.find((f) => f.aadObjectId === id);
    already = entry !== undefined;
    // Added by id before, now @mentioned: the pool learns their name (nothing else changes).
    named = entry !== undefined && !entry.name && name !== undefined;
    if (named) return { ...p, facilitators: p.facilitators.map((f) => (f === entry ? { ...f, name } : f)), audit: [...p.audit, { at, by: input.actor.id, what: 'facilitatorNamed', ref: id }] };
    return already ? p : { ...p, facilitators: [...p.facilitators, { aadObjectId: id, ...(name ? { name } : {}), addedBy: input.actor.id, addedAt: at }], audit: [...p.audit, { at, by: input.actor.id, what: 'facilitatorAdded', ref: id }] };
  }, input.now);
  if (!pool) return { notice: MESSAGES.storeUnavailable };
  const person = await deps.people.get(id);
  const chat = person?.personalConversation;
  const reach = chat ? 'They receive new requests in their personal chat with Re-think.' : 'They haven’t opened a personal chat with Re-think yet: new requests will reach them once they add the app for themselves.';
  const who = whoIs(pool.facilitators.find((f) => f.aadObjectId === id) ?? { aadObjectId: id, ...(name ? { name } : {}) });
  if (already) return { notice: `${who} is already in the pool of named facilitators, so nothing has changed${named ? ' but their name, which the pool now shows' : ''}. ${reach}${await personalChatHint(input, deps)}` };
  const offered = chat ? await offerWaiting(input, deps, chat) : 0;
  return { notice: `Added ${who}. The pool now has ${facilitatorCount(pool.facilitators.length)}. ${reach}${waitingSent(offered, 'to them')}${await personalChatHint(input, deps)}` };
};

/**
 * A named facilitator has added Re-think for themselves (for the first time, or again after removing
 * it): the requests still waiting for someone to accept are sent to them, as when they were added.
 */
export async function offerWaitingOnInstall(input: TurnInput, deps: Deps): Promise<void> {
  const aad = input.actor.aadObjectId;
  if (!aad || !(await deps.pool.get())?.facilitators.some((f) => f.aadObjectId === aad)) return;
  // Sent because the pool names them, not because they did anything to the requests.
  await offerWaiting(input, deps, input.address, NO_ONE.pool);
}

export const removeFacilitator: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministrator);
  const meant = await facilitatorMeant(input, 'remove');
  if (!meant.ok) return { notice: meant.notice };
  const { id } = meant;
  const at = input.now.toISOString();
  let wasIn = false;
  let who = whoIs({ aadObjectId: id, ...(meant.name ? { name: meant.name } : {}) });
  const pool = await deps.pool.change((p) => {
    const entry = p.facilitators.find((f) => f.aadObjectId === id);
    wasIn = entry !== undefined;
    if (entry) who = whoIs({ ...entry, name: entry.name ?? meant.name });
    return wasIn ? { ...p, facilitators: p.facilitators.filter((f) => f.aadObjectId !== id), audit: [...p.audit, { at, by: input.actor.id, what: 'facilitatorRemoved', ref: id }] } : p;
  }, input.now);
  if (!pool) return { notice: MESSAGES.storeUnavailable };
  const chat = wasIn ? (await deps.people.get(id))?.personalConversation : undefined;
  if (chat) await noteLeftPool(input, deps, [chat.conversationId]);
  if (!wasIn) return { notice: `${meant.name ? `${meant.name} isn’t` : 'That id isn’t'} in the pool of named facilitators, so nothing has changed. Type ${typedHere(input, 'facilitators')} to see who is.` };
  return { notice: `Removed ${who}. The pool now has ${facilitatorCount(pool.facilitators.length)}.${await afterLeaving(input, deps, pool)}` };
};

/**
 * After someone or something has left the pool: with no channel, the requests waiting may now reach
 * no one (said in the reply), or reach only people who have all declined them (their requesters and
 * the administrators are told, as at a last decline). The pool's reach and the waiting requests are read once.
 */
async function afterLeaving(input: TurnInput, deps: Deps, pool: FacilitatorPool, by = input.actor.id): Promise<string> {
  if (pool.channel) return '';
  const reach = await poolReach(deps, pool);
  const waiting = await deps.requests.waiting(200);
  // Their requesters are told (with no one reachable at all, that no one can be reached now).
  await changeEach(deps, waiting, (current) => lifecycle.tellNoOneLeft(current, reach, by, engineContext(deps, input.now)));
  if (reach.reachable.length > 0) return '';
  if (waiting.length === 0) return ' No one in the pool can be reached now, so new requests will reach no one until you add a facilitator or set a facilitator channel.';
  return ` No one in the pool can be reached now: ${waiting.length === 1 ? 'the request waiting for a facilitator reaches' : `the ${waiting.length} requests waiting for a facilitator reach`} no one until you add a facilitator or set a facilitator channel.`;
}

/** A command as it is typed here: in a shared chat or channel Re-think hears only an @mention. */
const typedHere = (input: TurnInput, command: string): string => typedCommand(input.where.conversationKind, command);

export const showPool: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministrator);
  const pool = await deps.pool.get();
  const here = pool?.channel?.conversationId === input.address.conversationId;
  const channel = pool?.channel
    ? `Requests are posted in the facilitator channel${here ? ' (this channel)' : ''}, set on ${formatUkDate(pool.channel.setAt)} (to move it, type **@Re-think set facilitator channel** in another; to stop, ${typedHere(input, 'remove facilitator channel')}).`
    : 'No facilitator channel is set: type **@Re-think set facilitator channel** in the channel you want.';
  // Requests reach a named facilitator only in their personal chat with Re-think: say who has none.
  const listed = (await namedReach(pool, deps.people)).map((f) => (f.chat ? whoIs(f) : `${whoIs(f)} (not reachable: Re-think isn’t added for them, so requests can’t reach them until they add it)`));
  const named = listed.length ? `Named facilitators (with their Entra object ids): ${listed.join(', ')}.` : 'No named facilitators.';
  return { notice: `${channel} ${named}` };
};

const CONFIRM = /(^|[\s,;:]+)confirm[.!]?$/i;
/** Nothing held: for a reference outside today's pattern, it may be what was typed that is wrong. */
const nothingHeld = (ref: string, deps: Deps): string =>
  checkCaseReference(ref, deps.profile).ok ? `Re-think holds nothing for case ${ref}.` : `Re-think holds nothing for case ${ref}. That isn’t in the partnership’s current pattern (for example ${deps.profile.caseReference.example}), so please check what was typed.`;

/** Failed deliveries are reported to administrators in their personal chats: one who hasn't added Re-think for themselves is told so. */
async function personalChatHint(input: TurnInput, deps: Deps): Promise<string> {
  if (input.where.conversationKind === 'personal' || !input.actor.aadObjectId) return '';
  const chat = (await deps.people.get(input.actor.aadObjectId))?.personalConversation;
  return chat ? '' : ' To be told when a request can’t be delivered, add Re-think for yourself too (in Teams, Apps, then Re-think, then Add).';
}

const PERSONAL_ONLY = 'Please ask me in your personal chat with Re-think: what is held for a case is for your eyes only.';

/** `erase case <reference>` says what would go; `erase case <reference> confirm` erases it. */
export const eraseCase: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministratorForCase);
  if (input.where.conversationKind !== 'personal') return { notice: PERSONAL_ONLY };
  const typed = idArgument(input);
  const confirmed = CONFIRM.test(typed);
  const reference = checkCaseReference(typed.replace(CONFIRM, ''), deps.profile, { recorded: true });
  if (!reference.ok) return { notice: `${reference.error.message} Type it after **erase case**.` };

  const ref = reference.value;
  const holdings = await deps.caseRecords.find(ref);
  if (holdsNothing(holdings)) return { notice: nothingHeld(ref, deps) };
  const what = describeHoldings(holdings);
  // Only what this administrator was just shown is erased: a slip in a typed reference never erases another case unseen.
  const previewed = confirmed && (await deps.caseRecords.wasPreviewed(input.actor.id, ref, input.now));
  if (!previewed) {
    if (!(await deps.caseRecords.notePreview(input.actor.id, ref, input.now))) return { notice: MESSAGES.storeUnavailable };
    const first = confirmed ? 'Before anything is erased, please check this is the case you mean. ' : '';
    return { notice: `${first}This permanently deletes everything Re-think holds for case ${ref}: ${what}, with their audit trails. It can’t be undone. The Re-think and request cards Re-think posted about it are replaced by a line saying the record has been erased; its other messages in Teams chats (reminders, lists, notices) stay.${describeLive(holdings)}${documentCopies(holdings)}${EXPORTS_KEPT} To go ahead, type **erase case ${ref} confirm**.` };
  }
  const unlist = (aadObjectId: string) => deps.people.updateFacilitating(aadObjectId, (cases) => cases.filter((c) => c !== ref), input.now, input.actor.id);
  const outcome = await deps.caseRecords.erase(holdings, { id: `erasure-${deps.newId()}`, by: input.actor.id, at: input.now.toISOString() }, unlist);
  if (!outcome.ok) {
    const { removed } = outcome;
    deps.log.warn({ rethinks: removed.rethinks, requests: removed.requests }, 'case erasure stopped part-way');
    const allDeleted = removed.rethinks === holdings.rethinks.length && removed.requests === holdings.requests.length;
    const left = allDeleted ? 'The Re-thinks and requests are all deleted; what is left is taking the case off facilitators’ lists.' : `Deleted so far: ${describeCounts(removed.rethinks, removed.requests)} (of ${what}).`;
    return {
      notice: `Erasing case ${ref} stopped part-way, because Re-think couldn’t reach its store. ${left} Please type **erase case ${ref} confirm** again in a moment: it deletes whatever is left.`,
      replaced: await erasedCards(deps, holdings.rethinks.slice(0, removed.rethinks), holdings.requests.slice(0, removed.requests)),
    };
  }
  const { note } = outcome;
  deps.log.info({ erasure: note.id, rethinks: note.rethinkIds.length, requests: note.requestIds.length, facilitators: note.facilitatorIds.length, noteFinished: outcome.noteFinished }, 'case erased');
  const kept = outcome.noteFinished
    ? 'A note that an erasure was made (by whom, when, and the ids involved, without the case reference) is kept for the retention period.'
    : `The note of this erasure (by whom, when, and the ids involved, without the case reference) couldn’t be marked finished just now, so it reads “started”: its id is ${note.id}.`;
  return { notice: `Erased for case ${ref}: ${describeErased(note)}. ${kept}${documentCopies(holdings)}${EXPORTS_KEPT}`, replaced: await erasedCards(deps, holdings.rethinks, holdings.requests) };
};


/** Exports are the administrator's own files: Re-think keeps no list of them, so it can only say so. */
const EXPORTS_KEPT = ' Any export of this case saved to an administrator’s OneDrive (**export case**) is theirs to delete: Re-think can’t.';

/**
 * Where Re-think posted about the erased records (each Re-think's card and summary, every copy of a
 * request's card): each is replaced by a line saying so, so no chat goes on showing what was erased.
 * Deliberately in every tenant, one taken off the allow-list too: the one write made there takes the
 * case's content away.
 */
async function erasedCards(deps: Deps, rethinks: readonly Rethink[], requests: readonly FacilitatorRequest[]): Promise<NonNullable<HandlerResult['replaced']>> {
  const found: NonNullable<HandlerResult['replaced']>[number][] = [];
  const erased = new Set(rethinks.map((r) => r.id));
  for (const r of rethinks) {
    // The card as it is now, each copy it took over from (status, Show this Re-think), and the summary.
    const copies = r.audit.filter((a) => a.what === 'cardPosted' && a.ref !== undefined).map((a) => a.ref);
    const posted = [...new Set([r.cardActivityId, ...copies, r.owed?.summary?.activityId].filter((id): id is string => id !== undefined))];
    const to = posted.length > 0 ? await rethinkAddress(deps.conversations, r, r.cardConversationId ?? r.conversationId).catch(() => undefined) : undefined;
    if (to?.serviceUrl) for (const activityId of posted) found.push({ to, activityId, text: MESSAGES.erasedRethink, ...(activityId === r.cardActivityId ? { everyones: true as const } : {}) });
    // Its strategy card (or the start form it became again, cancelled), unless it became the Re-think card
    // above, or the same form has since started a Re-think of another case that is not being erased.
    const strategyCard = r.strategyCard;
    const heldElsewhere = async (activityId: string) => (await deps.rethinks.holdingCard(r.conversationId, activityId)).some((id) => !erased.has(id));
    // And start forms for the next strategy posted from its summary (one since submitted is another Re-think's strategy card).
    for (const form of [...(strategyCard ? [strategyCard] : []), ...(r.formsPosted ?? [])]) {
      if (posted.includes(form.activityId) || (await heldElsewhere(form.activityId))) continue;
      const where = await rethinkAddress(deps.conversations, r, form.conversationId).catch(() => undefined);
      if (where?.serviceUrl) found.push({ to: where, activityId: form.activityId, text: MESSAGES.erasedRethink });
    }
  }
  for (const r of requests) for (const copy of r.cards) found.push({ to: copy.to, activityId: copy.activityId, text: MESSAGES.erasedRequest });
  return found;
}

/** `export case <reference>`: everything held for the case, offered as a file in the administrator's personal chat. */
export const exportCase: Handler = async (input, deps) => {
  if (!isAdministrator(input, deps)) return notAdministrator(input, deps, MESSAGES.notAdministratorForCase);
  if (input.where.conversationKind !== 'personal') return { notice: PERSONAL_ONLY };
  const reference = checkCaseReference(idArgument(input), deps.profile, { recorded: true });
  if (!reference.ok) return { notice: `${reference.error.message} Type it after **export case**.` };
  const holdings = await deps.caseRecords.find(reference.value);
  if (holdsNothing(holdings)) return { notice: nothingHeld(reference.value, deps) };
  const size = caseExport(holdings, input.actor.id, input.now).length;
  return {
    posts: [
      {
        file: {
          name: caseExportFileName(reference.value),
          description: `Everything Re-think holds for case ${reference.value} (${describeHoldings(holdings)}), for a subject access request.`,
          sizeInBytes: size,
          context: { kind: 'caseExport', caseReference: reference.value },
        },
      },
    ],
  };
};
