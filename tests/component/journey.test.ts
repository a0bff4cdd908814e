/**
 * The whole journey over HTTP with Teams-shaped activities, against the embedded store through
 * the real SDK and a local connector that captures what the bot sends.
 */
import { AHEAD, membersRemoved, message, newGroupChat, person, submit, users } from '../helpers/activities';
import { cardOf, startConnector } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { input } from '../helpers/adaptiveCards';
import { cardText, executeActions, send, startTestBed, type TestBed } from '../helpers/harness';
import { buttonData, personalChat, rethinkToClose } from '../helpers/journeys';
import { closedRethink } from '../fixtures/cards/rethinks';
import { rethinkRepository } from '../../services/store/rethinks';
import { conversationKey } from '../../bot/turn';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(() => bed.stop());

const { megan, adele, isaiah } = users;
const due = `${AHEAD}-01-31`;

test('a group chat takes a Re-think from start through five stages and actions to close', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId, card } = await chat.start(megan);

  // Strategy 2 (lead professional); the start card became the Re-think card, facilitated by Megan.
  expect(cardText(card)).toContain('Stage 1 of 5: What has happened?');
  expect(cardText(card)).toContain('You are facilitating');
  let doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc).toMatchObject({ status: 'open', strategy: 2, stage: 1, facilitatorId: megan.id, cardActivityId: cardId, caseReference: 'PSCP-2026-0042' });
  expect(cardText(chat.sharedCard(cardId))).toContain('Stage 1 of 5');

  // Others join; their role and agency show to everyone.
  await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'Primary school' }, { replyToId: cardId });
  const joined = await chat.press(isaiah, 'join', { rethinkId, role: 'Health visitor', agency: '0-19 health service' }, { replyToId: cardId });
  expect(cardText(joined.card)).toContain('You have joined');
  expect(cardText(chat.sharedCard(cardId))).toContain('Isaiah Langer · Health visitor, 0-19 health service');

  for (let stage = 1; stage <= 5; stage++) {
    await chat.press(megan, 'contribute', { rethinkId, contribution: `Megan at stage ${stage}` });
    await chat.press(adele, 'contribute', { rethinkId, contribution: `Adele at stage ${stage}` });
    if (stage === 1) {
      // Every perspective heard: Isaiah has not contributed, so Megan is asked to confirm.
      const asked = await chat.press(megan, 'advance', { rethinkId, confirmed: false });
      expect(cardText(asked.card)).toContain('Isaiah Langer has not contributed to this stage yet');
      expect(executeActions(asked.card).some((a) => a.verb === 'advance' && a.data.confirmed === true)).toBe(true);
      expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.stage).toBe(1);
    }
    await chat.press(isaiah, 'contribute', { rethinkId, contribution: `Isaiah at stage ${stage}` });
    if (stage === 3) {
      // Hand-over: Adele facilitates from here; Megan can no longer move the group on.
      const handed = await chat.press(megan, 'handOver', { rethinkId, handOverTo: adele.id });
      expect(cardText(handed.card)).toContain('Adele Vance is now facilitating');
      const refused = await chat.press(megan, 'advance', { rethinkId, confirmed: false });
      expect(cardText(refused.card)).toContain('Only the facilitator, Adele Vance, can do this.');
    }
    const facilitator = stage >= 3 ? adele : megan;
    if (stage < 5) {
      const moved = await chat.press(facilitator, 'advance', { rethinkId, confirmed: false });
      expect(cardText(moved.card)).toContain(`Stage ${stage + 1} of 5`);
    }
  }

  // Stage 5: actions with owners and due dates; edit and remove until closed.
  await chat.press(isaiah, 'addAction', { rethinkId, actionDescription: 'Arrange a health review', actionOwner: isaiah.id, actionOwnerName: '', actionDue: due });
  await chat.press(megan, 'addAction', { rethinkId, actionDescription: 'Share the updated plan', actionOwner: '__external', actionOwnerName: 'Team manager, children’s social care', actionDue: due });
  await chat.press(adele, 'addAction', { rethinkId, actionDescription: 'A mistake', actionOwner: adele.id, actionDue: due });
  doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  const [health, , mistake] = doc?.actions ?? [];
  // Isaiah opens the editor of his own action on his card, and saves the change.
  const editor = await chat.press(isaiah, 'showActionEditor', { rethinkId, chosenActionId: health?.id });
  expect(executeActions(editor.card).find((a) => a.verb === 'editAction')?.data.actionId).toBe(health?.id);
  // Without per-person views (Action.Submit), the editor comes on a card posted for everyone.
  const postedBefore = bed.connector.posts(chat.conversation.id).length;
  await chat.submit(isaiah, { verb: 'showActionEditor', rethinkId, chosenActionId: health?.id });
  await bed.app.idle();
  const posted = bed.connector.posts(chat.conversation.id).slice(postedBefore).find((p) => p.activity.attachments?.length);
  expect(executeActions(posted ? cardOf(posted) : {}).find((a) => a.verb === 'editAction')?.data.actionId).toBe(health?.id);
  const notHis = await chat.press(isaiah, 'showActionEditor', { rethinkId, chosenActionId: mistake?.id });
  expect(cardText(notHis.card)).toContain('Only the person who added this action, or the facilitator, can change it.');
  const pastDate = await chat.press(isaiah, 'editAction', { rethinkId, actionId: health?.id, editDescription: 'Arrange a health review within two weeks', editOwner: isaiah.id, editDue: '2020-01-01' });
  expect(cardText(pastDate.card)).toContain('The due date is in the past');
  expect(cardText(pastDate.card)).toContain('Arrange a health review within two weeks');
  await chat.press(isaiah, 'editAction', { rethinkId, actionId: health?.id, editDescription: 'Arrange a health review within two weeks', editOwner: isaiah.id, editDue: due });
  await chat.press(adele, 'removeAction', { rethinkId, chosenActionId: mistake?.id });

  // Only the facilitator closes.
  const notYou = await chat.press(megan, 'close', { rethinkId, outcome: 'resolved' });
  expect(cardText(notYou.card)).toContain('Only the facilitator');
  const before = bed.connector.posts(chat.conversation.id).length;
  const closed = await chat.press(adele, 'close', { rethinkId, outcome: 'partlyResolved' });
  expect(cardText(closed.card)).toContain('Outcome: Partly resolved');

  // The summary card is posted: case, strategy, people and agencies, each stage, actions, outcome.
  const summary = cardText(cardOf(bed.connector.posts(chat.conversation.id)[before]!));
  for (const expected of ['Re-think summary · case PSCP-2026-0042', 'Strategy 2', 'Primary school', 'Stage 1: What has happened?', 'Isaiah at stage 4', 'Arrange a health review within two weeks: Isaiah Langer', 'Team manager, children’s social care', 'Outcome: Partly resolved']) {
    expect(summary).toContain(expected);
  }
  expect(summary).not.toContain('A mistake');

  // Everything is in Cosmos, audited with ids only.
  doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc).toMatchObject({ status: 'closed', stage: 5, facilitatorId: adele.id, outcome: { kind: 'partlyResolved', recordedBy: adele.id } });
  expect(doc?.contributions).toHaveLength(15);
  expect(doc?.participants.map((p) => p.name)).toEqual(['Megan Bowen', 'Adele Vance', 'Isaiah Langer']);
  expect(doc?.actions.filter((a) => !a.removedAt).map((a) => a.description)).toEqual(['Arrange a health review within two weeks', 'Share the updated plan']);
  expect(doc?.actions.find((a) => a.description === 'A mistake')).toMatchObject({ removedBy: adele.id });
  expect(doc?.actions[0]?.previous?.map((p) => p.description)).toEqual(['Arrange a health review']);
  const audit = doc?.audit.map((a) => a.what) ?? [];
  expect(audit.filter((w) => w === 'contributed')).toHaveLength(15);
  expect(audit).toEqual(expect.arrayContaining(['started', 'strategyConfirmed', 'joined', 'advanced', 'handedOver', 'actionAdded', 'actionEdited', 'actionRemoved', 'closed']));
  expect(JSON.stringify(doc?.audit)).not.toMatch(/stage 1|Arrange/);

  // A closed Re-think is read-only, and its shared card says so.
  const late = await chat.press(isaiah, 'contribute', { rethinkId, contribution: 'one more thing' });
  expect(cardText(late.card)).toContain('This Re-think is closed');
  // Even with a field left empty, what matters is that it is closed.
  const empty = await chat.press(megan, 'close', { rethinkId, outcome: '' });
  expect(cardText(empty.card)).toContain('This Re-think is closed, so it can no longer be changed.');
  expect(cardText(empty.card)).not.toContain('Please choose the outcome');
  expect(cardText(chat.sharedCard(cardId))).toContain('This Re-think is closed and can no longer be changed');
  expect(executeActions(chat.sharedCard(cardId))).toEqual([]);
});

test('an action changed while someone else had it open is not changed back: they are shown it as it now is', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  await chat.press(isaiah, 'join', { rethinkId, role: 'School nurse', agency: 'Health' });
  for (let stage = 1; stage < 5; stage++) await chat.press(megan, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  await chat.press(isaiah, 'addAction', { rethinkId, actionDescription: 'Call the GP', actionOwner: isaiah.id, actionOwnerName: '', actionDue: due });
  const actionId = (await bed.db.rethink(chat.conversation.id, rethinkId))?.actions[0]?.id;
  // Megan (facilitating) and Isaiah (who added it) both open its editor.
  const save = async (user: typeof megan) => buttonData((await chat.press(user, 'showActionEditor', { rethinkId, chosenActionId: actionId })).card ?? {}, 'editAction');
  const megansEditor = await save(megan);
  const isaiahsEditor = await save(isaiah);
  expect(megansEditor.actionVersion).toEqual(expect.any(String));
  // Isaiah saves first; pressing Save twice is one change, not a clash with itself.
  const his = { ...isaiahsEditor, editDescription: 'Call the GP and the school nurse', editOwner: isaiah.id, editDue: due };
  await chat.press(isaiah, 'editAction', his);
  expect(cardText((await chat.press(isaiah, 'editAction', his)).card)).toContain('The action is updated.');
  // Megan's editor was opened on the older version: her change would undo his, unseen.
  const stale = await chat.press(megan, 'editAction', { ...megansEditor, editDescription: 'Call the GP', editOwner: isaiah.id, editDue: `${AHEAD}-02-20` });
  expect(cardText(stale.card)).toContain('This action was changed while you had it open, so your change wasn’t saved.');
  // Her editor is open again, on what he saved, with the new version.
  expect(input(stale.card ?? {}, 'editDescription')?.value).toBe('Call the GP and the school nurse');
  const again = buttonData(stale.card ?? {}, 'editAction');
  expect(again.actionVersion).not.toBe(megansEditor.actionVersion);
  let action = (await bed.db.rethink(chat.conversation.id, rethinkId))?.actions[0];
  expect(action).toMatchObject({ description: 'Call the GP and the school nurse', dueDate: due });
  expect(action?.previous).toHaveLength(1);
  // Nor can the older editor remove it.
  const removal = await chat.press(megan, 'removeAction', { rethinkId, actionId, actionVersion: megansEditor.actionVersion });
  expect(cardText(removal.card)).toContain('your change wasn’t saved');
  // A refused date keeps the version she opened, so fixing it still can't overwrite a change made meanwhile.
  const pastDate = await chat.press(megan, 'editAction', { ...again, editDescription: 'Call the GP and the school nurse', editOwner: isaiah.id, editDue: '2020-01-01' });
  expect(cardText(pastDate.card)).toContain('The due date is in the past');
  expect(buttonData(pastDate.card ?? {}, 'editAction').actionVersion).toBe(again.actionVersion);
  // Made again on the version she has now seen, her change is saved.
  await chat.press(megan, 'editAction', { ...again, editDescription: 'Call the GP and the school nurse', editOwner: isaiah.id, editDue: `${AHEAD}-02-20` });
  action = (await bed.db.rethink(chat.conversation.id, rethinkId))?.actions[0];
  expect(action).toMatchObject({ description: 'Call the GP and the school nurse', dueDate: `${AHEAD}-02-20` });
  expect(action?.previous?.map((p) => p.description)).toEqual(['Call the GP', 'Call the GP and the school nurse']);
});

test('in a personal chat the facilitator records contributions for people on the phone', async () => {
  const chat = new Driver(bed.app, bed.connector, { id: `a:personal-${Date.now()}`, conversationType: 'personal' });
  const { rethinkId } = await chat.start(users.alex, { ...START_FORM, mode: 'phone', isLeadProfessional: 'false' }, '1');
  for (let stage = 1; stage <= 5; stage++) {
    await chat.press(users.alex, 'contribute', { rethinkId, contribution: `My view at stage ${stage}` });
    const recorded = await chat.press(users.alex, 'contributeOnBehalf', { rethinkId, behalfName: 'Pat Jones', behalfRole: 'GP', behalfAgency: 'Surgery', behalfText: `Pat at stage ${stage}` });
    expect(cardText(recorded.card)).toContain('Pat Jones (GP, Surgery), recorded by the facilitator');
    if (stage < 5) await chat.press(users.alex, 'advance', { rethinkId, confirmed: false });
  }
  await chat.press(users.alex, 'addAction', { rethinkId, actionDescription: 'Call back', actionOwner: '__external', actionOwnerName: 'Pat Jones', actionDue: due });
  await chat.press(users.alex, 'close', { rethinkId, outcome: 'resolved' });
  const doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc).toMatchObject({ status: 'closed', strategy: 1, mode: 'phone', outcome: { kind: 'resolved' } });
  expect(doc?.participants.filter((p) => p.external).map((p) => p.name)).toEqual(['Pat Jones']);
  expect(doc?.contributions).toHaveLength(10);
});

test('recording for a second person of the same name: asked whether it is someone else, then corrected from the card', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  const first = await chat.press(megan, 'contributeOnBehalf', { rethinkId, behalfName: 'Pat Jones', behalfRole: 'GP', behalfAgency: 'Surgery', behalfText: 'Pat’s view' });
  // Someone is now recorded by phone: the form offers to say a name typed again is them.
  expect(input(first.card ?? {}, 'behalfSamePerson')).toMatchObject({ type: 'Input.Toggle', value: 'false' });

  const asked = await chat.press(megan, 'contributeOnBehalf', { rethinkId, behalfName: 'Pat Jones', behalfRole: 'GP', behalfAgency: 'Solent NHS', behalfText: 'Pat’s view, agency corrected', behalfSamePerson: 'false' });
  expect(cardText(asked.card)).toContain('Pat Jones from Surgery is already recorded here.');
  // What was typed is kept on the card for the second try.
  expect(input(asked.card ?? {}, 'behalfAgency')?.value).toBe('Solent NHS');
  expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.participants.filter((p) => p.external).map((p) => p.agency)).toEqual(['Surgery']);

  await chat.press(megan, 'contributeOnBehalf', { rethinkId, behalfName: 'Pat Jones', behalfRole: 'GP', behalfAgency: 'Solent NHS', behalfText: 'Pat’s view, agency corrected', behalfSamePerson: 'true' });
  const doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc?.participants.filter((p) => p.external).map((p) => [p.name, p.agency])).toEqual([['Pat Jones', 'Solent NHS']]);
  expect(doc?.contributions.filter((c) => c.text.startsWith('Pat’s view'))).toEqual([expect.objectContaining({ text: 'Pat’s view, agency corrected', previous: [expect.objectContaining({ text: 'Pat’s view', agency: 'Surgery' })] })]);
});

test('recording again for someone already heard at this stage replaces what was said only when the facilitator says so', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  const sam = { rethinkId, behalfName: 'Sam Jones', behalfRole: 'Health visitor', behalfAgency: 'Health', stage: '1' };
  const first = await chat.press(megan, 'contributeOnBehalf', { ...sam, behalfText: 'The family missed three appointments.' });
  expect(input(first.card ?? {}, 'behalfReplace')).toBeUndefined();
  // A later call with Sam: what was typed would take the place of what they said before.
  const asked = await chat.press(megan, 'contributeOnBehalf', { ...sam, behalfText: 'Sam also worries about housing.' });
  expect(cardText(asked.card)).toContain('Sam Jones already has a contribution recorded at this stage (by Megan Bowen). What you typed would take its place');
  expect(input(asked.card ?? {}, 'behalfText')?.value).toBe('Sam also worries about housing.');
  expect(input(asked.card ?? {}, 'behalfReplace')).toMatchObject({ type: 'Input.Toggle', value: 'false' });
  let doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc?.contributions.map((c) => c.text)).toEqual(['The family missed three appointments.']);
  // Both, said together, replace it; the record keeps the earlier words.
  await chat.press(megan, 'contributeOnBehalf', { ...sam, behalfText: 'The family missed three appointments. Sam also worries about housing.', behalfReplace: 'true' });
  doc = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(doc?.contributions).toEqual([
    expect.objectContaining({ text: 'The family missed three appointments. Sam also worries about housing.', previous: [expect.objectContaining({ text: 'The family missed three appointments.' })] }),
  ]);
});

test('each person gets their own view on refresh: facilitator controls only for the facilitator', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await chat.start(megan);
  await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  const shared = chat.sharedCard(cardId) as { refresh?: { userIds?: string[]; action?: { verb?: string } } };
  expect(shared.refresh?.userIds).toEqual([megan.id, adele.id]);
  expect(shared.refresh?.action?.verb).toBe('refresh');

  const facilitatorView = await chat.press(megan, 'refresh', { rethinkId });
  const participantView = await chat.press(adele, 'refresh', { rethinkId });
  const outsiderView = await chat.press(isaiah, 'refresh', { rethinkId });
  const verbs = (card: unknown) => executeActions(card).map((a) => a.verb);
  expect(verbs(facilitatorView.card)).toEqual(expect.arrayContaining(['advance', 'handOver', 'contributeOnBehalf']));
  expect(verbs(participantView.card)).not.toContain('advance');
  expect(verbs(participantView.card)).toContain('contribute');
  expect(verbs(outsiderView.card)).toContain('join');
  expect(verbs(outsiderView.card)).not.toContain('contribute');
});

test('joining remembers role and agency for the next Re-think', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  const newcomer = person(501);
  await chat.press(newcomer, 'join', { rethinkId, role: 'School nurse', agency: 'School nursing', rememberedRole: '', rememberedAgency: '' });
  const { resource } = await bed.db.people.item(newcomer.aadObjectId, newcomer.aadObjectId).read();
  expect(resource).toMatchObject({ role: 'School nurse', agency: 'School nursing' });

  const next = new Driver(bed.app, bed.connector, newGroupChat());
  const second = await next.start(megan);
  const view = await next.press(newcomer, 'refresh', { rethinkId: second.rethinkId });
  expect(cardText(view.card)).toContain('School nurse');
});

test('Action.Submit (where Execute is unsupported) is routed the same way and updates the card in place', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await chat.start(megan);
  bed.connector.reset();
  await chat.submit(adele, { verb: 'join', rethinkId, role: 'Teacher', agency: 'Primary school' }, cardId);
  expect(bed.connector.updates(chat.conversation.id).map((u) => u.activityId)).toContain(cardId);
  expect(cardText(chat.sharedCard(cardId))).toContain('Adele Vance · Teacher, Primary school');

  // A refusal reaches the person as a message, and the shared card is not changed.
  bed.connector.reset();
  await chat.submit(adele, { verb: 'advance', rethinkId, confirmed: false }, cardId);
  expect(bed.connector.updates()).toHaveLength(0);
  // Posted for everyone in the chat, so it says whom it is for.
  expect(bed.connector.posts(chat.conversation.id).map((p) => p.activity.text)).toEqual(['For Adele Vance: Only the facilitator, Megan Bowen, can do this.']);
});

test('Action.Submit confirming the strategy from a client that names no card posts exactly one Re-think card, which later changes update', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const formId = await chat.startForm(megan);
  const rethinkId = await chat.propose(megan, formId, START_FORM);
  const before = bed.connector.posts(chat.conversation.id).length;
  const noCard = submit({ verb: 'confirmStrategy', rethinkId, strategy: '2', strategyReason: '' }, chat.where(megan));
  expect(noCard).not.toHaveProperty('replyToId');
  expect((await send(bed.app, noCard)).status).toBe(200);
  await bed.app.idle();
  const posted = bed.connector.posts(chat.conversation.id).slice(before).filter((p) => p.activity.attachments?.length);
  expect(posted).toHaveLength(1);
  expect(cardText(cardOf(posted[0]!))).toContain('Stage 1 of 5');
  const stored = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(stored?.cardActivityId).toBe(posted[0]?.activityId);
  // That card is the one kept up to date.
  bed.connector.reset();
  await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'Primary school' });
  expect(bed.connector.updates(chat.conversation.id).map((u) => u.activityId)).toEqual([posted[0]?.activityId]);
});

describe('commands', () => {
  test('installing posts the welcome card and stores the conversation reference', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const { installed } = await import('../helpers/activities');
    await import('../helpers/harness').then(({ send }) => send(bed.app, installed(chat.where(megan))));
    const welcome = cardText(cardOf(bed.connector.posts(chat.conversation.id).at(-1)!));
    expect(welcome).toContain('Welcome to Re-think');
    expect(welcome).toContain('Please don’t enter the names or dates of birth of children or family members');
    // Its button opens the start form, as typing start does.
    const [startButton] = executeActions(cardOf(bed.connector.posts(chat.conversation.id).at(-1)!));
    expect(startButton?.verb).toBe('showStart');
    const beforeForm = bed.connector.posts(chat.conversation.id).length;
    await chat.press(megan, startButton?.verb ?? '', startButton?.data ?? {});
    const form = bed.connector.posts(chat.conversation.id).slice(beforeForm);
    expect(form.some((p) => input(cardOf(p), 'caseReference') !== undefined)).toBe(true);
    const upgraded = { ...installed(chat.where(megan)), action: 'add-upgrade' };
    const before = bed.connector.posts(chat.conversation.id).length;
    await import('../helpers/harness').then(({ send }) => send(bed.app, upgraded));
    expect(bed.connector.posts(chat.conversation.id)).toHaveLength(before);
    const { resources } = await bed.db.conversations.items.query({ query: 'SELECT * FROM c WHERE c.conversationId = @c', parameters: [{ name: '@c', value: chat.conversation.id }] }).fetchAll();
    expect(resources[0]).toMatchObject({ conversationId: chat.conversation.id, serviceUrl: bed.connector.serviceUrl, conversationKind: 'groupChat' });
  });

  test('in a channel, everyone’s card is updated in its thread; status in another thread lists the channel’s open Re-thinks, and one shown there moves there', async () => {
    const channel = `19:${Date.now()}chan@thread.tacv2`;
    const thread = new Driver(bed.app, bed.connector, { id: `${channel};messageid=111`, conversationType: 'channel', isGroup: true });
    const { rethinkId, cardId } = await thread.start(megan);
    // Everyone's card is updated where it was posted: in that thread.
    await thread.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
    expect(bed.connector.updates(thread.conversation.id).at(-1)?.activityId).toBe(cardId);
    expect(cardText(thread.sharedCard(cardId))).toContain('Adele');
    const newPost = new Driver(bed.app, bed.connector, { id: `${channel};messageid=222`, conversationType: 'channel', isGroup: true });
    await newPost.say(adele, 'status');
    // Not this thread's: the channel's open ones to choose from, none moved here unasked.
    const [said, listed] = bed.connector.posts(newPost.conversation.id).slice(-2);
    expect(said?.activity.text).toContain('No Re-think is open in this thread.');
    const [show] = executeActions(cardOf(listed!));
    expect(show).toMatchObject({ verb: 'showRethink', data: { rethinkId } });
    // Teams refusing the first of the two messages doesn't keep back the second; the turn still says something went wrong.
    const another = new Driver(bed.app, bed.connector, { id: `${channel};messageid=333`, conversationType: 'channel', isGroup: true });
    bed.connector.failNextPosts(1, 400);
    await another.say(adele, 'status');
    const reached = bed.connector.posts(another.conversation.id);
    expect(reached.map((p) => p.activity.text ?? '')).not.toContainEqual(expect.stringContaining('No Re-think is open in this thread.'));
    expect(executeActions(cardOf(reached.at(-2)!))[0]).toMatchObject({ verb: 'showRethink', data: { rethinkId } });
    expect(reached.at(-1)?.activity.text).toBe('Sorry, something went wrong. Please try again.');
    // The card refused after its text: the text isn't left pointing at nothing.
    const third = new Driver(bed.app, bed.connector, { id: `${channel};messageid=444`, conversationType: 'channel', isGroup: true });
    bed.connector.failNextPosts(1, 400, 1);
    await third.say(adele, 'status');
    expect(bed.connector.posts(third.conversation.id).map((p) => p.activity.text ?? '')).toEqual([expect.stringContaining('No Re-think is open in this thread.'), 'Sorry, something went wrong. Please try again.']);
    expect(await bed.db.rethinksIn(channel)).toMatchObject([{ cardActivityId: cardId, cardConversationId: thread.conversation.id }]);
    await newPost.press(adele, 'showRethink', { rethinkId });
    const reposted = bed.connector.posts(newPost.conversation.id).at(-1)!;
    expect(cardText(cardOf(reposted))).toContain('Stage 1 of 5');
    expect((await bed.db.rethinksIn(channel)).map((r) => r.conversationKind)).toEqual(['channel']);
    // A change made from the first thread updates the re-posted copy, in the thread it lives in.
    const updatesBefore = bed.connector.updates().length;
    await thread.press(megan, 'contribute', { rethinkId, contribution: 'We are worried about attendance.' });
    const sent = bed.connector.updates().slice(updatesBefore);
    expect(sent.map((u) => [u.conversationId, u.activityId])).toEqual([[newPost.conversation.id, reposted.activityId]]);
    expect(cardText(cardOf(sent[0]!))).toContain('We are worried about attendance.');
    expect(await bed.db.rethinksIn(channel)).toMatchObject([{ cardActivityId: reposted.activityId, cardConversationId: newPost.conversation.id }]);
  });

  test('in a channel, status typed in a thread means that thread’s case, not the newest in the channel; in a thread with none, request facilitator asks which case', async () => {
    const channel = `19:${Date.now()}locality@thread.tacv2`;
    const inThread = (post: number) => new Driver(bed.app, bed.connector, { id: `${channel};messageid=${post}`, conversationType: 'channel', isGroup: true });
    const [first, second] = [inThread(311), inThread(322)];
    const one = await first.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-3111' });
    const two = await second.start(adele, { ...START_FORM, caseReference: 'PSCP-2026-3222' });
    // The second changed last: the newest in the channel.
    await second.press(adele, 'contribute', { rethinkId: two.rethinkId, contribution: 'The second case moves on.' });
    await first.say(megan, 'status');
    const shown = bed.connector.posts(first.conversation.id).at(-1)!;
    expect(cardText(cardOf(shown))).toContain('PSCP-2026-3111');
    expect(await bed.db.rethink(channel, two.rethinkId)).toMatchObject({ cardConversationId: second.conversation.id, cardActivityId: two.cardId });
    expect(await bed.db.rethink(channel, one.rethinkId)).toMatchObject({ cardConversationId: first.conversation.id });

    // A thread with none of its own.
    const third = inThread(333);
    await third.say(megan, 'request facilitator');
    expect(bed.connector.posts(third.conversation.id).at(-1)?.activity.text).toContain('Which case is the request for?');
    // A start form in a channel says who can read it: the whole team, and whoever joins it later.
    await third.say(megan, 'start');
    expect(cardText(cardOf(bed.connector.posts(third.conversation.id).at(-1)!))).toContain('This is a team channel: everyone in the team can read it, including guests and anyone added later');
  });

  test('the facilitator removed from the group chat: the chat is told, and anyone who has joined can take over at once', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const { rethinkId, cardId } = await chat.start(megan);
    await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
    // Someone else leaving says nothing.
    const postsBefore = bed.connector.posts(chat.conversation.id).length;
    await send(bed.app, membersRemoved(chat.where(megan), [person(72)]));
    expect(bed.connector.posts(chat.conversation.id)).toHaveLength(postsBefore);
    const left = membersRemoved(chat.where(adele), [megan]);
    await send(bed.app, left);
    await bed.app.idle();
    expect(bed.connector.posts(chat.conversation.id).slice(postsBefore).map((p) => p.activity.text)).toEqual([
      `${megan.name}, who was facilitating the Re-think for case ${START_FORM.caseReference}, has left this chat. Anyone who has joined can now take over facilitation from its card, so the group can carry on (type **@Re-think status** to see it).`,
    ]);
    // Everyone's card offers it, saying why.
    expect(cardText(chat.sharedCard(cardId))).toContain(`${megan.name} has left this chat, so anyone who has joined can take over facilitating this Re-think`);
    const taken = await chat.press(adele, 'takeOver', { rethinkId });
    expect(cardText(taken.card)).not.toContain('has left this chat');
    expect(await bed.db.rethink(chat.conversation.id, rethinkId)).toMatchObject({ facilitatorId: adele.id });
    expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.audit.map((a) => a.what).slice(-2)).toEqual(['facilitatorLeft', 'facilitationTakenOver']);
    // The same event again (Teams redelivering it) says nothing more.
    await send(bed.app, left);
    expect(bed.connector.posts(chat.conversation.id).filter((p) => (p.activity.text ?? '').includes('has left this chat'))).toHaveLength(1);
  });

  test('the facilitator removed from a team: each Re-think they facilitate in its channels is told in its thread, and can be taken over at once', async () => {
    const team = `19:${Date.now()}team@thread.tacv2`;
    const channel = `19:${Date.now()}casework@thread.tacv2`;
    const thread = (id: string, post: number) => new Driver(bed.app, bed.connector, { id: `${id};messageid=${post}`, conversationType: 'channel', isGroup: true, teamId: team });
    const [inChannel, inGeneral, another] = [thread(channel, 601), thread(team, 602), thread(channel, 603)];
    const form = (n: number) => ({ ...START_FORM, caseReference: `PSCP-2026-46${n}` });
    const one = await inChannel.start(megan, form(1));
    const two = await inGeneral.start(megan, form(2));
    // Someone else's, and Megan's in a group chat, are not the team's business.
    const adeles = await another.start(adele, form(3));
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const elsewhere = await chat.start(megan, form(4));
    for (const [where, { rethinkId }] of [[inChannel, one], [inGeneral, two]] as const) await where.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
    expect(await bed.db.rethink(channel, one.rethinkId)).toMatchObject({ teamId: team });
    // One started before the team was kept, in the General channel: found there all the same.
    const older = (await bed.db.rethink(team, two.rethinkId))!;
    delete older.teamId;
    await bed.db.rethinks.items.upsert(older);

    // Teams says so in the team's General channel.
    await send(bed.app, membersRemoved({ ...inGeneral.where(adele), conversation: { id: team, conversationType: 'channel', isGroup: true, teamId: team } }, [megan]));
    await bed.app.idle();
    for (const [where, { rethinkId, cardId }, n] of [[inChannel, one, 1], [inGeneral, two, 2]] as const) {
      expect(bed.connector.posts(where.conversation.id).map((p) => p.activity.text)).toContain(
        `${megan.name}, who was facilitating the Re-think for case PSCP-2026-46${n}, has left this team. Anyone who has joined can now take over facilitation from its card, so the group can carry on (type **@Re-think status** to see it).`,
      );
      expect(cardText(where.sharedCard(cardId))).toContain(`${megan.name} has left this team, so anyone who has joined can take over facilitating this Re-think`);
      expect((await bed.db.rethink(conversationKey(where.conversation.id), rethinkId))?.audit.at(-1)).toMatchObject({ what: 'facilitatorLeft', ref: megan.id });
    }
    expect((await bed.db.rethink(channel, adeles.rethinkId))?.facilitatorLeftAt).toBeUndefined();
    expect((await bed.db.rethink(chat.conversation.id, elsewhere.rethinkId))?.facilitatorLeftAt).toBeUndefined();
    const taken = await inChannel.press(adele, 'takeOver', { rethinkId: one.rethinkId });
    expect(cardText(taken.card)).not.toContain('has left this team');
    expect(await bed.db.rethink(channel, one.rethinkId)).toMatchObject({ facilitatorId: adele.id });
  });

  test('someone who joined, removed from the group chat: nothing is said, and they are no longer offered facilitation', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const { rethinkId } = await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-4703' });
    await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
    const postsBefore = bed.connector.posts(chat.conversation.id).length;
    await send(bed.app, membersRemoved(chat.where(megan), [adele]));
    await bed.app.idle();
    expect(bed.connector.posts(chat.conversation.id)).toHaveLength(postsBefore);
    expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.audit.at(-1)).toMatchObject({ what: 'participantLeft', ref: adele.id });
    // Teams saying so is no one taking part in the case (who may not accept its request is who took part).
    const tookPart = await rethinkRepository(bed.db.rethinks, 'test').peopleInCase('PSCP-2026-4703');
    expect(tookPart.map((p) => p.id).sort()).toEqual([adele.id, megan.id].sort());
    const handed = await chat.press(megan, 'handOver', { rethinkId, handOverTo: adele.id });
    expect(cardText(handed.card)).toContain(`Teams says ${adele.name} has left this chat, so facilitation can’t be handed to them`);
    expect(await bed.db.rethink(chat.conversation.id, rethinkId)).toMatchObject({ facilitatorId: megan.id });
  });

  test('a facilitator of two Re-thinks removed from the group chat: both cards say so', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const started = [await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-4701' }), await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-4702' })];
    await send(bed.app, membersRemoved(chat.where(adele), [megan]));
    await bed.app.idle();
    for (const { cardId } of started) expect(cardText(chat.sharedCard(cardId))).toContain(`${megan.name} has left this chat`);
    expect(bed.connector.posts(chat.conversation.id).filter((p) => (p.activity.text ?? '').includes('has left this chat'))).toHaveLength(2);
  });

  test('escalate typed in a channel thread offers that thread’s case; a new post with none of its own, the channel’s latest', async () => {
    const channel = `19:${Date.now()}escalations@thread.tacv2`;
    const inThread = (post: number) => new Driver(bed.app, bed.connector, { id: `${channel};messageid=${post}`, conversationType: 'channel', isGroup: true });
    const [first, second] = [inThread(411), inThread(422)];
    await rethinkToClose(first, megan, [adele], 1, { outcome: 'notResolved', nextStep: 'escalation' }, 'PSCP-2026-4111');
    await rethinkToClose(second, adele, [megan], 1, { outcome: 'notResolved', nextStep: 'escalation' }, 'PSCP-2026-4222');
    const offered = async (where: Driver, activityId?: string): Promise<string> => {
      await send(bed.app, { ...message('escalate', where.where(megan)), ...(activityId ? { id: activityId } : {}) });
      const last = bed.connector.posts(where.conversation.id).at(-1)!;
      return last.activity.attachments?.length ? cardText(cardOf(last)) : (last.activity.text ?? '');
    };
    // The first thread's, though the second closed later.
    expect(await offered(first)).toContain('PSCP-2026-4111');
    // Typed as a new post (its thread is its own message): the channel's latest.
    expect(await offered(inThread(433), '433')).toContain('PSCP-2026-4222');
    // A reply in a thread with nothing to escalate: never another thread's case.
    const elsewhere = await offered(inThread(444));
    expect(elsewhere).not.toContain('PSCP-2026-4');
    expect(elsewhere).toContain('There’s no Re-think in this thread that ended without resolving the concern');
  });

  test('a command with someone else @mentioned too, or a space sent as &nbsp;, is understood', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const colleague = { type: 'mention', text: '<at>Jane Smith</at>', mentioned: { id: person(71).id, name: 'Jane Smith' } };
    const typed = (text: string, extra: object[] = []) => {
      const activity = message('', chat.where(megan));
      return send(bed.app, { ...activity, text, entities: [...(activity.entities as object[]), ...extra] });
    };
    const last = () => bed.connector.posts(chat.conversation.id).at(-1)!;
    await typed('<at>Jane Smith</at> <at>Re-think</at> status', [colleague]);
    expect(last().activity.text).toMatch(/no Re-think in progress/);
    await typed('<at>Re-think</at> help <at>Jane Smith</at>', [colleague]);
    expect(cardText(cardOf(last()))).toContain('Welcome to Re-think');
    await typed('<at>Re-think</at>&nbsp;start&nbsp;PSCP-2026-0042');
    expect(input(cardOf(last()), 'caseReference')?.value).toBe('PSCP-2026-0042');
    // Only a channel's form warns of a wide audience.
    expect(cardText(cardOf(last()))).not.toContain('team channel');
  });

  test('help, status, list and an unknown message', async () => {
    const chat = new Driver(bed.app, bed.connector, newGroupChat());
    const last = () => bed.connector.posts(chat.conversation.id).at(-1)!;
    await chat.say(megan, 'status');
    expect(last().activity.text).toMatch(/no Re-think in progress/);
    await chat.say(megan, 'HELP');
    expect(cardText(cardOf(last()))).toContain('Welcome to Re-think');
    await chat.say(megan, 'what now?');
    expect(last().activity.text).toMatch(/You can type \*\*start\*\*/);
    // An @mention with a picture and no text: told Re-think takes no files, and where case documents belong.
    const picture = { ...message('', chat.where(megan)), text: undefined, attachments: [{ contentType: 'image/png', contentUrl: 'http://127.0.0.1:9/picture.png' }] };
    await send(bed.app, picture);
    expect(last().activity.text).toMatch(/^Re-think doesn’t take files or pictures, and keeps nothing sent like this: please keep case documents in your agency’s own systems\. You can type \*\*start\*\*/);
    // A document sent in a personal chat, with a few words: the same.
    const personal = new Driver(bed.app, bed.connector, personalChat(megan));
    const document = { ...message('here is the report', personal.where(megan)), attachments: [{ contentType: 'application/vnd.microsoft.teams.file.download.info', name: 'report.docx', content: { downloadUrl: 'http://127.0.0.1:9/report.docx', uniqueId: 'u1', fileType: 'docx' } }] };
    await send(bed.app, document);
    expect(bed.connector.posts(personalChat(megan).id).at(-1)?.activity.text).toMatch(/^Re-think doesn’t take files or pictures/);

    const { rethinkId } = await chat.start(megan);
    await chat.say(adele, 'status');
    const reposted = last();
    expect(cardText(cardOf(reposted))).toContain('Stage 1 of 5');
    // Later changes update the re-posted copy in place.
    await chat.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
    expect(bed.connector.updates(chat.conversation.id).at(-1)?.activityId).toBe(reposted.activityId);

    await chat.say(megan, 'list');
    const listed = cardText(cardOf(last()));
    expect(listed).toContain('Case PSCP-2026-0042');
    expect(listed).toContain('In progress · stage 1 of 5');
  });
});

test('the start form explains what to correct and keeps what was typed', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const startId = await chat.startForm(megan);
  const named = await chat.press(megan, 'startRethink', { ...START_FORM, caseReference: 'Jane Smith' }, { replyToId: startId });
  expect(cardText(named.card)).toContain('That isn’t a case reference: it has no digits, so it could be a name');
  expect(cardText(named.card)).toContain(START_FORM.summary);
  const dated = await chat.press(megan, 'startRethink', { ...START_FORM, caseReference: '12/03/2015' }, { replyToId: startId });
  expect(cardText(dated.card)).toContain('That looks like a date');
  const rethinkId = await chat.propose(megan, startId);
  const noReason = await chat.press(megan, 'confirmStrategy', { rethinkId, strategy: '1', strategyReason: '' }, { replyToId: startId });
  expect(cardText(noReason.card)).toContain('please give the reason');
  await chat.press(megan, 'confirmStrategy', { rethinkId, strategy: '1', strategyReason: 'A one-to-one first' }, { replyToId: startId });
  expect(await bed.db.rethinksIn(chat.conversation.id)).toEqual([expect.objectContaining({ strategy: 1, strategyReason: 'A one-to-one first', recommended: expect.objectContaining({ strategy: 2 }) })]);
});

test('"start" followed by a case reference fills it in; anything else is explained and never put on the card', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const startCard = async (text: string): Promise<object> => {
    await chat.say(megan, text);
    return cardOf(bed.connector.posts(chat.conversation.id).at(-1)!);
  };
  const given = await startCard('Start  pscp-2026-0077');
  expect(input(given, 'caseReference')?.value).toBe('PSCP-2026-0077');
  expect(cardText(given)).not.toMatch(/looks like|recognise/);

  const named = await startCard('start Jane Smith');
  expect(cardText(named)).toContain('That isn’t a case reference: it has no digits, so it could be a name');
  expect(input(named, 'caseReference')?.value ?? '').toBe('');
  expect(JSON.stringify(named)).not.toContain('Jane');

  const dated = await startCard('start 12/03/2015');
  expect(cardText(dated)).toContain('That looks like a date');
  expect(JSON.stringify(dated)).not.toContain('12/03/2015');

  // "@Re-think" typed as plain text rather than picked as a mention.
  const typedMention = await startCard('@Re-think start PSCP-2026-0078');
  expect(input(typedMention, 'caseReference')?.value).toBe('PSCP-2026-0078');

  const plain = await startCard('start');
  expect(input(plain, 'caseReference')?.value ?? '').toBe('');
  expect(cardText(plain)).not.toMatch(/looks like|recognise/);
  expect(await bed.db.rethinksIn(chat.conversation.id)).toEqual([]);
});

test('one voice alone does not move the group on without the facilitator saying so', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  await chat.press(megan, 'contribute', { rethinkId, contribution: 'My account' });
  const asked = await chat.press(megan, 'advance', { rethinkId, confirmed: false });
  expect(cardText(asked.card)).toContain('Only one perspective has been heard at this stage');
  expect(executeActions(asked.card).find((a) => a.verb === 'advance' && a.data.confirmed === true)?.title).toBe('Move on anyway');
  expect(executeActions(asked.card).some((a) => a.verb === 'refresh' && a.title === 'Not yet')).toBe(true);
  expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.stage).toBe(1);
  const moved = await chat.press(megan, 'advance', { rethinkId, confirmed: true });
  expect(cardText(moved.card)).toContain('Stage 2 of 5');
  expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.audit.at(-1)).toMatchObject({ what: 'advancedWithOneVoice', by: megan.id, ref: 'stage2' });
});

test('names every object inherits are not choices: a strategy or a mode of "constructor" is refused', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const startId = await chat.startForm(megan);
  const noMode = await chat.press(megan, 'startRethink', { ...START_FORM, mode: 'toString' }, { replyToId: startId });
  expect(cardText(noMode.card)).toContain('Please choose how the conversation will happen');
  const rethinkId = await chat.propose(megan, startId);
  for (const strategy of ['constructor', '__proto__', 'toString']) {
    const refused = await chat.press(megan, 'confirmStrategy', { rethinkId, strategy, strategyReason: 'A reason' }, { replyToId: startId });
    expect(cardText(refused.card)).toContain('Please choose which strategy you will use.');
  }
  expect(await bed.db.rethinksIn(chat.conversation.id)).toEqual([expect.objectContaining({ status: 'proposed', mode: 'teams' })]);
  await chat.say(megan, 'constructor');
  expect(bed.connector.posts(chat.conversation.id).at(-1)?.activity.text).toContain('Sorry, I didn’t catch that.');
});

test('one start form starts one Re-think: a second press, by anyone, shows what it became; after a cancel it starts afresh', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const startId = await chat.startForm(megan);
  const rethinkId = await chat.propose(megan, startId);
  const updates = bed.connector.updates(chat.conversation.id).length;
  // Adele presses the same form before her copy shows the strategy card, with values of her own.
  const adeles = await chat.press(adele, 'startRethink', { ...START_FORM, caseReference: 'PSCP-2026-0099', role: 'Teacher', agency: 'School' }, { replyToId: startId });
  expect(cardText(adeles.card)).toContain('This form has already been used by Megan Bowen to start a Re-think for case PSCP-2026-0042, so nothing new was started.');
  expect(executeActions(adeles.card ?? {}).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId).toBe(rethinkId);
  // Nothing was started and Megan's strategy card is left as it is.
  expect(await bed.db.rethinksIn(chat.conversation.id)).toEqual([expect.objectContaining({ id: rethinkId, status: 'proposed', caseReference: 'PSCP-2026-0042' })]);
  expect(bed.connector.updates(chat.conversation.id)).toHaveLength(updates);
  // Megan pressing it again (a second press, another device) sees her own strategy card, with no warning.
  const hers = await chat.press(megan, 'startRethink', START_FORM, { replyToId: startId });
  expect(cardText(hers.card)).not.toContain('already been used');
  expect(executeActions(hers.card ?? {}).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId).toBe(rethinkId);
  // Cancelled, the card becomes the form again: used again, it starts a new Re-think.
  await chat.press(megan, 'cancelRethink', { rethinkId }, { replyToId: startId });
  const renewed = await chat.propose(adele, startId, { ...START_FORM, caseReference: 'PSCP-2026-0099', role: 'Teacher', agency: 'School' });
  expect(renewed).not.toBe(rethinkId);
  expect((await bed.db.rethinksIn(chat.conversation.id)).map((r) => [r.caseReference, r.status]).sort()).toEqual([
    ['PSCP-2026-0042', 'cancelled'],
    ['PSCP-2026-0099', 'proposed'],
  ]);
});

/** A Re-think proposed in a chat of its own, and what pressing its list card's "Show this Re-think" says. */
async function proposedWithListButton() {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const startId = await chat.startForm(megan);
  const rethinkId = await chat.propose(megan, startId);
  const said = async (): Promise<string> => {
    const pressed = await chat.press(megan, 'showRethink', { rethinkId });
    return pressed.message ?? bed.connector.posts(chat.conversation.id).at(-1)?.activity.text ?? '';
  };
  return { chat, startId, rethinkId, said };
}

test('a list card pressed after its Re-think moved on says where it is now', async () => {
  const { chat, rethinkId, said } = await proposedWithListButton();
  // `status` with none begun points to it, not to typing start (a second one).
  await chat.say(megan, '@Re-think status');
  expect(bed.connector.posts(chat.conversation.id).map((p) => p.activity.text ?? '')).toContain('No Re-think has begun here yet: the one for case PSCP-2026-0042 is waiting for its strategy. Its strategy card is below again, for the person who started it to choose.');
  // Not begun: its strategy card is posted again, so it can still be chosen however far up the first one is.
  const before = bed.connector.posts(chat.conversation.id).length;
  expect(await said()).toBe('That Re-think hasn’t begun yet: its strategy card is below again, for the person who started it to choose the strategy.');
  await bed.app.idle();
  const again = bed.connector.posts(chat.conversation.id).slice(before).find((p) => p.activity.attachments?.length);
  if (!again) throw new Error('The strategy card was not posted again');
  expect(executeActions(cardOf(again)).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId).toBe(rethinkId);
  // Chosen there, that new card becomes the Re-think's card.
  const opened = await chat.press(megan, 'confirmStrategy', { rethinkId, strategy: '2', strategyReason: '' }, { replyToId: again.activityId });
  expect(cardText(opened.card)).toContain('The Re-think has started.');
  expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.cardActivityId).toBe(again.activityId);
});

test('a Re-think cancelled before it began has no card to show', async () => {
  const { chat, startId, rethinkId, said } = await proposedWithListButton();
  await chat.press(megan, 'cancelRethink', { rethinkId }, { replyToId: startId });
  expect(await said()).toBe('That Re-think was cancelled before it began, so there is no card to show.');
});

test('strategy 2 started by someone who is not the lead professional: they are told it is the lead professional’s to lead', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { card } = await chat.start(adele, { ...START_FORM, caseReference: 'PSCP-2026-0044', role: 'Teacher', agency: 'School', isLeadProfessional: 'false', raisedWithLeadProfessional: 'true' });
  expect(cardText(card)).toContain('Who leads strategy 2: the lead professional and/or their line manager, with the team around the family. When they have joined, hand facilitation over to them.');
  const lead = await new Driver(bed.app, bed.connector, newGroupChat()).start(megan);
  expect(cardText(lead.card)).toContain('The Re-think has started.');
  expect(cardText(lead.card)).not.toContain('hand facilitation over');
});

test('list shows this conversation’s open and recent Re-thinks, closed ones with their outcome; a closed Re-think’s actions can no longer be changed', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const closed = await rethinkToClose(chat, megan, [adele], 2, { outcome: 'partlyResolved' }, 'PSCP-2026-0601');
  await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-0602' });
  await chat.say(adele, 'list');
  const listed = cardText(cardOf(bed.connector.posts(chat.conversation.id).at(-1)!));
  expect(listed).toContain('Case PSCP-2026-0602');
  expect(listed).toContain('In progress · stage 1 of 5');
  expect(listed).toContain('Case PSCP-2026-0601');
  expect(listed).toMatch(/Closed · Partly resolved/);

  // Read-only once closed: neither the person who added an action nor the facilitator can change it.
  const stored = await bed.db.rethink(chat.conversation.id, closed.rethinkId);
  const actionId = stored?.actions[0]?.id;
  expect(actionId).toBeDefined();
  for (const [verb, data] of [
    ['editAction', { rethinkId: closed.rethinkId, actionId, editDescription: 'Changed after the close', editOwner: megan.id, editOwnerName: '', editDue: `${AHEAD}-02-01` }],
    ['removeAction', { rethinkId: closed.rethinkId, chosenActionId: actionId }],
  ] as const) {
    const refused = await chat.press(megan, verb, data);
    expect(cardText(refused.card) + (refused.message ?? '')).toContain('This Re-think is closed');
  }
  expect(await bed.db.rethink(chat.conversation.id, closed.rethinkId)).toEqual(stored);
});

test('a start form posted for everyone in a group chat carries no one’s role and agency: left empty, each person’s own from last time is used', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  // Both have a role and agency on record from before.
  await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-0710' });
  await chat.start(adele, { ...START_FORM, caseReference: 'PSCP-2026-0711', role: 'Class teacher', agency: 'Primary school' });
  const formId = await chat.startForm(megan);
  const form = cardOf(bed.connector.posts(chat.conversation.id).find((p) => p.activityId === formId)!);
  expect([input(form, 'role')?.value, input(form, 'agency')?.value]).toEqual(['', '']);
  expect([input(form, 'role')?.isRequired, input(form, 'agency')?.isRequired]).toEqual([false, false]);
  // Adele fills in Megan's form, leaving her own details empty: she is recorded as herself.
  const strategyCard = await chat.press(adele, 'startRethink', { ...START_FORM, caseReference: 'PSCP-2026-0712', role: '', agency: '' }, { replyToId: formId });
  const proposed = String(executeActions(strategyCard.card ?? {}).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId);
  expect((await bed.db.rethink(chat.conversation.id, proposed))?.participants).toEqual([expect.objectContaining({ id: adele.id, role: 'Class teacher', agency: 'Primary school' })]);
  // Cancelled, the form left for everyone keeps the case's details but not hers.
  await chat.press(adele, 'cancelRethink', { rethinkId: proposed }, { replyToId: formId });
  const left = cardOf(bed.connector.updates(chat.conversation.id).filter((u) => u.activityId === formId).at(-1)!);
  expect([input(left, 'caseReference')?.value, input(left, 'role')?.value, input(left, 'agency')?.value, input(left, 'isLeadProfessional')?.value]).toEqual(['PSCP-2026-0712', '', '', 'false']);
  // In their own chat, a form for one person is filled in for them, as before.
  const own = new Driver(bed.app, bed.connector, { id: `a:own-${adele.id}`, conversationType: 'personal', isGroup: false });
  const ownFormId = await own.startForm(adele);
  const ownForm = cardOf(bed.connector.posts(own.conversation.id).find((p) => p.activityId === ownFormId)!);
  expect([input(ownForm, 'role')?.value, input(ownForm, 'agency')?.value]).toEqual(['Class teacher', 'Primary school']);
});

test('list always shows the Re-thinks still open here, however many have closed since: one left open and forgotten never drops off', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const forgotten = await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-0700' });
  // Sixteen closed since (as the store holds them), each changed after the forgotten one.
  const later = (i: number) => new Date(Date.now() + (i + 1) * 60_000).toISOString();
  for (let i = 0; i < 16; i++) {
    await bed.db.rethinks.items.create({ ...closedRethink('resolved'), id: `closed-since-${i}`, conversationId: chat.conversation.id, caseReference: `PSCP-2026-07${String(i + 10)}`, updatedAt: later(i) });
  }
  await chat.say(adele, 'list');
  const listed = cardText(cardOf(bed.connector.posts(chat.conversation.id).at(-1)!));
  // Open ones first, then the most recent others.
  const cases = listed.match(/Case PSCP-2026-\d+/g) ?? [];
  expect(cases).toHaveLength(15);
  expect(cases[0]).toBe('Case PSCP-2026-0700');
  expect(cases[1]).toBe('Case PSCP-2026-0725');
  expect(listed).not.toContain('More Re-thinks are open here than can be listed');
  expect(await bed.db.rethink(chat.conversation.id, forgotten.rethinkId)).toMatchObject({ status: 'open' });
});

test('list with more Re-thinks open than it lists: the 15 changed most recently, and it says there are more', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan, { ...START_FORM, caseReference: 'PSCP-2026-0800' });
  const open = (await bed.db.rethink(chat.conversation.id, rethinkId))!;
  const later = (i: number) => new Date(Date.now() + (i + 1) * 60_000).toISOString();
  // Fifteen more open (as the store holds them), each changed after the first.
  for (let i = 0; i < 15; i++) await bed.db.rethinks.items.create({ ...open, id: `open-too-${i}`, caseReference: `PSCP-2026-08${String(i + 10)}`, updatedAt: later(i) });
  await chat.say(adele, 'list');
  const listed = cardText(cardOf(bed.connector.posts(chat.conversation.id).at(-1)!));
  const cases = listed.match(/Case PSCP-2026-\d+/g) ?? [];
  expect(cases).toHaveLength(15);
  expect(cases).not.toContain('Case PSCP-2026-0800');
  expect(listed).toContain('More Re-thinks are open here than can be listed: these are the ones changed most recently.');
});

test('someone who has joined corrects their role or agency from their own card; what they contributed before keeps the role it was made under', async () => {
  const chat = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId } = await chat.start(megan);
  const joined = await chat.press(isaiah, 'join', { rethinkId, role: 'School nurse', agency: 'Helth' });
  await chat.press(isaiah, 'contribute', { rethinkId, contribution: 'Seen twice this term.' });
  // Their own card offers the correction, filled in with what is recorded.
  const card = (await chat.press(isaiah, 'refresh', { rethinkId })).card ?? {};
  expect(cardText(card)).toContain('Update your role or agency');
  expect(input(card, 'agency')?.value).toBe('Helth');
  expect(cardText(joined.card)).toContain('You have joined');
  const updated = await chat.press(isaiah, 'join', { ...buttonData(card, 'join'), role: 'School nurse', agency: 'Health' });
  expect(cardText(updated.card)).toContain('Your role and agency are updated.');
  const stored = await bed.db.rethink(chat.conversation.id, rethinkId);
  expect(stored?.participants.find((p) => p.id === isaiah.id)).toMatchObject({ role: 'School nurse', agency: 'Health' });
  expect(stored?.contributions.find((c) => c.participantId === isaiah.id)).toMatchObject({ agency: 'Helth' });
  // A correction refused (too long) keeps what they typed on the card to shorten, not what is recorded.
  const tooLong = `Community health ${'and more '.repeat(12)}`;
  const refused = await chat.press(isaiah, 'join', { ...buttonData(card, 'join'), role: 'School nurse', agency: tooLong });
  expect(cardText(refused.card)).toContain('The agency is');
  expect(input(refused.card ?? {}, 'agency')?.value).toBe(tooLong);
  expect((await bed.db.rethink(chat.conversation.id, rethinkId))?.participants.find((p) => p.id === isaiah.id)).toMatchObject({ agency: 'Health' });
});

test('Teams moving a chat to another service URL: the next change records it on the Re-think, where reminders and owed posts take their address', async () => {
  const chat = newGroupChat();
  const before = new Driver(bed.app, bed.connector, chat);
  const { rethinkId } = await before.start(megan);
  expect((await bed.db.rethink(chat.id, rethinkId))?.serviceUrl).toBe(bed.connector.serviceUrl);
  const moved = await startConnector();
  try {
    const after = new Driver(bed.app, moved, chat);
    await after.press(isaiah, 'join', { rethinkId, role: 'School nurse', agency: 'Health' });
    expect((await bed.db.rethink(chat.id, rethinkId))?.serviceUrl).toBe(moved.serviceUrl);
    await bed.app.idle();
  } finally {
    await moved.stop();
  }
});
