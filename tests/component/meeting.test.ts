/**
 * A Re-think in a Teams meeting's chat: the organiser and presenters facilitate, attendees
 * contribute, each role asked of the (local fake) meeting participant API at every action; and the
 * meeting ending with the Re-think open reminds the facilitator once.
 */
import { randomUUID } from 'node:crypto';
import { AHEAD, meetingEnd, newMeetingChat, users, type TestConversation } from '../helpers/activities';
import { input } from '../helpers/adaptiveCards';
import { cardOf } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { ANSWERS, buttonData } from '../helpers/journeys';
import { request, servedBy } from '../fixtures/cards/requests';
import { cardText, executeActions, send, startTestBed, type TestBed } from '../helpers/harness';

const organiser = users.alex;
const attendee = users.megan;
const presenter = users.adele;

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(() => bed.stop());

test('the whole journey in a meeting chat: presenters facilitate, attendees contribute, roles checked at each action', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee');
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');

  const { rethinkId, card } = await driver.start(attendee, START_FORM);
  const stored = await bed.db.rethink(chat.id, rethinkId);
  expect(stored?.meetingId).toBe(chat.meetingId);
  // In a meeting the organiser and presenters facilitate: the attendee who started it is not named as
  // facilitator, nor told they are facilitating or to hand over (which they couldn't), but who can.
  expect(cardText(card)).not.toContain('(facilitator)');
  expect(cardText(card)).not.toContain('You are facilitating');
  expect(cardText(card)).not.toContain('hand facilitation over to them');
  expect(cardText(card)).toContain('In this meeting, the organiser and presenters move it on and record its outcome: to facilitate, ask the organiser to make you a presenter.');
  expect(executeActions(card).map((a) => a.verb)).not.toContain('advance');
  for (const p of [organiser, presenter]) await driver.press(p, 'join', { rethinkId, role: 'Practitioner', agency: `Agency of ${p.name}` });
  for (const p of [attendee, organiser, presenter]) await driver.press(p, 'contribute', { rethinkId, contribution: `${p.name} at stage 1`, stage: '1' });

  // The attendee started it, but in a meeting attendees contribute: they cannot move the group on.
  const before = bed.connector.roleLookups.length;
  const refused = await driver.press(attendee, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(refused.card)).toContain('In a meeting, the organiser and presenters facilitate');
  expect(bed.connector.roleLookups.slice(before)).toEqual([attendee.aadObjectId]);
  expect((await bed.db.rethink(chat.id, rethinkId))?.stage).toBe(1);

  // A presenter can, and sees the facilitator's controls.
  const moved = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(moved.card)).toContain('The group has moved on to stage 2');
  expect(executeActions(moved.card).map((a) => a.verb)).toContain('advance');

  // Roles are never cached: made a presenter mid-meeting, the attendee can now move on.
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Presenter');
  const promoted = await driver.press(attendee, 'advance', { rethinkId, confirmed: 'true', stage: '2' });
  expect(cardText(promoted.card)).toContain('The group has moved on to stage 3');
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee');
  const demoted = await driver.press(attendee, 'advance', { rethinkId, confirmed: 'true', stage: '3' });
  expect(cardText(demoted.card)).toContain('In a meeting, the organiser and presenters facilitate');

  // Someone no longer in the meeting (the participant API says 404) cannot facilitate either.
  bed.connector.setMeetingRole(presenter.aadObjectId, undefined);
  const left = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '3' });
  expect(cardText(left.card)).toContain('In a meeting, the organiser and presenters facilitate');
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');

  // The facilitator can still hand over to anyone, an attendee included, who may then facilitate.
  const handed = await driver.press(organiser, 'handOver', { rethinkId, handOverTo: attendee.id });
  expect(cardText(handed.card)).not.toMatch(/organiser and presenters facilitate|already facilitating|Please choose/);
  expect((await bed.db.rethink(chat.id, rethinkId))).toMatchObject({ facilitatorId: attendee.id, facilitatorByHandOver: true });
  // Handed over to, they are named.
  expect(cardText(handed.card)).toMatch(/Megan Bowen · [^·]*\(facilitator\)/);
  const byHandOver = await driver.press(attendee, 'advance', { rethinkId, confirmed: 'true', stage: '3' });
  expect(cardText(byHandOver.card)).toContain('The group has moved on to stage 4');
  await driver.press(organiser, 'advance', { rethinkId, confirmed: 'true', stage: '4' });
  await driver.press(attendee, 'addAction', { rethinkId, actionDescription: 'Share the plan', actionOwner: attendee.id, actionOwnerName: '', actionDue: `${AHEAD}-01-31` });
  const closed = await driver.press(organiser, 'close', { rethinkId, outcome: 'resolved' });
  expect(cardText(closed.card)).toContain('The outcome is recorded');
  expect((await bed.db.rethink(chat.id, rethinkId))?.status).toBe('closed');
}, 30_000);

test('the organiser who facilitated without joining, and closed it not resolved, can record the escalation', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee');
  const { rethinkId } = await driver.start(attendee, { ...START_FORM, caseReference: 'PSCP-2026-0777' });
  for (let stage = 1; stage <= 5; stage++) {
    await driver.press(attendee, 'contribute', { rethinkId, contribution: `My view at stage ${stage}`, stage: String(stage) });
    if (stage < 5) await driver.press(organiser, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  }
  const before = bed.connector.posts(chat.id).length;
  await driver.press(organiser, 'close', { rethinkId, outcome: 'notResolved', nextStep: 'escalation' });
  const summary = bed.connector.posts(chat.id).slice(before).map(cardOf).find((c) => cardText(c).includes('Re-think summary'));
  if (!summary) throw new Error('No summary was posted');
  expect((await bed.db.rethink(chat.id, rethinkId))?.participants.map((p) => p.id)).not.toContain(organiser.id);
  const escalate = { ...buttonData(summary, 'showEscalation'), escalationStage: '1', escalationReason: 'The disagreement about the tier of need continues.' };
  const recorded = await driver.press(organiser, 'escalate', escalate);
  expect(cardText(recorded.card)).toContain('Escalation under the HIPS protocol · case PSCP-2026-0777');
  // Its history, posted for everyone here, is this chat's Re-thinks of the case, whoever records it.
  expect(cardText(recorded.card)).not.toContain('No Re-thinks of this case are recorded in this conversation');
  expect(cardText(recorded.card)).toMatch(/Strategy 2.*Not resolved/);
  expect((await bed.db.rethink(chat.id, rethinkId))?.escalations).toEqual([expect.objectContaining({ stage: 1, startedBy: organiser.id, startedByName: organiser.name })]);
  // Someone else in the meeting who neither took part nor facilitated still cannot.
  const outsider = await driver.press(presenter, 'escalate', { ...escalate, escalationStage: '2' });
  expect(cardText(outsider.card)).toContain('Only someone who took part in this Re-think can record an escalation from it');
}, 30_000);

test('the meeting ends with its Re-think open: the facilitator is reminded once, with the card to close it; the Re-think stays open', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  const { rethinkId } = await driver.start(organiser, START_FORM);
  const where = { user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl };
  const before = bed.connector.posts(chat.id).length;
  expect((await send(bed.app, meetingEnd(where))).status).toBe(200);
  await bed.app.idle();
  expect((await send(bed.app, meetingEnd(where))).status).toBe(200);
  await bed.app.idle();
  const posted = bed.connector.posts(chat.id).slice(before);
  const reminders = posted.filter((p) => (p.activity.text ?? '').includes('The meeting has ended and the Re-think for case PSCP-2026-0042 is still open'));
  expect(reminders).toHaveLength(1);
  // One message: the reminder above the card, which is now the one kept up to date.
  const [card] = reminders;
  if (!card?.activity.attachments?.length) throw new Error('The card was not posted with the reminder');
  expect(executeActions(cardOf(card)).map((a) => a.verb)).toContain('close');
  const stored = await bed.db.rethink(chat.id, rethinkId);
  expect(stored).toMatchObject({ status: 'open', cardActivityId: card.activityId });
  expect(stored?.meetingEndRemindedAt).toEqual(expect.any(String));
  // Recorded as posted, so the periodic check for posts owed leaves it be.
  expect(stored?.owed?.meetingEnd).toMatchObject({ tries: 1, postedAt: expect.any(String), activityId: card.activityId });
  // Teams said the meeting ended: no person is named for it.
  expect(stored?.audit.filter((a) => a.what === 'meetingEndReminded')).toEqual([expect.objectContaining({ by: 'meeting' })]);
  expect(stored?.audit.filter((a) => a.what === 'cardPosted' || a.what === 'meetingEndPosted').map((a) => [a.what, a.by])).toEqual([
    ['meetingEndPosted', 'meeting'],
    ['cardPosted', 'meeting'],
  ]);
  // With the meeting over, the Re-think can be closed at whatever stage it reached; before stage 5
  // nothing has been agreed, so only as not resolved.
  const choices = (JSON.stringify(cardOf(card)).match(/"value":"(resolved|partlyResolved|notResolved)"/g) ?? []).join(' ');
  expect(choices).toBe('"value":"notResolved"');
  expect(cardText(cardOf(card))).toContain('The group hasn’t reached stage 5, so nothing has been agreed yet');
  for (const outcome of ['resolved', 'partlyResolved']) {
    const refused = await driver.press(organiser, 'close', { rethinkId, outcome });
    expect(cardText(refused.card)).toContain('The group hasn’t reached stage 5, so nothing has been agreed yet. To record the Re-think as');
    expect((await bed.db.rethink(chat.id, rethinkId))?.status).toBe('open');
  }
  await driver.press(organiser, 'close', { rethinkId, outcome: 'notResolved', nextStep: 'nextStrategy' });
  expect(await bed.db.rethink(chat.id, rethinkId)).toMatchObject({ status: 'closed', stage: 1, outcome: { kind: 'notResolved' } });
});

test('two Re-thinks open in one meeting (two children of a family): the meeting’s end reminds of each, and each may then be closed early', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  const first = await driver.start(organiser, START_FORM);
  const second = await driver.start(organiser, { ...START_FORM, caseReference: 'PSCP-2026-0043' });
  await send(bed.app, meetingEnd({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  const reminded = bed.connector.posts(chat.id).map((p) => p.activity.text ?? '').filter((t) => t.startsWith('The meeting has ended'));
  expect(reminded.map((t) => /case (PSCP-\S+)/.exec(t)?.[1]).sort()).toEqual(['PSCP-2026-0042', 'PSCP-2026-0043']);
  for (const { rethinkId } of [first, second]) {
    await driver.press(organiser, 'close', { rethinkId, outcome: 'notResolved', nextStep: 'nextStrategy' });
    expect((await bed.db.rethink(chat.id, rethinkId))?.status).toBe('closed');
  }
});

test('a meeting with no title (scheduled from Outlook with no subject) still reminds the facilitator as it ends', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  await driver.start(organiser, { ...START_FORM, caseReference: 'PSCP-2026-0044' });
  const ended = meetingEnd({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }) as { value: Record<string, unknown> };
  const untitled = { ...ended.value };
  delete untitled.Title;
  expect((await send(bed.app, { ...ended, value: untitled })).status).toBe(200);
  await bed.app.idle();
  expect(bed.connector.posts(chat.id).map((p) => p.activity.text ?? '').filter((t) => t.startsWith('The meeting has ended'))).toEqual([expect.stringContaining('case PSCP-2026-0044')]);
});

test('a meeting that ends with nothing open posts nothing', async () => {
  const chat = newMeetingChat();
  const before = bed.connector.posts(chat.id).length;
  await send(bed.app, meetingEnd({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  expect(bed.connector.posts(chat.id).length).toBe(before);
});

test('in a meeting, every answer shows the controls of the role Teams gives the person now, even when what they sent was incomplete', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee');
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');
  const { rethinkId } = await driver.start(attendee, START_FORM);
  await driver.press(presenter, 'join', { rethinkId, role: 'Health visitor', agency: 'NHS' });

  // A hand-over with no one chosen: the presenter is asked to choose, with the facilitator's
  // controls still on their card; the attendee who started it gets no such controls.
  const presenterCard = await driver.press(presenter, 'handOver', { rethinkId });
  expect(cardText(presenterCard.card)).toContain('Please choose');
  expect(executeActions(presenterCard.card).map((a) => a.verb)).toEqual(expect.arrayContaining(['advance', 'handOver']));
  // The attendee who started it doesn't facilitate yet, so they can be handed over to.
  const choices = (input(presenterCard.card ?? {}, 'handOverTo') as { choices?: { title: string }[] } | undefined)?.choices ?? [];
  expect(choices.map((c) => c.title).join(' ')).toContain(attendee.name);
  const attendeeCard = await driver.press(attendee, 'handOver', { rethinkId });
  // Their card, with a participant's controls and none of the facilitator's.
  expect(executeActions(attendeeCard.card).map((a) => a.verb)).toContain('contribute');
  expect(executeActions(attendeeCard.card).map((a) => a.verb)).not.toEqual(expect.arrayContaining(['advance']));

  // At stage 5 a presenter may change an action the attendee added: the editor opens for them.
  for (let stage = 1; stage < 5; stage++) await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  await driver.press(attendee, 'addAction', { rethinkId, actionDescription: 'Share the plan', actionOwner: attendee.id, actionOwnerName: '', actionDue: `${AHEAD}-01-31` });
  const actionId = (await bed.db.rethink(chat.id, rethinkId))?.actions[0]?.id;
  expect(actionId).toBeDefined();
  const editor = await driver.press(presenter, 'showActionEditor', { rethinkId, chosenActionId: actionId });
  expect(executeActions(editor.card).map((a) => a.verb)).toContain('editAction');
  expect(cardText(editor.card)).not.toContain('Only the person who added this action');
}, 30_000);

test('in a channel with two meetings, a role in one meeting gives no say over the Re-think held in the other, and only its own meeting’s end reminds', async () => {
  // A channel's threads share its records; each channel meeting has a thread and an id of its own.
  const channel = `19:${randomUUID().replace(/-/g, '')}@thread.tacv2`;
  const inMeeting = (post: number, meetingId: string): TestConversation => ({ id: `${channel};messageid=${post}`, conversationType: 'channel', isGroup: true, meetingId });
  const first = inMeeting(1001, Buffer.from(`0#${channel}#first`).toString('base64'));
  const second = inMeeting(1002, Buffer.from(`0#${channel}#second`).toString('base64'));
  // Roles set for any meeting by earlier tests would answer for these two as well.
  for (const person of [organiser, attendee]) bed.connector.setMeetingRole(person.aadObjectId, undefined);
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer', organiser.id, first.meetingId);
  // Megan is an attendee of the first meeting, and organises the second ("Meet now" in the same channel).
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee', attendee.id, first.meetingId);
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Organizer', attendee.id, second.meetingId);

  const inFirst = new Driver(bed.app, bed.connector, first);
  const { rethinkId } = await inFirst.start(organiser, START_FORM);
  await inFirst.press(attendee, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  const before = await bed.db.rethink(channel, rethinkId);

  // From the second meeting's thread, Megan reaches the same Re-think but may not facilitate it.
  const inSecond = new Driver(bed.app, bed.connector, second);
  for (const [verb, data] of [
    ['advance', { rethinkId, confirmed: 'true', stage: '1' }],
    ['close', { rethinkId, outcome: 'resolved' }],
    ['handOver', { rethinkId, handOverTo: attendee.id }],
  ] as const) {
    const refused = await inSecond.press(attendee, verb, data);
    expect(cardText(refused.card)).toContain('In a meeting, the organiser and presenters facilitate');
    expect(executeActions(refused.card).map((a) => a.verb)).not.toContain('advance');
  }
  const after = await bed.db.rethink(channel, rethinkId);
  expect(after).toEqual(before);
  // Her view of it, refreshed from her own meeting, has no facilitator's controls either.
  const view = await inSecond.press(attendee, 'refresh', { rethinkId });
  expect(executeActions(view.card).map((a) => a.verb)).toContain('contribute');
  expect(executeActions(view.card).map((a) => a.verb)).not.toContain('advance');
  // The first meeting's organiser facilitates it from its own thread, and from the other meeting's
  // (asked about their role in the Re-think's meeting, not the one they pressed in).
  const moved = await inFirst.press(organiser, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(moved.card)).toContain('The group has moved on to stage 2');
  const fromElsewhere = await inSecond.press(organiser, 'advance', { rethinkId, confirmed: 'true', stage: '2' });
  expect(cardText(fromElsewhere.card)).toContain('The group has moved on to stage 3');
  expect(executeActions((await inSecond.press(organiser, 'refresh', { rethinkId })).card).map((a) => a.verb)).toContain('advance');

  // The second meeting ending says nothing about the first meeting's Re-think; the first one's end does.
  const ended = (conversation: TestConversation) => send(bed.app, meetingEnd({ user: organiser, conversation, serviceUrl: bed.connector.serviceUrl }));
  await ended(second);
  await bed.app.idle();
  expect((await bed.db.rethink(channel, rethinkId))?.meetingEndRemindedAt).toBeUndefined();
  expect(bed.connector.posts(second.id).some((p) => (p.activity.text ?? '').includes('The meeting has ended'))).toBe(false);
  await ended(first);
  await bed.app.idle();
  expect((await bed.db.rethink(channel, rethinkId))?.meetingEndRemindedAt).toEqual(expect.any(String));
}, 30_000);

test('Teams unable to say someone’s role in the meeting: they are told so, not that they are an attendee, and nothing changes', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');
  const { rethinkId } = await driver.start(presenter, START_FORM);
  const before = await bed.db.rethink(chat.id, rethinkId);
  bed.connector.fail(500);
  try {
    const pressed = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
    expect(pressed.message).toBe('Teams couldn’t confirm your role in this meeting just now, so nothing has changed. Please try again in a moment.');
  } finally {
    bed.connector.fail(undefined);
  }
  expect(await bed.db.rethink(chat.id, rethinkId)).toEqual(before);
  const moved = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(moved.card)).toContain('The group has moved on to stage 2');
});

test('Teams throttling, or not answering, the role look-up: asked once, not waited out, and the person told', async () => {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');
  const { rethinkId } = await driver.start(presenter, START_FORM);
  const asked = () => bed.connector.roleLookups.filter((aad) => aad === presenter.aadObjectId).length;
  const timed = async () => {
    const before = asked();
    const pressed = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
    return { message: pressed.message, lookups: asked() - before };
  };
  // Throttled with a Retry-After longer than Teams waits: not waited out, not asked again (botbuilder's client asked four times, 12 s).
  bed.connector.throttleParticipants(3, 4);
  const throttled = await timed();
  bed.connector.throttleParticipants(0, 0);
  expect(throttled).toMatchObject({ message: 'Teams couldn’t confirm your role in this meeting just now, so nothing has changed. Please try again in a moment.', lookups: 1 });
  // Never answered: given up after a couple of seconds (botbuilder's client waited for good).
  bed.connector.hangParticipants(true);
  try {
    const hung = await timed();
    expect(hung).toMatchObject({ message: 'Teams couldn’t confirm your role in this meeting just now, so nothing has changed. Please try again in a moment.', lookups: 1 });
  } finally {
    bed.connector.hangParticipants(false);
  }
  expect((await bed.db.rethink(chat.id, rethinkId))?.stage).toBe(1);
});

const independent = users.isaiah;

/**
 * A strategy 3 Re-think in a meeting, started by the independent facilitator who accepted the
 * case's request, with the organiser and a presenter from the network joined.
 */
async function facilitatedInMeeting(n: number) {
  const chat = newMeetingChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  const caseReference = `PSCP-2026-${String(1190 + n)}`;
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: `facilitated-in-meeting-${n}`, caseReference, accepted: { by: { id: independent.id, name: independent.name, aadObjectId: independent.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  // Teams makes everyone a presenter by default; the facilitator from outside may well be an attendee.
  bed.connector.setMeetingRole(independent.aadObjectId, 'Attendee');
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer');
  bed.connector.setMeetingRole(presenter.aadObjectId, 'Presenter');
  const { rethinkId, card } = await driver.start(independent, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  for (const p of [organiser, presenter]) await driver.press(p, 'join', { rethinkId, role: 'Practitioner', agency: `Agency of ${p.name}` });
  return { chat, driver, rethinkId, card };
}

test('strategy 3 in a meeting is run by the independent facilitator whatever their meeting role: presenters from the network contribute but cannot move it on or close it', async () => {
  const { chat, driver, rethinkId, card } = await facilitatedInMeeting(0);
  expect(await bed.db.rethink(chat.id, rethinkId)).toMatchObject({ strategy: 3, facilitatorId: independent.id });
  expect(cardText(card)).toMatch(/Isaiah Langer · [^·]*\(facilitator\)/);
  for (const p of [organiser, presenter]) await driver.press(p, 'contribute', { rethinkId, contribution: `${p.name} at stage 1`, stage: '1' });
  expect((await bed.db.rethink(chat.id, rethinkId))?.contributions.map((c) => c.participantId).sort()).toEqual([organiser.id, presenter.id].sort());

  for (const p of [organiser, presenter]) {
    const refused = await driver.press(p, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
    expect(cardText(refused.card)).toContain('Only the independent facilitator, Isaiah Langer, can do this.');
    expect(executeActions(refused.card).map((a) => a.verb)).not.toContain('advance');
  }
  const closing = await driver.press(organiser, 'close', { rethinkId, outcome: 'resolved' });
  expect(cardText(closing.card)).toContain('Only the independent facilitator');
  expect(await bed.db.rethink(chat.id, rethinkId)).toMatchObject({ stage: 1, status: 'open' });

  const moved = await driver.press(independent, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(moved.card)).toContain('The group has moved on to stage 2');
  expect(executeActions(moved.card).map((a) => a.verb)).toContain('advance');
  // Teams unable to say a presenter's role: they are told who may, not to try again (no role would help).
  bed.connector.fail(500);
  try {
    const pressed = await driver.press(presenter, 'advance', { rethinkId, confirmed: 'true', stage: '2' });
    expect(`${cardText(pressed.card)}${pressed.message ?? ''}`).toContain('Only the independent facilitator, Isaiah Langer, can do this.');
  } finally {
    bed.connector.fail(undefined);
  }
});

test('strategy 3’s independent facilitator holds the space: never waited for, nor named as still to contribute', async () => {
  const { chat, driver, rethinkId } = await facilitatedInMeeting(1);
  // Once the others are heard, they move on without being asked about themselves.
  for (const p of [organiser, presenter]) await driver.press(p, 'contribute', { rethinkId, contribution: `${p.name} at stage 1`, stage: '1' });
  const onward = await driver.press(independent, 'advance', { rethinkId, confirmed: 'false', stage: '1' });
  expect(cardText(onward.card)).toContain('The group has moved on to stage 2');
  expect((await bed.db.rethink(chat.id, rethinkId))?.audit.at(-1)).toMatchObject({ what: 'advanced' });
  // Someone not yet heard is still named, however much the facilitator has added.
  await driver.press(organiser, 'contribute', { rethinkId, contribution: 'The organiser at stage 2', stage: '2' });
  await driver.press(independent, 'contribute', { rethinkId, contribution: 'What the facilitator noted', stage: '2' });
  const waiting = await driver.press(independent, 'advance', { rethinkId, confirmed: 'false', stage: '2' });
  expect(cardText(waiting.card)).toContain(`${presenter.name} has not contributed to this stage yet`);
  expect(cardText(waiting.card)).not.toContain(`${independent.name} has not contributed`);
});

test('strategy 3 stays with its independent facilitator: not handed over; the meeting’s end names them; refreshes ask Teams no one’s role', async () => {
  const { chat, driver, rethinkId, card } = await facilitatedInMeeting(2);
  expect(cardText(card)).toContain('A strategy 3 Re-think stays with its independent facilitator, so it isn’t handed over.');
  const handOver = await driver.press(independent, 'handOver', { rethinkId, handOverTo: organiser.id });
  expect(cardText(handOver.card)).toContain('If you can’t go on, please tell the requester: they can withdraw the request and ask again for another independent facilitator.');
  expect(await bed.db.rethink(chat.id, rethinkId)).toMatchObject({ facilitatorId: independent.id });
  await send(bed.app, meetingEnd({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  const reminder = bed.connector.posts(chat.id).map((p) => p.activity.text ?? '').find((t) => t.startsWith('The meeting has ended'));
  expect(reminder).toContain('Isaiah Langer, as facilitator, can close it on the card below as not resolved');
  // No role can count here, so neither a refresh nor opening an action asks Teams (a meeting's every change refreshes everyone's card).
  const asked = bed.connector.roleLookups.length;
  const refreshed = await driver.press(presenter, 'refresh', { rethinkId });
  expect(executeActions(refreshed.card).map((a) => a.verb)).not.toContain('advance');
  await driver.press(presenter, 'showActionEditor', { rethinkId, actionId: 'none' });
  expect(bed.connector.roleLookups.length).toBe(asked);
});
