/**
 * Strategy 3 end to end over HTTP: two Re-thinks close not resolved, the request is offered
 * pre-filled, submitted, delivered to the pool, accepted by exactly one of two facilitators at
 * once, scheduled, followed by a linked strategy 3 Re-think, and completed.
 */
import { AHEAD, installed, newGroupChat, newMeetingChat, person, uninstalled, users, type TestConversation, type TestUser } from '../helpers/activities';
import { cardOf, startConnector } from '../helpers/connector';
import { input, verbs } from '../helpers/adaptiveCards';
import { MESSAGES } from '../../bot/handlers/types';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, send, startApp, startTestBed, type TestBed } from '../helpers/harness';
import { execute, message, submit } from '../helpers/activities';
import { request, servedBy } from '../fixtures/cards/requests';
import { caseClaimId, requestRepository } from '../../services/store/requests';
import { LEFT_POOL } from '../../bot/requestSender';
import { statusLine } from '../../cards/requestText';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import type { FacilitatorRequest } from '../../services/requests/types';
import { ANSWERS, buttonData, COMPLETE_FORM, installPersonally, latestCard, openRequestForm, personalChat, pressIn, rethinkToClose, submitForm } from '../helpers/journeys';

const admin = users.isaiah;
const requester = users.alex;
const colleague = users.megan;
const channelFacilitator = users.adele;
const namedFacilitator = person(1);
const channel: TestConversation = { id: '19:c1a2b3c4d5e6f708192a3b4c5d6e7f80@thread.tacv2', conversationType: 'channel', isGroup: true };


let bed: TestBed;
const say = (conversation: TestConversation, user: typeof admin, text: string) => send(bed.app, message(text, { user, conversation, serviceUrl: bed.connector.serviceUrl }));
const lastText = (conversationId: string): string => {
  const last = bed.connector.posts(conversationId).at(-1);
  return last ? (last.activity.text ?? cardText(cardOf(last))) : '';
};

beforeAll(async () => {
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId }, delivery: { pollMs: 100, leaseMs: 2_000, sendTimeoutMs: 900 } });
  for (const user of [admin, requester, colleague, channelFacilitator, namedFacilitator]) await installPersonally(bed.app, bed.connector, user);
  // The administrator sets up the pool: a channel, and one named facilitator.
  await say(channel, admin, 'set facilitator channel');
  expect(lastText(channel.id)).toContain('new requests for an independent facilitator will be posted in this channel');
  await say(personalChat(admin), admin, `add facilitator ${namedFacilitator.aadObjectId}`);
  expect(lastText(personalChat(admin).id)).toContain('They receive new requests in their personal chat');
});
afterAll(() => bed.stop());

test('strategy 1 and 2 not resolved → request pre-filled → submitted → pool → one of two accepts wins → scheduled → linked strategy 3 Re-think → completed', async () => {
  const network = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, network);
  await rethinkToClose(driver, requester, [colleague], 1, { outcome: 'notResolved', nextStep: 'nextStrategy' });
  const s2 = await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' });

  // The summary offers the form; it opens in the requester's personal chat (it shows the case's
  // history from other chats), pre-filled from both Re-thinks.
  const summary = cardOf(s2.summary);
  expect(cardText(summary)).toContain('Request an independent facilitator');
  const mine = personalChat(requester);
  const before = bed.connector.posts(mine.id).length;
  const offered = await driver.press(requester, 'showRequestForm', buttonData(summary, 'showRequestForm'));
  expect(offered.message).toContain('I’ve sent the request form to your personal chat');
  expect(bed.connector.posts(network.id).some((p) => JSON.stringify(p.activity).includes('submitRequest'))).toBe(false);
  const formPost = bed.connector.posts(mine.id).slice(before).find((p) => JSON.stringify(p.activity).includes('submitRequest'));
  if (!formPost) throw new Error('No form was posted');
  const form = cardOf(formPost);
  const formText = cardText(form);
  expect(formText).toContain(`Request an independent facilitator · case ${START_FORM.caseReference}`);
  expect(formText).toMatch(/Strategy 1 · Not resolved/);
  expect(formText).toMatch(/Strategy 2 · Not resolved/);
  expect(formText).toContain('Share the plan (strategy 2)');
  const submitData = buttonData(form, 'submitRequest');
  const requestId = String(submitData.requestId);
  const press = (data: Record<string, unknown>) => pressIn(bed.app, bed.connector, mine, requester, 'submitRequest', data, formPost.activityId);

  // Missing fields: shown on the card, what was typed is kept, nothing saved.
  const partial = await press({ ...submitData, requesterRole: 'Health visitor', urgency: 'soon' });
  expect(cardText(partial.card)).toContain('Please enter how the facilitator can contact you');
  expect(JSON.stringify(partial.card)).toContain('"value":"Health visitor"');
  expect(await bed.db.request(requestId)).toBeUndefined();

  const submitted = await press({ ...submitData, ...COMPLETE_FORM });
  expect(cardText(submitted.card)).toContain('Your request has been sent to the independent facilitators');
  // Pressed again: one request, and it says so.
  const again = await press({ ...submitData, ...COMPLETE_FORM });
  expect(cardText(again.card)).toContain('already been submitted');

  const stored = await bed.db.request(requestId);
  expect(stored).toMatchObject({ status: 'submitted', caseReference: START_FORM.caseReference, requester: { id: requester.id } });
  expect(stored?.history.map((h) => h.strategy)).toEqual([1, 2]);
  expect(stored?.audit.filter((a) => a.what === 'submitted')).toHaveLength(1);

  // Delivered to the channel and to the named facilitator's personal chat, once each.
  const poolCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes('Independent facilitator request'));
  const namedCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(namedFacilitator).id && JSON.stringify(c.activity).includes('Independent facilitator request'));
  expect(cardText(cardOf(poolCard))).toContain('Health visitor');
  expect(bed.connector.posts(channel.id).filter((p) => JSON.stringify(p.activity).includes('Independent facilitator request'))).toHaveLength(1);
  // The requester is offered the completed form as a document in their personal chat.
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('file.consent'));

  // Two facilitators accept at the same moment: exactly one wins.
  const [fromChannel, fromChat] = await Promise.all([
    pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId }, poolCard.activityId),
    pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId }, namedCard.activityId),
  ]);
  const answers = [cardText(fromChannel.card), cardText(fromChat.card)];
  expect(answers.filter((t) => t.includes('You have accepted this request'))).toHaveLength(1);
  expect(answers.filter((t) => t.includes('has already been accepted by'))).toHaveLength(1);
  const accepted = await bed.db.request(requestId);
  expect(accepted?.status).toBe('accepted');
  const winner = accepted?.accepted?.by.id === channelFacilitator.id ? channelFacilitator : namedFacilitator;
  const winnerConversation = winner === channelFacilitator ? channel : personalChat(namedFacilitator);

  // Every copy of the request card shows who accepted; the requester is told in their personal chat.
  await waitUntil(() => [latestCard(bed.connector, channel.id, poolCard.activityId), latestCard(bed.connector, personalChat(namedFacilitator).id, namedCard.activityId)].every((c) => cardText(c).includes(`Accepted by ${winner.name}`)));
  await waitUntil(() => cardText(latestCard(bed.connector, mine.id, formPost.activityId)).includes(`Accepted by ${winner.name}`));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes(`${winner.name} has accepted your request`));

  // Only the facilitator who accepted can schedule; the requester and the network are told.
  const loser = winner === channelFacilitator ? namedFacilitator : channelFacilitator;
  const loserConversation = loser === channelFacilitator ? channel : personalChat(namedFacilitator);
  const notTheirs = await pressIn(bed.app, bed.connector, loserConversation, loser, 'scheduleRequest', { requestId, meetingDate: `${AHEAD}-02-05`, meetingTime: '10:30', meetingFormat: 'virtual' });
  expect(cardText(notTheirs.card)).toContain(`Only ${winner.name} can schedule`);
  const scheduled = await pressIn(bed.app, bed.connector, winnerConversation, winner, 'scheduleRequest', { requestId, meetingDate: `${AHEAD}-02-05`, meetingTime: '10:30', meetingFormat: 'virtual' });
  expect(cardText(scheduled.card)).toContain('The meeting is saved');
  await bed.connector.waitFor((c) => c.conversationId === personalChat(colleague).id && (c.activity.text ?? '').includes(`5 February ${AHEAD} at 10:30`));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes(`5 February ${AHEAD} at 10:30`));

  // The facilitator runs the strategy 3 Re-think with the network: it is linked, and closing it completes the request.
  // Their start form's questions needn't reach strategy 3: having accepted the request, it is recommended to them.
  const s3Chat = new Driver(bed.app, bed.connector, newGroupChat());
  const s3 = await rethinkToClose(s3Chat, winner, [requester, colleague], 3, { outcome: 'resolved' }, START_FORM.caseReference, ANSWERS[1]);
  const started = await bed.db.rethink(s3Chat.conversation.id, s3.rethinkId);
  expect(started?.recommended.reason).toContain('You accepted the request for an independent facilitator for this case');
  const completed = await bed.db.request(requestId);
  expect(completed).toMatchObject({ status: 'completed', rethink: { id: s3.rethinkId }, outcome: { kind: 'resolved' } });
  // The requester may not be in that chat: told how it ended, and its card says so too.
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes('has been held and closed, with the outcome “Resolved”. Its summary is in the chat where it took place.'));
  expect(statusLine(loadProfile(DEFAULT_PROFILE_PATH), completed as FacilitatorRequest)).toMatch(/^Completed on .+: the facilitated Re-think has closed, with the outcome “Resolved”\.$/);
  expect(completed?.audit.map((a) => a.what)).toEqual(expect.arrayContaining(['submitted', 'accepted', 'scheduled', 'rethinkLinked', 'completed']));
  // Completed: the case is no longer among those the facilitator is facilitating.
  await bed.app.idle();
  const facilitatorRecord = (await bed.db.people.item(winner.aadObjectId, winner.aadObjectId).read<{ facilitating?: string[] }>()).resource;
  expect(facilitatorRecord?.facilitating ?? []).not.toContain(START_FORM.caseReference);

  // Lists: the requester's own, and the pool's open ones (this one is no longer open).
  await say(personalChat(requester), requester, 'my requests');
  expect(lastText(personalChat(requester).id)).toContain(`**${START_FORM.caseReference}** · Completed`);
}, 60_000);

test('access: no pre-filled history for someone who took part in none of the case’s Re-thinks; only the pool accepts; only the requester withdraws; only administrators set the pool', async () => {
  const chat = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  const caseReference = 'PSCP-2026-0777';
  await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);

  // Asked for in a group chat by someone with no personal chat with Re-think: told how to get one; nothing of the case shown.
  const stranger = person(7);
  const strangerChat = newGroupChat();
  await send(bed.app, message(`request facilitator ${caseReference}`, { user: stranger, conversation: strangerChat, serviceUrl: bed.connector.serviceUrl }));
  expect(lastText(strangerChat.id)).toContain('opens only in your personal chat with Re-think');
  // In their own chat: nothing of the history of Re-thinks they were not in, and they must say what was tried.
  await installPersonally(bed.app, bed.connector, stranger);
  const strangerForm = cardOf((await openRequestForm(bed.app, bed.connector, stranger, caseReference)).formPost);
  expect(cardText(strangerForm)).toContain('No Re-thinks you took part in are recorded for this case.');
  expect(cardText(strangerForm)).not.toContain('Share the plan');
  expect(cardText(strangerForm)).toContain('What has been tried instead? Please give dates and outcomes.');

  // The requester submits; a non-member of the pool cannot accept; a facilitator cannot withdraw.
  // Only strategy 2 is recorded for this case: the form asks what was tried instead of strategy 1.
  const form = await openRequestForm(bed.app, bed.connector, requester, caseReference, chat);
  // A colleague opens a form for the same case meanwhile.
  const second = await openRequestForm(bed.app, bed.connector, colleague, caseReference);
  const { requestId, answer: submitted } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A conversation with the lead professional in March.' });
  expect(cardText(submitted.card)).toContain('Your request has been sent');

  // A second request for the same case while this one is open: refused, nothing sent.
  const { requestId: secondId, answer: refusedSecond } = await submitForm(bed.app, bed.connector, colleague, second, { ...COMPLETE_FORM, triedInstead: 'x' });
  expect(refusedSecond.message).toContain('There is already an open request');
  expect(await bed.db.request(secondId)).toBeUndefined();
  // Asked for now, no form opens: they are told before filling one in.
  await say(personalChat(colleague), colleague, `request facilitator ${caseReference}`);
  expect(lastText(personalChat(colleague).id)).toMatch(/There is already an open request for an independent facilitator for PSCP-\d{4}-\d+.*no new form has been opened/);

  // Told so, without being shown the facilitators' card.
  const outsider = await pressIn(bed.app, bed.connector, newGroupChat(), stranger, 'acceptRequest', { requestId });
  expect(outsider.card).toBeUndefined();
  expect(outsider.message).toContain('Only the partnership’s independent facilitators can do that');
  expect((await bed.db.request(requestId))?.status).toBe('submitted');

  const notRequester = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'withdrawRequest', { requestId, withdrawReason: 'Not mine to withdraw' });
  expect(cardText(notRequester.card)).toContain(`Only ${requester.name}, who made the request, can withdraw it`);
  const withdrawn = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'withdrawRequest', { requestId, withdrawReason: 'The family moved out of the area.' });
  expect(cardText(withdrawn.card)).toContain('The request is withdrawn');
  // Accepting a withdrawn request: a clear message, nothing changed.
  const late = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId });
  expect(cardText(late.card)).toContain('This request is withdrawn');
  expect((await bed.db.request(requestId))?.accepted).toBeUndefined();

  // Only administrators set the pool.
  await say(channel, channelFacilitator, 'set facilitator channel');
  expect(lastText(channel.id)).toContain('Only the partnership’s administrators can see or change the facilitator pool');
}, 60_000);

test('bad input: a forged request id, over-long text, an accept already taken — each a clear message, nothing changed', async () => {
  const forged = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId: 'not-a-real-request' });
  expect(forged.message).toContain('I can’t find that request');
  const injected = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId: '../../etc' });
  expect(injected.message).toContain('I can’t find that request');

  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0888');
  const { requestId: tooLongId, answer: tooLong } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'Meetings in May and June.', concernSummary: 'x'.repeat(501) });
  expect(cardText(tooLong.card)).toContain('the limit is 500');
  expect(await bed.db.request(tooLongId)).toBeUndefined();
  // Only invisible characters is nothing typed, as on every other card.
  const { requestId: blankId, answer: blank } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'Meetings in May and June.', requesterContact: '\u200b', availability: '\u2060 \u200b' });
  expect(cardText(blank.card)).toContain('Please enter how the facilitator can contact you (a work email or phone number).');
  expect(cardText(blank.card)).toContain('Please enter when you and the network are available.');
  expect(await bed.db.request(blankId)).toBeUndefined();

  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'Meetings in May and June.' });
  // The requester, even if in the pool, cannot accept their own request.
  const own = await pressIn(bed.app, bed.connector, channel, requester, 'acceptRequest', { requestId });
  expect(cardText(own.card)).toContain('another independent facilitator needs to accept it');
  await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId });
  const second = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId });
  expect(cardText(second.card)).toContain(`already been accepted by ${channelFacilitator.name}`);
  expect((await bed.db.request(requestId))?.accepted?.by.id).toBe(channelFacilitator.id);

  // The pool sees its open requests; someone outside it does not.
  await say(channel, channelFacilitator, 'requests');
  expect(lastText(channel.id)).toContain('**PSCP-2026-0888** · Accepted');
  const outsiderChat = newGroupChat();
  await say(outsiderChat, person(8), 'requests');
  expect(lastText(outsiderChat.id)).toContain('Only the partnership’s independent facilitators can do that');
}, 30_000);

test('a facilitator asks the requester a question; the answer is recorded and the facilitator told', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0999');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  const wordy = `Has the school been invited? ${'And more. '.repeat(60)}`;
  const tooLong = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: wordy });
  expect(cardText(tooLong.card)).toContain('the limit is 500');
  expect(input(tooLong.card ?? {}, 'question')?.value).toBe(wordy);
  await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: 'Has the school been invited?' });
  const questionCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('answerQuestion'));
  expect(cardText(cardOf(questionCard))).toContain('Has the school been invited?');
  const answerData = buttonData(cardOf(questionCard), 'answerQuestion');
  const rambling = 'Yes. '.repeat(120);
  const refused = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'answerQuestion', { ...answerData, answer: rambling });
  expect(cardText(refused.card)).toContain('the limit is 500');
  expect(input(refused.card ?? {}, 'answer')?.value).toBe(rambling);
  const answered = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'answerQuestion', { ...answerData, answer: 'Yes, the designated safeguarding lead.' });
  expect(cardText(answered.card)).toContain('your answer has been sent');
  await bed.connector.waitFor((c) => c.conversationId === personalChat(channelFacilitator).id && (c.activity.text ?? '').includes('Yes, the designated safeguarding lead.'));
  const stored = await bed.db.request(requestId);
  expect(stored?.questions[0]).toMatchObject({ text: 'Has the school been invited?', answer: 'Yes, the designated safeguarding lead.' });
}, 30_000);

test('answered from a client without per-person views (Action.Submit), the question card pressed is shown answered, not left open', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0993');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: 'Is the family aware of the request?' });
  const questionCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('Is the family aware') && JSON.stringify(c.activity).includes('answerQuestion'));
  const answerData = buttonData(cardOf(questionCard), 'answerQuestion');
  await send(bed.app, submit({ ...answerData, verb: 'answerQuestion', answer: 'Yes, since last week.' }, { user: requester, conversation: personalChat(requester), serviceUrl: bed.connector.serviceUrl, replyToId: questionCard.activityId }));
  await bed.app.idle();
  const shown = bed.connector.updates(personalChat(requester).id).filter((u) => u.activityId === questionCard.activityId).at(-1);
  expect(shown).toBeDefined();
  expect(input(cardOf(shown!), 'answer')).toBeUndefined();
  expect(cardText(cardOf(shown!))).toContain('Yes, since last week.');
}, 30_000);

test('decline; a meeting date in the past; withdrawing a scheduled request tells everyone who was told of the meeting; the document reaches the facilitator who accepted', async () => {
  const caseReference = 'PSCP-2026-0444';
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  await rethinkToClose(driver, requester, [colleague], 1, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  const { requestId } = await submitForm(bed.app, bed.connector, requester, await openRequestForm(bed.app, bed.connector, requester, caseReference), COMPLETE_FORM);

  const declined = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'declineRequest', { requestId });
  expect(cardText(declined.card)).toContain('You have declined this request');
  expect(cardText(declined.card)).toContain(channelFacilitator.name);
  expect((await bed.db.request(requestId))?.declines.map((d) => d.by.id)).toEqual([channelFacilitator.id]);
  // Who declined (often a conflict of interest) is for the pool: the requester's copy doesn't say.
  await bed.app.idle();
  const requesterCopies = bed.connector.updates(personalChat(requester).id).filter((u) => JSON.stringify(u.activity).includes(requestId));
  expect(requesterCopies.length).toBeGreaterThan(0);
  expect(cardText(cardOf(requesterCopies.at(-1)!))).not.toContain('Declined by');

  await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId });
  // The accepting facilitator is offered the completed form as a document in their personal chat.
  await bed.connector.waitFor((c) => c.conversationId === personalChat(namedFacilitator).id && JSON.stringify(c.activity).includes('file.consent') && JSON.stringify(c.activity).includes(requestId));

  const past = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'scheduleRequest', { requestId, meetingDate: '2020-01-01', meetingTime: '10:30', meetingFormat: 'virtual' });
  expect(cardText(past.card)).toContain('The meeting date is in the past');
  // What was typed stays on the card, to be corrected.
  expect([input(past.card ?? {}, 'meetingDate')?.value, input(past.card ?? {}, 'meetingTime')?.value, input(past.card ?? {}, 'meetingFormat')?.value]).toEqual(['2020-01-01', '10:30', 'virtual']);
  expect((await bed.db.request(requestId))?.schedule).toBeUndefined();
  await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'scheduleRequest', { requestId, meetingDate: `${AHEAD}-03-04`, meetingTime: '14:00', meetingFormat: 'faceToFace' });
  await bed.connector.waitFor((c) => c.conversationId === personalChat(colleague).id && (c.activity.text ?? '').includes(`4 March ${AHEAD} at 14:00`));

  const withdrawn = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'withdrawRequest', { requestId, withdrawReason: 'Resolved at the core group.' });
  expect(cardText(withdrawn.card)).toContain('The request is withdrawn');
  await bed.connector.waitFor((c) => c.conversationId === personalChat(colleague).id && (c.activity.text ?? '').includes(`4 March ${AHEAD} will not go ahead`));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(namedFacilitator).id && (c.activity.text ?? '').includes('has withdrawn the request'));
  expect(await bed.db.request(requestId)).toMatchObject({ status: 'withdrawn', withdrawal: { reason: 'Resolved at the core group.' } });
}, 60_000);

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('the facilitator who accepted a case’s request runs its strategy 3 Re-think even if their own record has not caught up; nobody else can', async () => {
  // Accepted (as the store holds it), while the facilitator's list of cases was never written.
  const caseReference = 'PSCP-2026-1077';
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: 'accepted-not-remembered', caseReference, accepted: { by: { id: namedFacilitator.id, name: namedFacilitator.name, aadObjectId: namedFacilitator.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  const network = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await network.start(namedFacilitator, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  expect((await bed.db.rethink(network.conversation.id, rethinkId))).toMatchObject({ status: 'open', strategy: 3, recommended: { facilitated: true } });

  // Someone else with the same answers is offered the request, not strategy 3.
  const other = new Driver(bed.app, bed.connector, newGroupChat());
  await other.say(colleague, 'start');
  const strategyCard = await other.press(colleague, 'startRethink', { ...START_FORM, caseReference, ...ANSWERS[3] });
  const card = strategyCard.card ?? {};
  expect(buttonData(card, 'showRequestForm')).toBeDefined();
  const theirs = String(buttonData(card, 'confirmStrategy').rethinkId);
  const refused = await other.press(colleague, 'confirmStrategy', { rethinkId: theirs, strategy: '3', strategyReason: '' });
  expect(`${cardText(refused.card)}${refused.message ?? ''}`).toContain('Strategy 3 is led by the independent facilitator who accepts your request.');
  expect((await bed.db.rethink(other.conversation.id, theirs))?.status).toBe('proposed');
});

test('a request withdrawn while its facilitator’s strategy card waits: strategy 3 is refused, saying why, and nothing starts', async () => {
  const caseReference = 'PSCP-2026-1079';
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: 'withdrawn-meanwhile', caseReference, accepted: { by: { id: namedFacilitator.id, name: namedFacilitator.name, aadObjectId: namedFacilitator.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  const network = new Driver(bed.app, bed.connector, newGroupChat());
  const rethinkId = await network.propose(namedFacilitator, await network.startForm(namedFacilitator), { ...START_FORM, caseReference, ...ANSWERS[3] });
  expect(await bed.db.rethink(network.conversation.id, rethinkId)).toMatchObject({ status: 'proposed', recommended: { strategy: 3, facilitated: true } });
  // Withdrawn by its requester (as the store holds it) before the facilitator presses Start.
  const { resource: held } = await bed.db.requests.item('withdrawn-meanwhile', 'withdrawn-meanwhile').read<Record<string, unknown>>();
  await bed.db.requests.item('withdrawn-meanwhile', 'withdrawn-meanwhile').replace({ ...held, status: 'withdrawn' });
  const refused = await network.press(namedFacilitator, 'confirmStrategy', { rethinkId, strategy: '3', strategyReason: '' });
  expect(`${cardText(refused.card)}${refused.message ?? ''}`).toContain(`The request for an independent facilitator for case ${caseReference} is no longer accepted by you (it has been withdrawn or completed), so this can’t be started as strategy 3.`);
  expect((await bed.db.rethink(network.conversation.id, rethinkId))?.status).toBe('proposed');
  // Strategy 2 instead, with the reason: it starts.
  const instead = await network.press(namedFacilitator, 'confirmStrategy', { rethinkId, strategy: '2', strategyReason: 'The request was withdrawn; the network meets anyway.' });
  expect(cardText(instead.card)).toContain('The Re-think has started');
});

test('an accept delivered twice is answered the second time with where the request is now, and recorded once', async () => {
  await bed.db.requests.items.create(servedBy(request('submitted', { id: 'accepted-twice', caseReference: 'PSCP-2026-1078' }), bed.connector.serviceUrl));
  const pool = new Driver(bed.app, bed.connector, personalChat(namedFacilitator));
  const first = await pool.press(namedFacilitator, 'acceptRequest', { requestId: 'accepted-twice' }, { id: 'accept-activity-1' });
  expect(cardText(first.card)).toContain('You have accepted this request');
  const again = await pool.press(namedFacilitator, 'acceptRequest', { requestId: 'accepted-twice' }, { id: 'accept-activity-1' });
  expect(cardText(again.card)).toContain('That was done already. This card shows where the request is now.');
  const stored = (await bed.db.requests.item('accepted-twice', 'accepted-twice').read<{ audit: { what: string }[] }>()).resource;
  expect(stored?.audit.filter((a) => a.what === 'accepted')).toHaveLength(1);
});

test('a request card still on its way as its case is erased (Teams slow) is replaced once it lands, as the erasure could not know of it', async () => {
  // A bed of its own, whose sends wait as long as Teams may take.
  const own = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId } });
  try {
    for (const user of [admin, requester, namedFacilitator]) await installPersonally(own.app, own.connector, user);
    const caseReference = 'PSCP-2026-0792';
    const tell = (text: string) => send(own.app, message(text, { user: admin, conversation: personalChat(admin), serviceUrl: own.connector.serviceUrl }));
    // A pool for the request to go to.
    await tell(`add facilitator ${namedFacilitator.aadObjectId}`);
    const form = await openRequestForm(own.app, own.connector, requester, caseReference);
    await own.app.idle();
    const held = own.connector.holdNextPost();
    // Sent as Teams would, without waiting for what follows the answer (the request's cards, one held).
    const requestId = String(form.data.requestId);
    await send(own.app, execute('submitRequest', { ...form.data, ...COMPLETE_FORM, triedInstead: 'A meeting in May.' }, { user: requester, conversation: personalChat(requester), serviceUrl: own.connector.serviceUrl, replyToId: form.formPost.activityId }));
    await held.arrived;
    // The administrator is shown what goes, then confirms, while that card is on its way.
    await tell(`erase case ${caseReference}`);
    await tell(`erase case ${caseReference} confirm`);
    expect(own.connector.posts(personalChat(admin).id).at(-1)?.activity.text).toContain(`Erased for case ${caseReference}`);
    const aboutIt = () => own.connector.captured.filter((c) => c.method === 'POST' && JSON.stringify(c.activity).includes(requestId));
    const beforeItLanded = aboutIt().length;
    held.release();
    await own.app.idle();
    // Every message about the request that reached a chat, the one held up too (it has now landed), says it was erased.
    const posted = aboutIt();
    expect(posted.length).toBe(beforeItLanded + 1);
    for (const post of posted) expect(own.connector.updates(post.conversationId).filter((u) => u.activityId === post.activityId).at(-1)?.activity.text).toBe(MESSAGES.erasedRequest);
  } finally {
    await own.stop();
  }
});

test('a list sent to a personal chat Teams says Re-think is no longer in (its removal never reached the app): the person is told where they asked, and the chat is forgotten', async () => {
  const group = newGroupChat();
  const gone = person(14);
  await installPersonally(bed.app, bed.connector, gone);
  bed.connector.failConversation(personalChat(gone).id, 403);
  try {
    await say(group, gone, 'my requests');
    expect(lastText(group.id)).toContain('sending the list to your personal chat');
    await bed.app.idle();
    expect(lastText(group.id)).toBe(`For ${gone.name}: I couldn’t reach your personal chat with Re-think: Teams says Re-think isn’t there any more, so nothing was sent. Please add Re-think for yourself (in Teams: Apps, then Re-think, then Add), then ask again.`);
    const { resource } = await bed.db.people.item(gone.aadObjectId, gone.aadObjectId).read<{ personalConversation?: object }>();
    expect(resource?.personalConversation).toBeUndefined();
    // Asked again: told at once to add it, not that it was sent.
    await say(group, gone, 'my requests');
    expect(lastText(group.id)).toContain('Please add Re-think for yourself');
  } finally {
    bed.connector.failConversation(personalChat(gone).id, undefined);
  }
});

test('in a chat shared with them, an administrator adds and removes a named facilitator by @mentioning them; the pool lists their name', async () => {
  const group = newGroupChat();
  const joining = person(9);
  bed.connector.knowMember({ id: joining.id, name: joining.name, aadObjectId: joining.aadObjectId });
  const mentioning = async (command: string, who: TestUser[]) => {
    const activity = message('', { user: admin, conversation: group, serviceUrl: bed.connector.serviceUrl });
    const mentions = who.map((w) => ({ type: 'mention', text: `<at>${w.name}</at>`, mentioned: { id: w.id, name: w.name } }));
    await send(bed.app, { ...activity, text: `<at>Re-think</at> ${command} ${mentions.map((m) => m.text).join(' ')}`, entities: [...(activity.entities as object[]), ...mentions] });
    return lastText(group.id);
  };
  expect(await mentioning('add facilitator', [joining])).toMatch(new RegExp(`^Added ${joining.name} \\(${joining.aadObjectId}\\)\\. The pool now has 2 named facilitators`));
  await say(personalChat(admin), admin, 'facilitators');
  expect(lastText(personalChat(admin).id)).toContain(`${joining.name} (${joining.aadObjectId}) (not reachable: Re-think isn’t added for them`);
  // Two at once, or someone Teams can't say who is: nothing changes, and the administrator is told why.
  expect(await mentioning('add facilitator', [joining, person(10)])).toBe('Please add one facilitator at a time: @mention just one person after **add facilitator**.');
  expect(await mentioning('remove facilitator', [person(11)])).toMatch(/^Teams didn’t tell me who Professional 11 is here, so nothing has changed\. Please give their Microsoft Entra object id instead/);
  // A guest: Teams knows them by another id in their own organisation, where requests reach them.
  const guest = person(12);
  bed.connector.knowMember({ id: guest.id, name: guest.name, aadObjectId: '6a1f2c3d-0000-4000-8000-00000000eeee', userRole: 'guest' });
  expect(await mentioning('add facilitator', [guest])).toMatch(/^Professional 12 is a guest here, so Teams knows them by another id in their own organisation, where requests would reach them\. Nothing has changed/);
  // Typed beside an @mention (cc), the id is the one meant.
  const typedWith = message('', { user: admin, conversation: group, serviceUrl: bed.connector.serviceUrl });
  const cc = { type: 'mention', text: `<at>${person(13).name}</at>`, mentioned: { id: person(13).id, name: person(13).name } };
  await send(bed.app, { ...typedWith, text: `<at>Re-think</at> add facilitator ${joining.aadObjectId} (cc ${cc.text})`, entities: [...(typedWith.entities as object[]), cc] });
  expect(lastText(group.id)).toMatch(/^Please give the facilitator’s Microsoft Entra object id/);
  await send(bed.app, { ...typedWith, id: `${Date.now()}cc`, text: `<at>Re-think</at> add facilitator ${joining.aadObjectId} ${cc.text}`, entities: [...(typedWith.entities as object[]), cc] });
  expect(lastText(group.id)).toMatch(new RegExp(`^${joining.name} \\(${joining.aadObjectId}\\) is already in the pool of named facilitators`));
  expect(await mentioning('remove facilitator', [joining])).toMatch(new RegExp(`^Removed ${joining.name} \\(${joining.aadObjectId}\\)\\. The pool now has 1 named facilitator`));
  expect(await mentioning('remove facilitator', [joining])).toBe(`${joining.name} isn’t in the pool of named facilitators, so nothing has changed. Type **@Re-think facilitators** to see who is.`);
  // Added by id before, then @mentioned: the pool learns the name, and nothing else changes.
  const byId = person(15);
  bed.connector.knowMember({ id: byId.id, name: byId.name, aadObjectId: byId.aadObjectId });
  await say(personalChat(admin), admin, `add facilitator ${byId.aadObjectId}`);
  expect(await mentioning('add facilitator', [byId])).toMatch(new RegExp(`^${byId.name} \\(${byId.aadObjectId}\\) is already in the pool of named facilitators, so nothing has changed but their name, which the pool now shows\\.`));
  const { resource: pool } = await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ facilitators: { aadObjectId: string; name?: string }[]; audit: { what: string; ref?: string }[] }>();
  expect(pool?.facilitators.filter((f) => f.aadObjectId === byId.aadObjectId)).toEqual([expect.objectContaining({ name: byId.name })]);
  expect(pool?.audit.at(-1)).toMatchObject({ what: 'facilitatorNamed', ref: byId.aadObjectId });
  // Once named, the same again says only that they are in it.
  expect(await mentioning('add facilitator', [byId])).toMatch(/is already in the pool of named facilitators, so nothing has changed\. /);
  await say(personalChat(admin), admin, `remove facilitator ${byId.aadObjectId}`);
  // A name with "&": Teams may send the mention without its text, leaving its tag in the message. Still the person mentioned.
  const shared = { ...person(16), name: 'Smith & Jones' };
  bed.connector.knowMember({ id: shared.id, name: shared.name, aadObjectId: shared.aadObjectId });
  const untexted = message('', { user: admin, conversation: group, serviceUrl: bed.connector.serviceUrl });
  await send(bed.app, { ...untexted, text: '<at>Re-think</at> add facilitator <at>Smith &amp; Jones</at>', entities: [...(untexted.entities as object[]), { type: 'mention', mentioned: { id: shared.id, name: shared.name } }] });
  expect(lastText(group.id)).toMatch(new RegExp(`^Added Smith & Jones \\(${shared.aadObjectId}\\)\\.`));
  await say(personalChat(admin), admin, `remove facilitator ${shared.aadObjectId}`);
});

test('the named pool: adding and removing need an Entra object id, in any case; removing someone not in it says so', async () => {
  const chat = personalChat(admin);
  const extra = person(7).aadObjectId;
  if (!extra) throw new Error('test users have object ids');
  const ask = 'Please give the facilitator’s Microsoft Entra object id, for example **remove facilitator';
  for (const typed of ['remove facilitator', 'remove facilitator Jane Smith']) {
    await say(chat, admin, typed);
    expect(lastText(chat.id)).toContain(ask);
    expect(lastText(chat.id)).toContain('They can find it by typing **my id** to Re-think');
  }
  // Which the facilitator-to-be does, and sends on.
  await say(personalChat(person(7)), person(7), 'My id?');
  expect(lastText(personalChat(person(7)).id)).toBe(`Your Microsoft Entra object id is ${extra}. To be a named independent facilitator, send it to your partnership administrator, who types **add facilitator ${extra}**.`);
  await say(chat, admin, `add facilitator {${extra.toUpperCase()}}.`);
  expect(lastText(chat.id)).toMatch(new RegExp(`^Added ${extra}\\. The pool now has 2 named facilitators`));
  await say(chat, admin, `add facilitator ${extra}`);
  expect(lastText(chat.id)).toMatch(new RegExp(`^${extra} is already in the pool of named facilitators, so nothing has changed\\.`));
  await say(chat, admin, 'facilitators');
  expect(lastText(chat.id)).toContain(extra);
  await say(chat, admin, `remove facilitator ${extra.toUpperCase()}`);
  expect(lastText(chat.id)).toMatch(new RegExp(`^Removed ${extra}\\. The pool now has 1 named facilitator`));
  await say(chat, admin, `remove facilitator ${extra}`);
  expect(lastText(chat.id)).toBe('That id isn’t in the pool of named facilitators, so nothing has changed. Type **facilitators** to see who is.');
  await say(chat, admin, 'facilitators');
  expect(lastText(chat.id)).not.toContain(extra);
  expect(lastText(chat.id)).toContain(namedFacilitator.aadObjectId);

  // An id stored in upper case (before ids were lower-cased) is still that facilitator.
  const settings = bed.db.rethinks.database.container('settings');
  const { resource: pool } = await settings.item('facilitatorPool', 'facilitatorPool').read<{ facilitators: { aadObjectId: string }[] }>();
  if (!pool) throw new Error('no pool');
  await settings.items.upsert({ ...pool, facilitators: [...pool.facilitators, { aadObjectId: extra.toUpperCase(), addedBy: admin.id, addedAt: new Date().toISOString() }] });
  await installPersonally(bed.app, bed.connector, person(7));
  await say(personalChat(person(7)), person(7), 'requests');
  expect(lastText(personalChat(person(7)).id)).toContain('Open requests for an independent facilitator');
  await say(chat, admin, `remove facilitator ${extra}`);
  expect(lastText(chat.id)).toMatch(/^Removed /);

  // The same facilitator stored twice, in both cases, is sent a new request once.
  const { resource: current } = await settings.item('facilitatorPool', 'facilitatorPool').read<{ facilitators: { aadObjectId: string }[] }>();
  if (!current) throw new Error('no pool');
  await settings.items.upsert({ ...current, facilitators: [...current.facilitators, { aadObjectId: namedFacilitator.aadObjectId.toUpperCase(), addedBy: admin.id, addedAt: new Date().toISOString() }] });
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0779');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in May.' });
  await bed.connector.waitFor((c) => c.conversationId === personalChat(namedFacilitator).id && JSON.stringify(c.activity).includes(requestId));
  await bed.app.idle();
  expect(bed.connector.posts(personalChat(namedFacilitator).id).filter((p) => JSON.stringify(p.activity).includes(requestId))).toHaveLength(1);
  await settings.items.upsert(current);
});

test('a facilitator who took part in any of the case’s Re-thinks, even one the requester didn’t, can’t accept its request', async () => {
  const caseReference = 'PSCP-2026-0778';
  // The named facilitator was in a Re-think for the case with a colleague; the requester was not.
  await rethinkToClose(new Driver(bed.app, bed.connector, newGroupChat()), colleague, [namedFacilitator], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  const form = await openRequestForm(bed.app, bed.connector, requester, caseReference);
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'Two meetings in the spring.' });
  expect((await bed.db.request(requestId))?.network).toEqual([]);
  const insider = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId });
  expect(cardText(insider.card ?? {})).toContain('You took part in this case’s earlier Re-thinks, so another independent facilitator needs to accept it');
  expect((await bed.db.request(requestId))?.accepted).toBeUndefined();
  // Pressed in the facilitator channel from a client without per-person views, the answer is read by everyone there: it says nothing of why.
  const before = bed.connector.posts(channel.id).length;
  await send(bed.app, submit({ verb: 'acceptRequest', requestId }, { user: namedFacilitator, conversation: channel, serviceUrl: bed.connector.serviceUrl }));
  await bed.app.idle();
  const told = bed.connector.posts(channel.id).slice(before).map((p) => p.activity.text ?? '');
  expect(told).toEqual([`For ${namedFacilitator.name}: Another independent facilitator needs to accept this request. Nothing has been changed.`]);
  const independent = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId });
  expect(cardText(independent.card ?? {})).toContain('You have accepted this request');
});

test('a presenter who moved a case’s Re-think on in its meeting, without ever joining it, can’t accept its request either', async () => {
  const caseReference = 'PSCP-2026-0777';
  const meeting = newMeetingChat();
  bed.connector.setMeetingRole(colleague.aadObjectId, 'Attendee', colleague.id, meeting.meetingId);
  bed.connector.setMeetingRole(namedFacilitator.aadObjectId, 'Presenter', namedFacilitator.id, meeting.meetingId);
  const driver = new Driver(bed.app, bed.connector, meeting);
  const { rethinkId } = await driver.start(colleague, { ...START_FORM, caseReference });
  const moved = await driver.press(namedFacilitator, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  expect(cardText(moved.card)).toContain('The group has moved on to stage 2');
  expect((await bed.db.rethink(meeting.id, rethinkId))?.participants.map((p) => p.id)).not.toContain(namedFacilitator.id);

  const form = await openRequestForm(bed.app, bed.connector, requester, caseReference);
  // Someone outside the case has a form open for it meanwhile.
  await installPersonally(bed.app, bed.connector, person(8));
  const outsiderForm = await openRequestForm(bed.app, bed.connector, person(8), caseReference);
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in the summer.' });
  const insider = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId });
  expect(cardText(insider.card ?? {})).toContain('You took part in this case’s earlier Re-thinks, so another independent facilitator needs to accept it');
  expect((await bed.db.request(requestId))?.accepted).toBeUndefined();

  // Someone outside the case who types its reference learns only that a request is open: not who made it, or when.
  const { answer } = await submitForm(bed.app, bed.connector, person(8), outsiderForm, { ...COMPLETE_FORM, triedInstead: 'Nothing yet.' });
  expect(answer.message).toBe(`There is already an open request for an independent facilitator for ${caseReference}. Nothing new has been sent; your form is kept above. The case’s lead professional can tell you more.`);
  expect(answer.message).not.toContain(requester.name);
  await say(personalChat(person(8)), person(8), `request facilitator ${caseReference}`);
  expect(lastText(personalChat(person(8)).id)).toBe(`There is already an open request for an independent facilitator for ${caseReference}. A case has one open request at a time, so no new form has been opened. The case’s lead professional can tell you more.`);
});

test('two forms for one case submitted at the same moment make one request; the other person is told, and may ask again once it has closed', async () => {
  const caseReference = 'PSCP-2026-0776';
  const people = [requester, colleague] as const;
  const forms = [await openRequestForm(bed.app, bed.connector, requester, caseReference), await openRequestForm(bed.app, bed.connector, colleague, caseReference)];
  const sent = await Promise.all(forms.map((form, i) => submitForm(bed.app, bed.connector, people[i] ?? requester, form, { ...COMPLETE_FORM, triedInstead: `Tried by ${people[i]?.name ?? ''}.` })));
  const stored = await Promise.all(sent.map((s) => bed.db.request(s.requestId)));
  expect(stored.filter((r) => r !== undefined)).toHaveLength(1);
  const won = stored[0] ? 0 : 1;
  const lost = 1 - won;
  expect(sent[lost]?.answer.message).toMatch(/^There is already an open request for an independent facilitator for PSCP-2026-0776/);

  // Withdrawn, the case is free for a new request.
  const winner = people[won] as typeof requester;
  await pressIn(bed.app, bed.connector, personalChat(winner), winner, 'withdrawRequest', { requestId: sent[won]?.requestId ?? '', withdrawReason: 'Resolved between us.' });
  expect((await bed.db.request(sent[won]?.requestId ?? ''))?.status).toBe('withdrawn');
  const loser = people[lost] as typeof requester;
  const again = await openRequestForm(bed.app, bed.connector, loser, caseReference);
  const { requestId, answer } = await submitForm(bed.app, bed.connector, loser, again, { ...COMPLETE_FORM, triedInstead: 'Tried again.' });
  expect(cardText(answer.card)).toContain('Your request has been sent');
  expect((await bed.db.request(requestId))?.status).toBe('submitted');
});

test('the case’s claim: a request being created this moment holds it; one never created lets go after a minute; its id is no request', async () => {
  const caseReference = 'PSCP-2026-0775';
  const repository = requestRepository(bed.db.requests);
  const now = new Date();
  // A claims, and has not yet created its request: B, a moment later, is told it is taken.
  expect(await repository.claimCase(caseReference, 'claim-test-a', now)).toBeUndefined();
  expect(await repository.claimCase(caseReference, 'claim-test-b', new Date(now.getTime() + 50))).toBe('claim-test-a');
  // A's request never came (its create failed): a minute on, B may have the case.
  expect(await repository.claimCase(caseReference, 'claim-test-b', new Date(now.getTime() + 61_000))).toBeUndefined();
  expect(await repository.claimCase(caseReference, 'claim-test-a', new Date(now.getTime() + 62_000))).toBe('claim-test-b');

  // A claim's id, which anyone knowing the case reference could work out, is not a request.
  expect(await repository.get(caseClaimId(caseReference))).toBeUndefined();
  const forged = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'withdrawRequest', { requestId: caseClaimId(caseReference), withdrawReason: 'x' });
  expect(forged.message ?? cardText(forged.card ?? {})).toContain('I can’t find that request');
});

test('someone who only asked to see a case’s Re-think card again (status) is still independent of it, and may accept its request', async () => {
  const caseReference = 'PSCP-2026-0774';
  const chat = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  await driver.start(colleague, { ...START_FORM, caseReference });
  await say(chat, namedFacilitator, 'status');
  await bed.app.idle();
  const form = await openRequestForm(bed.app, bed.connector, requester, caseReference);
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in the autumn.' });
  const accepted = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId });
  expect(cardText(accepted.card ?? {})).toContain('You have accepted this request');
});

test('taken out of the pool, a facilitator’s copies of a request stop showing it and their old buttons show nothing; lists of requests are never posted in a shared chat', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0555');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  const namedChat = personalChat(namedFacilitator);
  const namedCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === namedChat.id && JSON.stringify(c.activity).includes(requestId));
  const poolCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));

  // Typed in a shared chat, a list of requests goes to the person's own chat, never to everyone there.
  const shared = newGroupChat();
  const before = bed.connector.posts(namedChat.id).length;
  await say(shared, namedFacilitator, 'requests');
  await bed.app.idle();
  expect(lastText(shared.id)).toBe('Requests name cases and people, so I’m sending the list to your personal chat with Re-think.');
  expect(bed.connector.posts(shared.id).some((p) => JSON.stringify(p.activity).includes('PSCP-2026-0555'))).toBe(false);
  expect(bed.connector.posts(namedChat.id).slice(before).some((p) => cardText(cardOf(p)).includes('PSCP-2026-0555'))).toBe(true);
  const mine = bed.connector.posts(personalChat(requester).id).length;
  await say(shared, requester, 'my requests');
  await bed.app.idle();
  expect(bed.connector.posts(shared.id).some((p) => JSON.stringify(p.activity).includes('PSCP-2026-0555'))).toBe(false);
  const listed = bed.connector.posts(personalChat(requester).id).slice(mine);
  expect(listed.some((p) => p.activity.attachments?.length && cardText(cardOf(p)).includes('Your requests for an independent facilitator') && cardText(cardOf(p)).includes('PSCP-2026-0555'))).toBe(true);
  // Someone with no personal chat with Re-think is told where to ask.
  const newcomer = person(31);
  await say(shared, newcomer, 'my requests');
  expect(lastText(shared.id)).toContain('Please add Re-think for yourself');

  // A request that has since ended: its copy still shows the requester's details until it too is noted.
  const closedForm = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0559');
  const closed = await submitForm(bed.app, bed.connector, requester, closedForm, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  const closedCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === namedChat.id && JSON.stringify(c.activity).includes(closed.requestId));
  await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'withdrawRequest', { requestId: closed.requestId, withdrawReason: 'Resolved at the TAF meeting.' });
  await waitUntil(() => cardText(latestCard(bed.connector, namedChat.id, closedCard.activityId)).includes('Withdrawn'));

  // The administrator takes the named facilitator out of the pool.
  await say(personalChat(admin), admin, `remove facilitator ${namedFacilitator.aadObjectId}`);
  try {
    expect(lastText(personalChat(admin).id)).toMatch(/^Removed [0-9a-f-]+\./);
    // Their old card's buttons answer with a notice alone, not the request.
    const pressed = await pressIn(bed.app, bed.connector, namedChat, namedFacilitator, 'acceptRequest', { requestId }, namedCard.activityId);
    expect(pressed.card).toBeUndefined();
    expect(pressed.message).toContain('Only the partnership’s independent facilitators can do that');
    const resent = await pressIn(bed.app, bed.connector, namedChat, namedFacilitator, 'submitRequest', { ...buttonData(cardOf(form.formPost), 'submitRequest'), ...COMPLETE_FORM, triedInstead: 'x' });
    expect(resent.card).toBeUndefined();
    expect(resent.message).toContain('already been submitted');

    // At once, with no change to the request: their copy says it is no longer shown there; the ended one's too.
    await bed.connector.waitFor((c) => c.method === 'PUT' && c.conversationId === namedChat.id && c.activityId === namedCard.activityId && (c.activity.text ?? '') === LEFT_POOL);
    await bed.connector.waitFor((c) => c.method === 'PUT' && c.conversationId === namedChat.id && c.activityId === closedCard.activityId && (c.activity.text ?? '') === LEFT_POOL);
    // The next change to the request: the channel's copy shows it, theirs does not.
    await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: 'Who else is involved?' });
    await waitUntil(() => cardText(latestCard(bed.connector, channel.id, poolCard.activityId)).includes('Who else is involved?'));
    const theirs = () => bed.connector.updates(namedChat.id).filter((u) => u.activityId === namedCard.activityId);
    expect(theirs().at(-1)?.activity.attachments ?? []).toEqual([]);
    expect(JSON.stringify(theirs().at(-1)?.activity)).not.toContain('Who else is involved?');
    // Said once: later changes leave that chat alone.
    const noted = theirs().length;
    await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: 'And the school?' });
    await waitUntil(() => cardText(latestCard(bed.connector, channel.id, poolCard.activityId)).includes('And the school?'));
    await bed.app.idle();
    expect(theirs()).toHaveLength(noted);
  } finally {
    await say(personalChat(admin), admin, `add facilitator ${namedFacilitator.aadObjectId}`);
  }
}, 30_000);

test('the facilitator who accepted a request runs it from a copy in their own chat, pool or not; a card still on its way to someone taken out of the pool is not sent', async () => {
  // A named facilitator of their own, whose chat no earlier test has kept busy (Teams' 60 messages in 30 seconds).
  const leaving = person(33);
  await installPersonally(bed.app, bed.connector, leaving);
  await say(personalChat(admin), admin, `add facilitator ${leaving.aadObjectId}`);
  const namedChat = personalChat(leaving);
  // Teams is failing the named facilitator's chat as the request is submitted: its card waits to be sent.
  bed.connector.failConversation(namedChat.id, 503);
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0556');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  const poolCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));
  await say(personalChat(admin), admin, `remove facilitator ${leaving.aadObjectId}`);
  try {
    bed.connector.failConversation(namedChat.id, undefined);
    const deadline = Date.now() + 15_000;
    while ((await bed.db.request(requestId))?.outbox.some((d) => d.status === 'pending' && d.to.conversationId === namedChat.id)) {
      if (Date.now() > deadline) throw new Error('The named facilitator’s delivery never settled');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await bed.app.idle();
    expect(bed.connector.posts(namedChat.id).some((p) => JSON.stringify(p.activity).includes(requestId))).toBe(false);
    expect((await bed.db.request(requestId))?.audit.some((a) => a.what === 'withheldFromPool')).toBe(true);

    // Accepted in the channel: the request follows the facilitator to their own chat.
    const accepted = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId }, poolCard.activityId);
    expect(cardText(accepted.card)).toContain('You have accepted this request');
    const ownCopy = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(channelFacilitator).id && JSON.stringify(c.activity).includes('scheduleRequest') && JSON.stringify(c.activity).includes(requestId));
    // There, outside the channel and not a named facilitator, they still run it.
    const scheduled = await pressIn(bed.app, bed.connector, personalChat(channelFacilitator), channelFacilitator, 'scheduleRequest', { requestId, meetingDate: `${AHEAD}-02-05`, meetingTime: '10:30', meetingFormat: 'virtual' }, ownCopy.activityId);
    expect(cardText(scheduled.card)).toContain('The meeting is saved');
    expect((await bed.db.request(requestId))?.status).toBe('scheduled');
  } finally {
    bed.connector.failConversation(namedChat.id, undefined);
  }
}, 40_000);

test('an administrator using the pool’s commands outside their personal chat, without Re-think added for themselves, is told how to hear of failed deliveries', async () => {
  const other = person(31);
  const twoAdmins = await startApp(bed.store.endpoint, { env: { ADMIN_IDS: `${admin.aadObjectId},${other.aadObjectId}` } });
  const group = newGroupChat();
  try {
    await send(twoAdmins, message(`add facilitator ${namedFacilitator.aadObjectId}`, { user: other, conversation: group, serviceUrl: bed.connector.serviceUrl }));
    expect(lastText(group.id)).toMatch(/is already in the pool of named facilitators.* To be told when a request can’t be delivered, add Re-think for yourself too/);
    // The administrator with Re-think added isn't told to add it.
    await send(twoAdmins, message(`add facilitator ${namedFacilitator.aadObjectId}`, { user: admin, conversation: group, serviceUrl: bed.connector.serviceUrl }));
    expect(lastText(group.id)).not.toContain('add Re-think for yourself');
  } finally {
    await twoAdmins.stop();
  }
});

test('a new facilitator channel is sent the requests still waiting for someone to accept, and can accept them', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0557');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));
  const newChannel: TestConversation = { id: `19:${Date.now()}newpool@thread.tacv2`, conversationType: 'channel', isGroup: true };
  try {
    await say(newChannel, admin, 'set facilitator channel');
    // Its history names the channel it replaced: only the current one is kept on the pool itself.
    const { resource: pool } = await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ audit: { what: string; ref?: string }[] }>();
    expect(pool?.audit.at(-1)).toMatchObject({ what: 'channelSet', ref: channel.id });
    const notice = bed.connector.posts(newChannel.id).find((p) => (p.activity.text ?? '').startsWith('Done:'));
    expect(notice?.activity.text).toMatch(/new requests for an independent facilitator will be posted in this channel\..* It replaces the channel set before: the copies of requests there now say that channel is no longer part of the pool\. (The one request|The \d+ requests) waiting for a facilitator (is|are) being sent here too\.$/);
    const offered = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === newChannel.id && JSON.stringify(c.activity).includes(requestId));
    expect(cardText(cardOf(offered))).toContain('Independent facilitator request · case PSCP-2026-0557');
    // Set again while the request still waits, nothing is sent twice, and the pool's history is as it was.
    const historyBefore = (await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ audit: unknown[] }>()).resource?.audit;
    const sentBefore = bed.connector.posts(newChannel.id).length;
    await say(newChannel, admin, 'set facilitator channel');
    await bed.app.idle();
    // Other requests' cards may still be arriving there: the reply is found among them.
    expect(bed.connector.posts(newChannel.id).slice(sentBefore).map((p) => p.activity.text ?? '')).toContainEqual(expect.stringMatching(/^This is already the facilitator channel/));
    expect((await bed.db.settings.item('facilitatorPool', 'facilitatorPool').read<{ audit: unknown[] }>()).resource?.audit).toEqual(historyBefore);
    expect(bed.connector.posts(newChannel.id).filter((p) => JSON.stringify(p.activity).includes(requestId))).toHaveLength(1);
    const accepted = await pressIn(bed.app, bed.connector, newChannel, person(12), 'acceptRequest', { requestId }, offered.activityId);
    expect(cardText(accepted.card)).toContain('You have accepted this request');
  } finally {
    await say(channel, admin, 'set facilitator channel');
  }
}, 30_000);

test('a facilitator who accepted before adding Re-think for themselves gets the form and their copy once they add it, as they were told', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0558');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  const poolCard = await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));
  const newcomer = person(14);
  const accepted = await pressIn(bed.app, bed.connector, channel, newcomer, 'acceptRequest', { requestId }, poolCard.activityId);
  expect(cardText(accepted.card)).toContain('add Re-think for yourself');
  expect((await bed.db.request(requestId))?.accepted?.chat).toBeUndefined();
  // The answer is soon replaced by the card as everyone sees it: that says it too, for as long as it holds.
  await bed.app.idle();
  const unreached = `${newcomer.name} hasn’t added Re-think for themselves yet, so the completed form and the requester’s answers can’t reach them`;
  await bed.connector.waitFor((c) => c.method === 'PUT' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(unreached));

  await installPersonally(bed.app, bed.connector, newcomer);
  const own = personalChat(newcomer).id;
  await bed.connector.waitFor((c) => c.conversationId === own && JSON.stringify(c.activity).includes('file.consent') && JSON.stringify(c.activity).includes(requestId));
  await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === own && JSON.stringify(c.activity).includes('scheduleRequest') && JSON.stringify(c.activity).includes(requestId));
  expect((await bed.db.request(requestId))?.accepted?.chat?.conversationId).toBe(own);
  await bed.app.idle();
  expect(cardText(latestCard(bed.connector, channel.id, poolCard.activityId))).not.toContain(unreached);
  // Adding it again sends nothing more.
  await installPersonally(bed.app, bed.connector, newcomer);
  await bed.app.idle();
  expect(bed.connector.posts(own).filter((p) => JSON.stringify(p.activity).includes(requestId))).toHaveLength(2);
}, 30_000);

test('Re-think removed from someone’s personal chat: lists are no longer sent where they would be lost, they are asked to add it again, and once added they are sent there', async () => {
  const someone = person(41);
  const group = newGroupChat();
  const chat = personalChat(someone);
  const where = { user: someone, conversation: chat, serviceUrl: bed.connector.serviceUrl };
  const lastSaid = () => bed.connector.posts(group.id).at(-1)?.activity.text ?? '';
  const remembered = async () => (await bed.db.people.item(someone.aadObjectId, someone.aadObjectId).read<{ personalConversation?: { conversationId: string } }>()).resource?.personalConversation;
  await installPersonally(bed.app, bed.connector, someone);
  await say(group, someone, 'my requests');
  expect(lastSaid()).toContain('I’m sending the list to your personal chat');

  // A removal from a chat that is no longer the one on record changes nothing.
  await send(bed.app, uninstalled({ ...where, conversation: { ...chat, id: `${chat.id}-old` } }));
  expect((await remembered())?.conversationId).toBe(chat.id);

  await send(bed.app, uninstalled(where));
  expect(await remembered()).toBeUndefined();
  const posted = bed.connector.posts(chat.id).length;
  await say(group, someone, 'my requests');
  expect(lastSaid()).toContain('Please add Re-think for yourself');
  expect(bed.connector.posts(chat.id)).toHaveLength(posted);

  await installPersonally(bed.app, bed.connector, someone);
  await say(group, someone, 'my requests');
  expect(lastSaid()).toContain('I’m sending the list to your personal chat');
  // A removal Teams delivers late (made before this install, by Teams' clock) leaves the chat alone.
  await send(bed.app, { ...uninstalled(where), timestamp: new Date(Date.now() - 60_000).toISOString() });
  expect((await remembered())?.conversationId).toBe(chat.id);
});

test('a named facilitator added before they had Re-think is sent the requests still waiting when they add it; anyone else adding it is not', async () => {
  const newcomer = person(43);
  const bystander = person(44);
  await say(personalChat(admin), admin, `add facilitator ${newcomer.aadObjectId}`);
  try {
    expect(lastText(personalChat(admin).id)).toContain('new requests will reach them once they add the app for themselves');
    await say(personalChat(admin), admin, 'facilitators');
    expect(lastText(personalChat(admin).id)).toContain(`${newcomer.aadObjectId} (not reachable: Re-think isn’t added for them`);
    const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0571');
    const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
    await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));
    await installPersonally(bed.app, bed.connector, bystander);
    await installPersonally(bed.app, bed.connector, newcomer);
    await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(newcomer).id && JSON.stringify(c.activity).includes(requestId), 10_000);
    await bed.app.idle();
    expect(bed.connector.posts(personalChat(bystander).id).some((p) => JSON.stringify(p.activity).includes(requestId))).toBe(false);
    // The pool sent it: the newcomer did nothing to the request, and the audit trail doesn't say they did.
    expect((await bed.db.request(requestId))?.audit.filter((a) => a.by === newcomer.id)).toEqual([]);
    await say(personalChat(admin), admin, 'facilitators');
    expect(lastText(personalChat(admin).id)).toContain(newcomer.aadObjectId);
    expect(lastText(personalChat(admin).id)).not.toContain('not reachable');
    // They remove it again: the administrators are told, and the pool shows them unreachable.
    await send(bed.app, uninstalled({ user: newcomer, conversation: personalChat(newcomer), serviceUrl: bed.connector.serviceUrl }));
    await bed.app.idle();
    expect(lastText(personalChat(admin).id)).toBe(
      `A named facilitator, Entra object id ${newcomer.aadObjectId}, has removed Re-think from their personal chat, so new requests for an independent facilitator can’t reach them until they add it again. Type **facilitators** to see who can be reached.`,
    );
    await say(personalChat(admin), admin, 'facilitators');
    expect(lastText(personalChat(admin).id)).toContain(`${newcomer.aadObjectId} (not reachable`);
  } finally {
    await say(personalChat(admin), admin, `remove facilitator ${newcomer.aadObjectId}`);
  }
}, 30_000);

test('a facilitator removed from the pool after asking is not sent the answer; one still in it is', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0998');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' });
  const leaving = person(6);
  const staying = namedFacilitator;
  await installPersonally(bed.app, bed.connector, leaving);
  await say(personalChat(admin), admin, `add facilitator ${leaving.aadObjectId}`);
  for (const [who, question] of [[leaving, 'Is the school nurse involved?'], [staying, 'Has the family been told?']] as const) {
    await pressIn(bed.app, bed.connector, personalChat(who), who, 'askQuestion', { requestId, question });
  }
  await bed.app.idle();
  // An administrator removes one of them (a conflict of interest, say) before the requester answers.
  await say(personalChat(admin), admin, `remove facilitator ${leaving.aadObjectId}`);
  expect(lastText(personalChat(admin).id)).toMatch(/^Removed [0-9a-f-]+\./);
  const questions = bed.connector.posts(personalChat(requester).id).filter((p) => JSON.stringify(p.activity).includes('answerQuestion')).slice(-2);
  const answered: string[] = [];
  for (const [i, answer] of ['Yes, since March.', 'Yes, by the social worker.'].entries()) {
    const pressed = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'answerQuestion', { ...buttonData(cardOf(questions[i]!), 'answerQuestion'), answer });
    answered.push(cardText(pressed.card).includes('has been sent to the facilitator') ? 'sent' : cardText(pressed.card).includes('recorded on the request') ? 'recorded' : 'neither');
  }
  // The requester isn't told an answer went where it didn't.
  expect(answered).toEqual(['recorded', 'sent']);
  await bed.connector.waitFor((c) => c.conversationId === personalChat(staying).id && (c.activity.text ?? '').includes('Yes, by the social worker.'));
  await bed.app.idle();
  expect(bed.connector.posts(personalChat(leaving).id).map((p) => p.activity.text ?? '').join('\n')).not.toContain('Yes, since March.');
  // Both answers are recorded on the request.
  expect((await bed.db.request(requestId))?.questions.map((q) => q.answer)).toEqual(['Yes, since March.', 'Yes, by the social worker.']);
}, 30_000);

test('a case left on a facilitator’s list after its request ended (a lost follow-up) recommends nothing on its own: the requests say', async () => {
  const facilitator = person(8);
  const caseReference = 'PSCP-2026-0997';
  // Their record still names the case, but no request for it is theirs to run.
  await bed.db.people.items.upsert({ id: facilitator.aadObjectId, aadObjectId: facilitator.aadObjectId, facilitating: [caseReference], updatedAt: new Date().toISOString(), ttl: 3600 });
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const rethinkId = await chat.propose(facilitator, await chat.startForm(facilitator), { ...START_FORM, caseReference, ...ANSWERS[2] });
  const proposed = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(proposed?.recommended.strategy).toBe(2);
  expect(proposed?.recommended.reason).not.toContain('You accepted the request');
});

test('a named facilitator whose personal chat was never noted (adding the app was lost) is noted when they next write there, and sent what is waiting', async () => {
  const newcomer = person(45);
  await say(personalChat(admin), admin, `add facilitator ${newcomer.aadObjectId}`);
  try {
    const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0572');
    const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in June.' });
    await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === channel.id && JSON.stringify(c.activity).includes(requestId));
    // They added the app, but its install event was lost (the instance handling it stopped, say): nothing noted, nothing sent.
    const before = bed.connector.posts(personalChat(newcomer).id).filter((p) => JSON.stringify(p.activity).includes(requestId)).length;
    expect(before).toBe(0);

    await say(personalChat(newcomer), newcomer, 'help');
    await bed.app.idle();
    const remembered = (await bed.db.people.item(newcomer.aadObjectId, newcomer.aadObjectId).read<{ personalConversation?: { conversationId: string } }>()).resource;
    expect(remembered?.personalConversation?.conversationId).toBe(personalChat(newcomer).id);
    await bed.connector.waitFor((c) => c.method === 'POST' && c.conversationId === personalChat(newcomer).id && JSON.stringify(c.activity).includes(requestId), 10_000);
    expect(bed.connector.posts(personalChat(newcomer).id).filter((p) => JSON.stringify(p.activity).includes(requestId)).length).toBeGreaterThan(before);
    // Writing again changes nothing more.
    const posted = bed.connector.posts(personalChat(newcomer).id).length;
    await say(personalChat(newcomer), newcomer, 'help');
    await bed.app.idle();
    expect(bed.connector.posts(personalChat(newcomer).id)).toHaveLength(posted + 1);
  } finally {
    await say(personalChat(admin), admin, `remove facilitator ${newcomer.aadObjectId}`);
  }
}, 30_000);

/** Someone who added Re-think for themselves, then removed it: where to reach them is no longer known. */
async function removedPersonally(n: number) {
  const someone = person(n);
  const chat = personalChat(someone);
  const where = { user: someone, conversation: chat, serviceUrl: bed.connector.serviceUrl };
  const remembered = async () => (await bed.db.people.item(someone.aadObjectId, someone.aadObjectId).read<{ personalConversation?: { conversationId: string } }>()).resource?.personalConversation;
  await installPersonally(bed.app, bed.connector, someone);
  await send(bed.app, uninstalled(where));
  expect(await remembered()).toBeUndefined();
  return { chat, where, remembered };
}

test('a message written before Re-think was removed from a personal chat, handled late, does not bring that chat back', async () => {
  const { where, remembered } = await removedPersonally(46);
  await send(bed.app, { ...message('help', where), timestamp: new Date(Date.now() - 60_000).toISOString() });
  await bed.app.idle();
  expect(await remembered()).toBeUndefined();
});

test('the facilitator who accepted a case’s request runs its strategy 3 Re-think with the reference pasted with look-alike dashes, as Word writes them', async () => {
  const caseReference = 'PSCP-2026-1079';
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: 'accepted-pasted', caseReference, accepted: { by: { id: namedFacilitator.id, name: namedFacilitator.name, aadObjectId: namedFacilitator.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  const network = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await network.start(namedFacilitator, { ...START_FORM, caseReference: ' pscp\u20132026\u20111079 ', ...ANSWERS[3] }, '3');
  expect(await bed.db.rethink(network.conversation.id, rethinkId)).toMatchObject({ status: 'open', caseReference, strategy: 3, recommended: { facilitated: true } });
});

test('an install event sent before Re-think was removed from a personal chat, handled late, does not bring that chat back; adding it again does', async () => {
  const { chat, where, remembered } = await removedPersonally(47);
  await send(bed.app, { ...installed(where), timestamp: new Date(Date.now() - 60_000).toISOString() });
  await bed.app.idle();
  expect(await remembered()).toBeUndefined();
  await send(bed.app, { ...installed(where), timestamp: new Date(Date.now() + 1_000).toISOString() });
  await bed.app.idle();
  expect((await remembered())?.conversationId).toBe(chat.id);
});

test('the pool’s list of open requests puts those waiting for someone to accept first, however many are under way, and says when there are more', async () => {
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  for (let n = 0; n < 32; n++) {
    await bed.db.requests.items.create(servedBy(request('accepted', { id: `under-way-${n}`, caseReference: `PSCP-2026-${String(5000 + n)}`, submittedAt: old, accepted: { by: { id: channelFacilitator.id, name: channelFacilitator.name }, at: old } }), bed.connector.serviceUrl));
  }
  await bed.db.requests.items.create(servedBy(request('submitted', { id: 'waiting-newest', caseReference: 'PSCP-2026-5099', submittedAt: new Date().toISOString() }), bed.connector.serviceUrl));
  try {
    await say(channel, channelFacilitator, 'requests');
    const card = bed.connector.posts(channel.id).at(-1);
    const text = card ? cardText(cardOf(card)) : '';
    expect(text.indexOf('**PSCP-2026-5099** · Submitted')).toBeGreaterThan(-1);
    expect(text.indexOf('**PSCP-2026-5099**')).toBeLessThan(text.indexOf('· Accepted'));
    expect(text).toMatch(/more (is|are) not shown here\./i);
  } finally {
    for (let n = 0; n < 32; n++) await bed.db.requests.item(`under-way-${n}`, `under-way-${n}`).delete();
    await bed.db.requests.item('waiting-newest', 'waiting-newest').delete();
  }
});

test('a personal chat Teams has moved to another service URL is noted at that URL at the next message there', async () => {
  const someone = person(48);
  const chat = personalChat(someone);
  await installPersonally(bed.app, bed.connector, someone);
  const noted = async () => (await bed.db.people.item(someone.aadObjectId, someone.aadObjectId).read<{ personalConversation?: { serviceUrl: string } }>()).resource?.personalConversation?.serviceUrl;
  expect(await noted()).toBe(bed.connector.serviceUrl);
  const moved = await startConnector();
  try {
    await send(bed.app, message('help', { user: someone, conversation: chat, serviceUrl: moved.serviceUrl }));
    await bed.app.idle();
    expect(await noted()).toBe(moved.serviceUrl);
  } finally {
    await moved.stop();
  }
});

test('a strategy 3 Re-think started again by its facilitator: one the network is in keeps the request, and the facilitator is told; one left with no one else heard, or gone, gives it to the new one, whose closing completes it', async () => {
  const caseReference = 'PSCP-2026-1081';
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: 'started-twice', caseReference, accepted: { by: { id: namedFacilitator.id, name: namedFacilitator.name, aadObjectId: namedFacilitator.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  const wrongChat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId: abandoned } = await wrongChat.start(namedFacilitator, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  expect((await bed.db.request('started-twice'))?.rethink?.id).toBe(abandoned);
  // Started again in the right chat, the first with no one else heard: the request follows, and the facilitator is told.
  const first = new Driver(bed.app, bed.connector, newGroupChat());
  const moved = await first.start(namedFacilitator, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  const running = moved.rethinkId;
  expect((await bed.db.request('started-twice'))?.rethink?.id).toBe(running);
  expect(cardText(moved.card)).toContain(`The request for case ${caseReference} is now linked to this Re-think, not to the one you started on `);
  // The first one's strategy card pressed again (an older copy, a second tap): the request doesn't go back.
  await wrongChat.press(namedFacilitator, 'confirmStrategy', { rethinkId: abandoned, strategy: '3', strategyReason: '' });
  expect((await bed.db.request('started-twice'))?.rethink?.id).toBe(running);
  // Once the network has contributed there, a start elsewhere leaves it there, and says so.
  await first.press(colleague, 'join', { rethinkId: running, role: 'Teacher', agency: 'School' });
  await first.press(colleague, 'contribute', { rethinkId: running, contribution: 'What the school sees', stage: '1' });
  const kept = await new Driver(bed.app, bed.connector, newGroupChat()).start(namedFacilitator, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  expect((await bed.db.request('started-twice'))?.rethink?.id).toBe(running);
  expect(cardText(kept.card)).toContain(`This Re-think isn’t linked to the request for case ${caseReference}: the strategy 3 Re-think you started on `);
  // The first gone (as if erased with its chat's records): the next start takes the link, and closing it completes the request.
  await bed.db.rethinks.item(running, first.conversation.id).delete();
  const second = new Driver(bed.app, bed.connector, newGroupChat());
  const closed = await rethinkToClose(second, namedFacilitator, [colleague], 3, { outcome: 'resolved' }, caseReference, ANSWERS[3]);
  await bed.app.idle();
  expect(await bed.db.request('started-twice')).toMatchObject({ status: 'completed', rethink: { id: closed.rethinkId } });
});

test('a strategy 3 start form filled in first and confirmed last takes the request from one started in between, which no one else joined; pressed again, it doesn’t take it back', async () => {
  const caseReference = 'PSCP-2026-1083';
  await bed.db.requests.items.create(
    servedBy(request('accepted', { id: 'confirmed-last', caseReference, accepted: { by: { id: namedFacilitator.id, name: namedFacilitator.name, aadObjectId: namedFacilitator.aadObjectId }, at: new Date().toISOString() } }), bed.connector.serviceUrl),
  );
  const first = new Driver(bed.app, bed.connector, newGroupChat());
  const firstCard = await first.startForm(namedFacilitator);
  const proposedFirst = await first.propose(namedFacilitator, firstCard, { ...START_FORM, caseReference, ...ANSWERS[3] });
  const elsewhere = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId: between } = await elsewhere.start(namedFacilitator, { ...START_FORM, caseReference, ...ANSWERS[3] }, '3');
  expect((await bed.db.request('confirmed-last'))?.rethink?.id).toBe(between);
  const confirmed = await first.press(namedFacilitator, 'confirmStrategy', { rethinkId: proposedFirst, strategy: '3', strategyReason: '' }, { replyToId: firstCard });
  expect((await bed.db.request('confirmed-last'))?.rethink?.id).toBe(proposedFirst);
  expect(cardText(confirmed.card)).toContain(`The request for case ${caseReference} is now linked to this Re-think`);
  // The one in between, its Start pressed again (an older copy of its card): the request stays.
  await elsewhere.press(namedFacilitator, 'confirmStrategy', { rethinkId: between, strategy: '3', strategyReason: '' });
  expect((await bed.db.request('confirmed-last'))?.rethink?.id).toBe(proposedFirst);
});

test('asked for in a shared chat, a case’s open request is mentioned without who made it or when, even to its requester: everyone there reads it', async () => {
  await bed.db.requests.items.create(servedBy(request('submitted', { id: 'open-asked-in-group', caseReference: 'PSCP-2026-1082', requester: { id: requester.id, name: requester.name, aadObjectId: requester.aadObjectId } }), bed.connector.serviceUrl));
  const group = newGroupChat();
  await say(group, requester, 'request facilitator PSCP-2026-1082');
  expect(lastText(group.id)).toBe('There is already an open request for an independent facilitator for PSCP-2026-1082. A case has one open request at a time, so no new form has been opened. The case’s lead professional can tell you more.');
  // In their own chat, they are told who and when.
  await say(personalChat(requester), requester, 'request facilitator PSCP-2026-1082');
  expect(lastText(personalChat(requester).id)).toContain(`made by ${requester.name}`);
});

test('the independent facilitator who ran a case’s strategy 3 Re-think may accept its next request: they came from outside the case', async () => {
  const caseReference = 'PSCP-2026-0871';
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  await rethinkToClose(driver, requester, [colleague], 1, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);
  const first = await submitForm(bed.app, bed.connector, requester, await openRequestForm(bed.app, bed.connector, requester, caseReference), COMPLETE_FORM);
  await bed.app.idle();
  expect(cardText((await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId: first.requestId })).card)).toContain('You have accepted this request');
  await bed.app.idle();
  await rethinkToClose(new Driver(bed.app, bed.connector, newGroupChat()), namedFacilitator, [requester, colleague], 3, { outcome: 'partlyResolved' }, caseReference, ANSWERS[1]);
  await bed.app.idle();
  expect((await bed.db.request(first.requestId))?.status).toBe('completed');

  const second = await submitForm(bed.app, bed.connector, requester, await openRequestForm(bed.app, bed.connector, requester, caseReference), COMPLETE_FORM);
  await bed.app.idle();
  // Someone from the network who took part in it is still not independent.
  const refused = await pressIn(bed.app, bed.connector, channel, colleague, 'acceptRequest', { requestId: second.requestId });
  expect(`${cardText(refused.card)}${refused.message ?? ''}`).toContain('You took part in this case’s earlier Re-thinks');
  const again = await pressIn(bed.app, bed.connector, personalChat(namedFacilitator), namedFacilitator, 'acceptRequest', { requestId: second.requestId });
  expect(cardText(again.card)).toContain('You have accepted this request');
}, 90_000);

test('a request card lost far up a chat is found again from the lists: Show this request posts it as it is now, to those who may see it', async () => {
  const form = await openRequestForm(bed.app, bed.connector, requester, 'PSCP-2026-0872');
  const { requestId } = await submitForm(bed.app, bed.connector, requester, form, { ...COMPLETE_FORM, triedInstead: 'A meeting in April.' });
  await bed.app.idle();
  const showFrom = async (user: typeof requester, chat: TestConversation, command: string) => {
    await say(chat, user, command);
    const list = bed.connector.posts(chat.id).at(-1);
    if (!list) throw new Error('no list');
    expect(verbs(cardOf(list))).toContain('showRequest');
    const before = bed.connector.posts(chat.id).length;
    const pressed = await pressIn(bed.app, bed.connector, chat, user, 'showRequest', { requestId }, list.activityId);
    await bed.app.idle();
    return { pressed, posted: bed.connector.posts(chat.id).slice(before) };
  };
  const mine = await showFrom(requester, personalChat(requester), 'my requests');
  expect(mine.pressed.message).toBe('The request for case PSCP-2026-0872, as it is now, is below.');
  expect(mine.posted.map((p) => cardText(cardOf(p)))).toEqual([expect.stringContaining('Independent facilitator request · case PSCP-2026-0872')]);
  expect(verbs(cardOf(mine.posted[0]!))).toContain('withdrawRequest');
  const pool = await showFrom(namedFacilitator, personalChat(namedFacilitator), 'requests');
  expect(verbs(cardOf(pool.posted[0]!))).toContain('acceptRequest');
  // Someone outside the pool, holding the button's data, is shown nothing.
  const outsider = await pressIn(bed.app, bed.connector, personalChat(colleague), colleague, 'showRequest', { requestId });
  expect(outsider.message).toBe(MESSAGES.notPool);
  expect(bed.connector.posts(personalChat(colleague).id).some((p) => JSON.stringify(p.activity).includes('PSCP-2026-0872'))).toBe(false);
  await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'withdrawRequest', { requestId, withdrawReason: 'Test over.' });
}, 30_000);
