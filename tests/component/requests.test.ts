/**
 * Strategy 3 end to end over HTTP: two Re-thinks close not resolved, the request is offered
 * pre-filled, submitted, delivered to the pool, accepted by exactly one of two facilitators at
 * once, scheduled, followed by a linked strategy 3 Re-think, and completed.
 */
import { newGroupChat, person, users, type TestConversation } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, send, startTestBed, type TestBed } from '../helpers/harness';
import { message } from '../helpers/activities';
import { buttonData, COMPLETE_FORM, installPersonally, latestCard, personalChat, pressIn, rethinkToClose } from '../helpers/journeys';

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
  bed = await startTestBed({ env: { ADMIN_IDS: admin.aadObjectId }, delivery: { pollMs: 100, leaseMs: 2_000, sendTimeoutMs: 500 } });
  for (const user of [admin, requester, colleague, channelFacilitator, namedFacilitator]) await installPersonally(bed.app, bed.connector, user);
  // The administrator sets up the pool: a channel, and one named facilitator.
  await say(channel, admin, 'set facilitator channel');
  expect(lastText(channel.id)).toContain('new requests for an independent facilitator will be posted in this channel');
  await say(personalChat(admin), admin, `add facilitator ${namedFacilitator.aadObjectId}`);
  expect(lastText(personalChat(admin).id)).toContain('They will receive new requests in their personal chat');
});
afterAll(() => bed.stop());

test('strategy 1 and 2 not resolved → request pre-filled → submitted → pool → one of two accepts wins → scheduled → linked strategy 3 Re-think → completed', async () => {
  const network = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, network);
  await rethinkToClose(driver, requester, [colleague], 1, { outcome: 'notResolved', nextStep: 'nextStrategy' });
  const s2 = await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' });

  // The summary offers the form; the form is posted, pre-filled from both Re-thinks.
  const summary = cardOf(s2.summary);
  expect(cardText(summary)).toContain('Request an independent facilitator');
  const before = bed.connector.posts(network.id).length;
  await driver.press(requester, 'showRequestForm', buttonData(summary, 'showRequestForm'));
  const formPost = bed.connector.posts(network.id)[before];
  if (!formPost) throw new Error('No form was posted');
  const form = cardOf(formPost);
  const formText = cardText(form);
  expect(formText).toContain(`Request an independent facilitator · case ${START_FORM.caseReference}`);
  expect(formText).toMatch(/Strategy 1 · Not resolved/);
  expect(formText).toMatch(/Strategy 2 · Not resolved/);
  expect(formText).toContain('Share the plan (strategy 2)');
  const submitData = buttonData(form, 'submitRequest');
  const requestId = String(submitData.requestId);

  // Missing fields: shown on the card, what was typed is kept, nothing saved.
  const partial = await driver.press(requester, 'submitRequest', { ...submitData, requesterRole: 'Health visitor', urgency: 'soon' }, { replyToId: formPost.activityId });
  expect(cardText(partial.card)).toContain('Please enter how the facilitator can contact you');
  expect(JSON.stringify(partial.card)).toContain('"value":"Health visitor"');
  expect(await bed.db.request(requestId)).toBeUndefined();

  const submitted = await driver.press(requester, 'submitRequest', { ...submitData, ...COMPLETE_FORM }, { replyToId: formPost.activityId });
  expect(cardText(submitted.card)).toContain('Your request has been sent to the independent facilitators');
  // Pressed again: one request, and it says so.
  const again = await driver.press(requester, 'submitRequest', { ...submitData, ...COMPLETE_FORM }, { replyToId: formPost.activityId });
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
  await waitUntil(() => cardText(latestCard(bed.connector, network.id, formPost.activityId)).includes(`Accepted by ${winner.name}`));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes(`${winner.name} has accepted your request`));

  // Only the facilitator who accepted can schedule; the requester and the network are told.
  const loser = winner === channelFacilitator ? namedFacilitator : channelFacilitator;
  const loserConversation = loser === channelFacilitator ? channel : personalChat(namedFacilitator);
  const notTheirs = await pressIn(bed.app, bed.connector, loserConversation, loser, 'scheduleRequest', { requestId, meetingDate: '2030-02-05', meetingTime: '10:30', meetingFormat: 'virtual' });
  expect(cardText(notTheirs.card)).toContain(`Only ${winner.name} can schedule`);
  const scheduled = await pressIn(bed.app, bed.connector, winnerConversation, winner, 'scheduleRequest', { requestId, meetingDate: '2030-02-05', meetingTime: '10:30', meetingFormat: 'virtual' });
  expect(cardText(scheduled.card)).toContain('The meeting is saved');
  await bed.connector.waitFor((c) => c.conversationId === personalChat(colleague).id && (c.activity.text ?? '').includes('5 February 2030 at 10:30'));
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes('5 February 2030 at 10:30'));

  // The facilitator runs the strategy 3 Re-think with the network: it is linked, and closing it completes the request.
  const s3Chat = new Driver(bed.app, bed.connector, newGroupChat());
  const s3 = await rethinkToClose(s3Chat, winner, [requester, colleague], 3, { outcome: 'resolved' });
  const completed = await bed.db.request(requestId);
  expect(completed).toMatchObject({ status: 'completed', rethink: { id: s3.rethinkId } });
  await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && (c.activity.text ?? '').includes('has been held and closed'));
  expect(completed?.audit.map((a) => a.what)).toEqual(expect.arrayContaining(['submitted', 'accepted', 'scheduled', 'rethinkLinked', 'completed']));

  // Lists: the requester's own, and the pool's open ones (this one is no longer open).
  await say(personalChat(requester), requester, 'my requests');
  expect(lastText(personalChat(requester).id)).toContain(`**${START_FORM.caseReference}** · Completed`);
}, 60_000);

test('access: no pre-filled history for someone who took part in none of the case’s Re-thinks; only the pool accepts; only the requester withdraws; only administrators set the pool', async () => {
  const chat = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  const caseReference = 'PSCP-2026-0777';
  await rethinkToClose(driver, requester, [colleague], 2, { outcome: 'notResolved', nextStep: 'nextStrategy' }, caseReference);

  // A stranger asks for the form for that case: nothing of its history is shown, and they must say what was tried.
  const stranger = person(7);
  const strangerChat = newGroupChat();
  await send(bed.app, message(`request facilitator ${caseReference}`, { user: stranger, conversation: strangerChat, serviceUrl: bed.connector.serviceUrl }));
  const strangerPost = bed.connector.posts(strangerChat.id).at(-1);
  if (!strangerPost) throw new Error('no form');
  const strangerForm = cardOf(strangerPost);
  expect(cardText(strangerForm)).toContain('No Re-thinks you took part in are recorded for this case.');
  expect(cardText(strangerForm)).not.toContain('Share the plan');
  expect(cardText(strangerForm)).toContain('what has been tried instead');

  // The requester submits; a non-member of the pool cannot accept; a facilitator cannot withdraw.
  await driver.say(requester, `request facilitator ${caseReference}`);
  const formPost = bed.connector.posts(chat.id).at(-1);
  if (!formPost) throw new Error('no form');
  const data = buttonData(cardOf(formPost), 'submitRequest');
  const requestId = String(data.requestId);
  // Only strategy 2 is recorded for this case: the form asks what was tried instead of strategy 1.
  const submitted = await driver.press(requester, 'submitRequest', { ...data, ...COMPLETE_FORM, triedInstead: 'A conversation with the lead professional in March.' }, { replyToId: formPost.activityId });
  expect(cardText(submitted.card)).toContain('Your request has been sent');

  const outsider = await pressIn(bed.app, bed.connector, newGroupChat(), stranger, 'acceptRequest', { requestId });
  expect(cardText(outsider.card)).toContain('Only the partnership’s independent facilitators can do that');
  expect((await bed.db.request(requestId))?.status).toBe('submitted');

  const notRequester = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'withdrawRequest', { requestId, withdrawReason: 'Not mine to withdraw' });
  expect(cardText(notRequester.card)).toContain(`Only ${requester.name}, who made the request, can withdraw it`);
  const withdrawn = await driver.press(requester, 'withdrawRequest', { requestId, withdrawReason: 'The family moved out of the area.' });
  expect(cardText(withdrawn.card)).toContain('The request is withdrawn');
  // Accepting a withdrawn request: a clear message, nothing changed.
  const late = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId });
  expect(cardText(late.card)).toContain('This request is withdrawn');
  expect((await bed.db.request(requestId))?.accepted).toBeUndefined();

  // Only administrators set the pool.
  await say(channel, channelFacilitator, 'set facilitator channel');
  expect(lastText(channel.id)).toContain('Only the partnership’s administrators can change the facilitator pool');
}, 60_000);

test('bad input: a forged request id, over-long text, an accept already taken — each a clear message, nothing changed', async () => {
  const forged = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId: 'not-a-real-request' });
  expect(forged.message).toContain('I can’t find that request');
  const injected = await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'acceptRequest', { requestId: '../../etc' });
  expect(injected.message).toContain('I can’t find that request');

  const chat = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  await driver.say(requester, 'request facilitator PSCP-2026-0888');
  const formPost = bed.connector.posts(chat.id).at(-1);
  if (!formPost) throw new Error('no form');
  const data = buttonData(cardOf(formPost), 'submitRequest');
  const tooLong = await driver.press(requester, 'submitRequest', { ...data, ...COMPLETE_FORM, triedInstead: 'Meetings in May and June.', concernSummary: 'x'.repeat(501) }, { replyToId: formPost.activityId });
  expect(cardText(tooLong.card)).toContain('the limit is 500');
  expect(await bed.db.request(String(data.requestId))).toBeUndefined();

  await driver.press(requester, 'submitRequest', { ...data, ...COMPLETE_FORM, triedInstead: 'Meetings in May and June.' }, { replyToId: formPost.activityId });
  const requestId = String(data.requestId);
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
  const chat = newGroupChat();
  const driver = new Driver(bed.app, bed.connector, chat);
  await driver.say(requester, 'request facilitator PSCP-2026-0999');
  const formPost = bed.connector.posts(chat.id).at(-1);
  if (!formPost) throw new Error('no form');
  const data = buttonData(cardOf(formPost), 'submitRequest');
  const requestId = String(data.requestId);
  await driver.press(requester, 'submitRequest', { ...data, ...COMPLETE_FORM, triedInstead: 'A professionals meeting in May.' }, { replyToId: formPost.activityId });
  await pressIn(bed.app, bed.connector, channel, channelFacilitator, 'askQuestion', { requestId, question: 'Has the school been invited?' });
  const questionCard = await bed.connector.waitFor((c) => c.conversationId === personalChat(requester).id && JSON.stringify(c.activity).includes('Has the school been invited?'));
  const answerData = buttonData(cardOf(questionCard), 'answerQuestion');
  const answered = await pressIn(bed.app, bed.connector, personalChat(requester), requester, 'answerQuestion', { ...answerData, answer: 'Yes, the designated safeguarding lead.' });
  expect(cardText(answered.card)).toContain('your answer has been sent');
  await bed.connector.waitFor((c) => c.conversationId === personalChat(channelFacilitator).id && (c.activity.text ?? '').includes('Yes, the designated safeguarding lead.'));
  const stored = await bed.db.request(requestId);
  expect(stored?.questions[0]).toMatchObject({ text: 'Has the school been invited?', answer: 'Yes, the designated safeguarding lead.' });
}, 30_000);

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
