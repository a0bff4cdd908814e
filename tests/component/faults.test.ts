/** Bad input and faults: each gets a clear answer, and nothing recorded is lost or half-written. */
import type { Container } from '@azure/cosmos';
import { randomUUID } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { AHEAD, installed, newGroupChat, person, TENANT, users, type TestConversation } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { input } from '../helpers/adaptiveCards';
import { cardText, executeActions, send, startApp, startTestBed, storeReader, type App, type TestBed } from '../helpers/harness';
import { startEmbeddedCosmos } from '../../services/store/embedded';
import { startProxy, type Proxy } from '../helpers/proxy';
import { execute, message } from '../helpers/activities';
import { cardBytes, MAX_CARD_BYTES, TOO_LONG_TO_KEEP } from '../../cards/render';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../services/config';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(() => bed.stop());

const { megan, adele, isaiah } = users;

async function openRethink(driver: Driver = new Driver(bed.app, bed.connector, newGroupChat())) {
  const started = await driver.start(megan);
  await driver.press(adele, 'join', { rethinkId: started.rethinkId, role: 'Teacher', agency: 'School' });
  return { driver, ...started };
}

/** The stored document, to compare before and after something that must change nothing. */
const snapshot = async (conversationId: string, id: string) => JSON.stringify(await bed.db.rethink(conversationId, id));

describe('bad input', () => {
  test('a contribution over the limit is refused with the limit stated, and the typed text is kept', async () => {
    const { driver, rethinkId } = await openRethink();
    const before = await snapshot(driver.conversation.id, rethinkId);
    const long = 'a'.repeat(4001);
    const refused = await driver.press(adele, 'contribute', { rethinkId, contribution: long });
    expect(cardText(refused.card)).toContain('Your contribution is 4,001 characters long; the limit is 4,000.');
    expect(cardText(refused.card)).toContain(long);
    // Far over the limit, the text cannot be kept on the card, and the person is told so, not sent an error.
    const huge = await driver.press(adele, 'contribute', { rethinkId, contribution: 'b'.repeat(40_000) });
    expect(cardText(huge.card)).toContain('Your contribution is 40,000 characters long; the limit is 4,000. Please shorten it and try again.');
    expect(cardText(huge.card)).toContain(TOO_LONG_TO_KEEP);
    expect(cardText(huge.card)).not.toContain('b'.repeat(4001));
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);
  });

  test('text far longer than its box, from any card, is refused with the limit and never sent back on a card Teams would reject', async () => {
    const { driver, rethinkId } = await openRethink();
    const before = await snapshot(driver.conversation.id, rethinkId);
    const fits = (card: object | undefined): void => {
      expect(card).toBeDefined();
      expect(cardBytes(card ?? {})).toBeLessThanOrEqual(MAX_CARD_BYTES);
      expect(cardText(card ?? {})).toContain(TOO_LONG_TO_KEEP);
    };
    const joined = await driver.press(users.isaiah, 'join', { rethinkId, role: 'r'.repeat(30_000), agency: 'Health' });
    fits(joined.card);
    expect(cardText(joined.card ?? {})).toContain('30,000 characters long; the limit is');
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);

    const startId = await driver.startForm(megan);
    const summary = await driver.press(megan, 'startRethink', { ...START_FORM, caseReference: 'PSCP-2026-0043', summary: 's'.repeat(100_000) }, { replyToId: startId });
    fits(summary.card);
    expect(cardText(summary.card ?? {})).toContain('100,000 characters long; the limit is');
    const proposed = await driver.propose(megan, startId, { ...START_FORM, caseReference: 'PSCP-2026-0043' });
    const reason = await driver.press(megan, 'confirmStrategy', { rethinkId: proposed, strategy: '1', strategyReason: 'w'.repeat(100_000) }, { replyToId: startId });
    fits(reason.card);
    expect((await bed.db.rethink(driver.conversation.id, String(proposed)))?.status).toBe('proposed');
  });

  test('invisible characters alone are nothing typed; one name in two Unicode spellings is one person', async () => {
    const { driver, rethinkId } = await openRethink();
    const before = await snapshot(driver.conversation.id, rethinkId);
    const blank = await driver.press(adele, 'contribute', { rethinkId, contribution: '\u200b\u2060 \u200b' });
    expect(cardText(blank.card)).toContain('Please enter your contribution');
    const nobody = await driver.press(users.isaiah, 'join', { rethinkId, role: '\u200b', agency: '\u2060' });
    expect(cardText(nobody.card)).toContain('Please enter a role (for example, social worker).');
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);

    const composed = 'Zo\u00eb Smith';
    const decomposed = 'Zoe\u0308 Smith';
    for (const [name, text] of [[composed, 'First call'], [decomposed, 'Second call']] as const) {
      await driver.press(megan, 'contributeOnBehalf', { rethinkId, behalfName: name, behalfRole: 'GP', behalfAgency: 'Surgery', behalfText: text, behalfReplace: 'true' });
    }
    const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(doc?.participants.filter((p) => p.external).map((p) => p.name)).toEqual([composed]);
    expect(doc?.contributions.filter((c) => c.participantId.startsWith('ext:')).map((c) => c.text)).toEqual(['Second call']);
  });

  test('control characters and half surrogate pairs are not kept: line breaks and tabs are', async () => {
    const { driver, rethinkId } = await openRethink();
    await driver.press(adele, 'contribute', { rethinkId, contribution: 'First\u0000 line\u0007\nSecond\tline \ud83d end \u009b\ud83d\ude00' });
    const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(doc?.contributions.find((c) => c.participantId === adele.id)?.text).toBe('First line\nSecond\tline \ufffd end \ud83d\ude00');
    const onlyControls = await driver.press(adele, 'contribute', { rethinkId, contribution: '\u0001\u0002' });
    expect(cardText(onlyControls.card)).toContain('Please enter your contribution');
  });

  test('a contribution from a card showing an earlier stage is refused, and the text is kept', async () => {
    const { driver, rethinkId } = await openRethink();
    await driver.press(megan, 'advance', { rethinkId, confirmed: true });
    const stale = await driver.press(adele, 'contribute', { rethinkId, contribution: 'My stage 1 account', stage: '1' });
    expect(cardText(stale.card)).toContain('The group has moved on to stage 2 (“Thinking and feeling”), so your text wasn’t saved. If it belongs to this stage, please add it again.');
    expect(cardText(stale.card)).toContain('My stage 1 account');
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.contributions).toEqual([]);
    // A stage that is not a number or its digits can't be this one: refused, not saved under the current stage.
    const unreadable = await driver.press(adele, 'contribute', { rethinkId, contribution: 'My stage 2 account', stage: [1] });
    expect(`${cardText(unreadable.card)}${unreadable.message ?? ''}`).toContain('That named a stage that isn’t one of the five, so nothing has been saved.');
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.contributions).toEqual([]);
    // No stage at all (a card from before cards said): the current stage.
    await driver.press(adele, 'contribute', { rethinkId, contribution: 'My stage 2 account' });
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.contributions).toEqual([expect.objectContaining({ stage: 2, text: 'My stage 2 account' })]);
  });

  test('missing or wrong-typed card fields are refused clearly, changing nothing', async () => {
    const { driver, rethinkId } = await openRethink();
    const before = await snapshot(driver.conversation.id, rethinkId);
    const cases: [string, Record<string, unknown>, string][] = [
      ['contribute', { rethinkId, contribution: 12345 }, 'Please enter your contribution.'],
      ['contribute', { rethinkId }, 'Please enter your contribution.'],
      ['join', { rethinkId, role: ['Teacher'], agency: 'School' }, 'Please enter a role'],
      ['handOver', { rethinkId, handOverTo: { id: adele.id } }, 'Please choose who will facilitate'],
      ['close', { rethinkId, outcome: 'maybe' }, 'Please choose the outcome'],
      ['addAction', { rethinkId, actionDescription: 'x', actionDue: 20301231 }, 'Actions are agreed at stage 5'],
      ['advance', { rethinkId: 42 }, 'I can’t find that Re-think'],
      // A stage that can't be one is not this one: never saved under the current stage.
      ...['7', 0, 'NaN', true, [1], '１'].map((stage): [string, Record<string, unknown>, string] => ['contribute', { rethinkId, contribution: 'For some stage', stage }, 'That named a stage that isn’t one of the five, so nothing has been saved.']),
      ['advance', { rethinkId, confirmed: true, stage: 9 }, 'That named a stage that isn’t one of the five'],
      ['contributeOnBehalf', { rethinkId, behalfName: 'Sam Jones', behalfRole: 'GP', behalfAgency: 'NHS', behalfText: 'By phone', stage: -1 }, 'That named a stage that isn’t one of the five'],
    ];
    for (const [verb, data, expected] of cases) {
      const answer = await driver.press(verb === 'join' ? users.isaiah : megan, verb, data);
      expect(answer.status).toBe(200);
      expect(`${cardText(answer.card)}${answer.message ?? ''}`).toContain(expected);
    }
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);
  });

  test('at stage 5, a due date that is not a date (a number, a list, none) is refused with what is wanted, and no action is stored', async () => {
    const { driver, rethinkId } = await openRethink();
    for (let stage = 1; stage < 5; stage++) await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage: String(stage) });
    const before = await snapshot(driver.conversation.id, rethinkId);
    for (const actionDue of [20301231, ['2030-12-31'], undefined]) {
      const answer = await driver.press(megan, 'addAction', { rethinkId, actionDescription: 'Arrange a review', actionOwner: megan.id, ...(actionDue === undefined ? {} : { actionDue }) });
      expect(cardText(answer.card)).toContain('Please choose a due date');
    }
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);
  });

  test('a cancelled Re-think: starting it or cancelling it again says so, with no strategy card drawn again', async () => {
    const driver = new Driver(bed.app, bed.connector, newGroupChat());
    await driver.say(megan, 'start');
    const strategyCard = await driver.press(megan, 'startRethink', START_FORM);
    const rethinkId = String(executeActions(strategyCard.card).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId);
    expect(`${cardText((await driver.press(megan, 'cancelRethink', { rethinkId })).card)}`).toContain('This Re-think was cancelled');
    const again = await driver.press(megan, 'cancelRethink', { rethinkId });
    expect(`${cardText(again.card)}${again.message ?? ''}`).toContain('This Re-think was cancelled');
    expect(`${cardText(again.card)}${again.message ?? ''}`).not.toMatch(/has not started yet/);
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.audit.filter((a) => a.what === 'cancelled')).toHaveLength(1);
    const started = await driver.press(megan, 'confirmStrategy', { rethinkId, strategy: '2', strategyReason: '' });
    expect(started.card).toBeUndefined();
    expect(started.message).toContain('This Re-think was cancelled, so it can’t be started.');
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.status).toBe('cancelled');
  });

  test('a malformed Re-think id is simply not found', async () => {
    const driver = new Driver(bed.app, bed.connector, newGroupChat());
    for (const rethinkId of ['', '../../dbs', 'a/b', 'x'.repeat(300), 42]) {
      for (const verb of ['refresh', 'contribute', 'showRethink', 'showActionEditor', 'confirmStrategy', 'cancelRethink']) {
        const answer = await driver.press(megan, verb, { rethinkId, contribution: 'x', strategy: '1' });
        expect(answer.message).toContain('I can’t find that Re-think');
      }
    }
  });

  test('on clients without Action.Execute, the facilitator still gets the "move on without them?" buttons', async () => {
    const { driver, rethinkId, cardId } = await openRethink();
    await driver.press(megan, 'contribute', { rethinkId, contribution: 'Megan’s view at stage 1', stage: '1' });
    const before = bed.connector.posts(driver.conversation.id).length;
    await driver.submit(megan, { verb: 'advance', rethinkId, confirmed: false, stage: '1' }, cardId);
    const posted = bed.connector.posts(driver.conversation.id).slice(before);
    expect(posted).toHaveLength(1);
    const card = cardOf(posted[0]!);
    expect(cardText(card)).toContain('has not contributed to this stage yet');
    expect(executeActions(card).find((a) => a.title === 'Move on without them')?.data).toMatchObject({ rethinkId, confirmed: true, stage: 1 });
    // Posted for everyone, who may press it: nothing of the facilitator's own (their role and agency,
    // their contribution, "you are facilitating") is on it to be saved as someone else's.
    const shown = cardText(card);
    expect(shown).not.toContain('You are facilitating');
    expect(shown).not.toContain('Update your role or agency');
    expect([input(card, 'contribution')?.value, input(card, 'role')?.value, input(card, 'agency')?.value].filter(Boolean)).toEqual([]);
  });

  test('on clients without Action.Execute, what the starter’s own view would say about who leads strategy 2 is said in the chat', async () => {
    const driver = new Driver(bed.app, bed.connector, newGroupChat());
    const cardId = await driver.startForm(megan);
    const rethinkId = await driver.propose(megan, cardId, { ...START_FORM, isLeadProfessional: 'false', raisedWithLeadProfessional: 'true' });
    const before = bed.connector.posts(driver.conversation.id).length;
    await driver.submit(megan, { verb: 'confirmStrategy', rethinkId, strategy: '2', strategyReason: '' }, cardId);
    await bed.app.idle();
    const said = bed.connector.posts(driver.conversation.id).slice(before).map((p) => p.activity.text ?? '');
    expect(said).toEqual([expect.stringMatching(/^For Megan Bowen: The Re-think has started\. .* Who leads strategy 2: .* When they have joined, hand facilitation over to them\.$/)]);
    // A start with nothing more to say than the card shows says nothing.
    const plain = new Driver(bed.app, bed.connector, newGroupChat());
    const plainCard = await plain.startForm(megan);
    const plainId = await plain.propose(megan, plainCard, START_FORM);
    await plain.submit(megan, { verb: 'confirmStrategy', rethinkId: plainId, strategy: '2', strategyReason: '' }, plainCard);
    await bed.app.idle();
    expect(bed.connector.posts(plain.conversation.id).filter((p) => (p.activity.text ?? '').startsWith('The Re-think has started'))).toEqual([]);
  });

  test('a "move on without them" button covers only the people it named: pressed after someone else has joined, it names them first', async () => {
    const { driver, rethinkId } = await openRethink();
    await driver.press(megan, 'contribute', { rethinkId, contribution: 'The plan has drifted.' });
    const asked = await driver.press(megan, 'advance', { rethinkId, confirmed: false, stage: 1 });
    const oldButton = executeActions(asked.card).find((a) => a.title === 'Move on without them');
    expect(oldButton?.data).toMatchObject({ confirmed: true, stage: 1, joined: 2 });
    await driver.press(isaiah, 'join', { rethinkId, role: 'School nurse', agency: 'NHS' });

    const again = await driver.press(megan, 'advance', oldButton?.data ?? {});
    expect(cardText(again.card)).toContain(`${isaiah.name} joined after you were asked. ${adele.name} and ${isaiah.name} have not contributed to this stage yet.`);
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.stage).toBe(1);

    const newButton = executeActions(again.card).find((a) => a.title === 'Move on without them');
    expect(newButton?.data).toMatchObject({ joined: 3 });
    await driver.press(megan, 'advance', newButton?.data ?? {});
    const stored = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(stored?.stage).toBe(2);
    expect(stored?.audit.at(-1)).toMatchObject({ what: 'advancedWithoutEveryone', by: megan.id });
  });

  test('an unknown verb gets a friendly message and writes nothing', async () => {
    const { driver, rethinkId, cardId } = await openRethink();
    const before = await snapshot(driver.conversation.id, rethinkId);
    const answer = await driver.press(megan, 'deleteEverything', { rethinkId });
    expect(answer).toMatchObject({ status: 200, message: expect.stringContaining('I don’t recognise that button') });
    const submitted = await driver.submit(megan, { verb: 'constructor', rethinkId }, cardId);
    expect(submitted.status).toBe(200);
    expect(bed.connector.posts(driver.conversation.id).at(-1)?.activity.text).toContain('I don’t recognise that button');
    // In a group chat the bot hears only what @mentions it: the message says so.
    expect(bed.connector.posts(driver.conversation.id).at(-1)?.activity.text).toContain('**@Re-think status**');
    // A card's data with no verb at all is a button too, not something typed.
    await driver.submit(megan, { rethinkId }, cardId);
    expect(bed.connector.posts(driver.conversation.id).at(-1)?.activity.text).toContain('I don’t recognise that button');
    expect(await snapshot(driver.conversation.id, rethinkId)).toBe(before);
  });

  test('card data naming a Re-think of another conversation is not found, and that Re-think is untouched', async () => {
    const theirs = await openRethink();
    const before = await snapshot(theirs.driver.conversation.id, theirs.rethinkId);
    const elsewhere = new Driver(bed.app, bed.connector, newGroupChat());
    for (const verb of ['contribute', 'advance', 'refresh', 'close']) {
      const answer = await elsewhere.press(megan, verb, { rethinkId: theirs.rethinkId, contribution: 'sneaky', confirmed: true, outcome: 'resolved' });
      expect(answer.message).toContain('I can’t find that Re-think in this conversation');
    }
    expect(await snapshot(theirs.driver.conversation.id, theirs.rethinkId)).toBe(before);
  });

  test('a malformed JSON body, or one that is not an activity, is a 400; a body that is not JSON, or is compressed, is a 415; the app keeps serving', async () => {
    const response = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "message", "text": ' });
    expect(response.status).toBe(400);
    for (const body of ['[1,2,3]', '{}', '{"type": 42}', 'null']) {
      const notAnActivity = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(notAnActivity.status).toBe(400);
    }
    // A form post is what any web page can send across origins without asking: JSON only.
    const chat = newGroupChat();
    const form = new URLSearchParams({ type: 'message', text: 'help', 'conversation[id]': chat.id, 'from[id]': megan.id, serviceUrl: bed.connector.serviceUrl });
    const posted = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(posted.status).toBe(415);
    const plain = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ type: 'message', text: 'help' }) });
    expect(plain.status).toBe(415);
    // A compressed body is refused before it is inflated: 20 KB of gzip would be 20 MB of JSON, read before anyone is signed in.
    for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync]] as const) {
      const bomb = compress(Buffer.from(`{"type":"message","text":"${'a'.repeat(20 * 1024 * 1024)}"}`));
      expect(bomb.length).toBeLessThan(512 * 1024);
      const inflated = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: bomb });
      expect(inflated.status).toBe(415);
    }
    // Refused for saying it is compressed, before anything is read: a body that isn't gzip at all is refused the same way.
    const notGzip = await fetch(`${bed.app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"type":"message","text":"help"}' });
    expect(notGzip.status).toBe(415);
    // Still serving: the bot answers (a 200 alone would not say so: a failed turn is answered 200 too).
    const driver = new Driver(bed.app, bed.connector, newGroupChat());
    expect((await driver.say(megan, 'help')).status).toBe(200);
    await bed.app.idle();
    expect(bed.connector.posts(chat.id)).toEqual([]);
    const [welcome] = bed.connector.posts(driver.conversation.id);
    expect(cardText(welcome ? cardOf(welcome) : {})).toContain('Welcome to Re-think');
  });
});

describe('concurrency and redelivery', () => {
  test('20 people contributing to the same stage at the same moment, through three instances, are all recorded, none twice', async () => {
    // A store of its own, to see the instances' conditional writes meet (412) and be retried.
    let conflicts = 0;
    const store = await startEmbeddedCosmos(0, '127.0.0.1', (_request, response) => response.once('finish', () => (conflicts += response.statusCode === 412 ? 1 : 0)));
    // Started together on a new store, as instances of a new deployment are: they race to create it.
    const started = await Promise.allSettled([1, 2, 3].map(() => startApp(store.endpoint)));
    const apps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const db = storeReader(store.endpoint);
    try {
      expect(started.filter((s) => s.status === 'rejected')).toEqual([]);
      const chat = newGroupChat();
      const drivers = apps.map((app) => new Driver(app, bed.connector, chat));
      const [first] = drivers;
      if (!first) throw new Error('no app');
      const { rethinkId } = await first.start(megan);
      const people = Array.from({ length: 20 }, (_, i) => person(i + 1));
      const via = (i: number): Driver => drivers[i % drivers.length] ?? first;
      await Promise.all(people.map((p, i) => via(i).press(p, 'join', { rethinkId, role: 'Practitioner', agency: `Agency ${p.name}` })));
      const answers = await Promise.all(people.map((p, i) => via(i).press(p, 'contribute', { rethinkId, contribution: `View of ${p.name}` })));
      expect(answers.every((a) => cardText(a.card).includes('Your contribution is saved'))).toBe(true);
      // Each answer, made while the store saved it (perhaps with others' changes), shows what was saved.
      answers.forEach((a, i) => expect(cardText(a.card)).toContain(`View of ${people[i]?.name ?? ''}`));
      const doc = await db.rethink(chat.id, rethinkId);
      expect(doc?.participants).toHaveLength(21);
      expect(doc?.contributions).toHaveLength(20);
      expect(new Set(doc?.contributions.map((c) => c.participantId)).size).toBe(20);
      expect(doc?.contributions.map((c) => c.text).sort()).toEqual(people.map((p) => `View of ${p.name}`).sort());
      // The instances did save over each other's reads, and each such save was retried.
      expect(conflicts).toBeGreaterThan(0);
    } finally {
      db.dispose();
      await Promise.all(apps.map((app) => app.stop()));
      await store.stop();
    }
  });

  test('the same invoke delivered twice is recorded once', async () => {
    const { driver, rethinkId } = await openRethink();
    const id = 'f:redelivered-invoke-1';
    const first = await driver.press(adele, 'contribute', { rethinkId, contribution: 'Said once' }, { id });
    expect(cardText(first.card)).toContain('Said once');
    // Edited since: the late redelivery of the first save must not put the old words back.
    await driver.press(adele, 'contribute', { rethinkId, contribution: 'Said better' }, { id: 'f:redelivered-invoke-2' });
    const second = await driver.press(adele, 'contribute', { rethinkId, contribution: 'Said once' }, { id });
    expect(cardText(second.card)).toContain('Said better');
    const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(doc?.contributions.map((c) => c.text)).toEqual(['Said better']);
    expect(doc?.audit.filter((a) => a.what === 'contributed' || a.what === 'contributionEdited').map((a) => a.what)).toEqual(['contributed', 'contributionEdited']);

    // An advance redelivered does not skip a stage.
    const advanceId = 'f:redelivered-advance-1';
    await driver.press(megan, 'advance', { rethinkId, confirmed: true }, { id: advanceId });
    await driver.press(megan, 'advance', { rethinkId, confirmed: true }, { id: advanceId });
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.stage).toBe(2);
  });

  test('the same invoke delivered twice at the same moment is recorded once, and only its first delivery updates everyone’s card', async () => {
    const { driver, rethinkId } = await openRethink();
    const updatesBefore = bed.connector.updates(driver.conversation.id).length;
    // Moving on is not the same again by its values (each press moves one stage): only its id tells.
    const id = 'f:redelivered-at-once-1';
    const answers = await Promise.all([1, 2].map(() => driver.press(megan, 'advance', { rethinkId, confirmed: true }, { id })));
    for (const answer of answers) expect(cardText(answer.card)).toContain('Stage 2 of 5');
    const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(doc?.stage).toBe(2);
    expect(doc?.audit.filter((a) => a.what.startsWith('advanced'))).toHaveLength(1);
    expect(bed.connector.updates(driver.conversation.id).length - updatesBefore).toBe(1);
  });

  test('a contribution and the close saved at the same moment: the summary is posted once, by the close', async () => {
    const { driver, rethinkId } = await openRethink();
    for (let stage = 1; stage < 5; stage++) await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage: String(stage) });
    const summaries = () => bed.connector.posts(driver.conversation.id).filter((p) => cardText(cardOf(p)).includes('Re-think summary'));
    const [contributed, closed] = await Promise.all([
      driver.press(adele, 'contribute', { rethinkId, contribution: 'A last thought' }),
      driver.press(megan, 'close', { rethinkId, outcome: 'resolved' }),
    ]);
    expect(cardText(closed.card)).toContain('The outcome is recorded');
    expect(cardText(contributed.card)).toMatch(/Your contribution is saved|closed/);
    expect(summaries()).toHaveLength(1);
    const stored = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(stored?.status).toBe('closed');
    // What Adele was told is what happened: saved, and in the record and the summary; or not, and in neither.
    const saved = cardText(contributed.card).includes('Your contribution is saved');
    expect(stored?.contributions.some((c) => c.text === 'A last thought')).toBe(saved);
    expect(cardText(cardOf(summaries()[0]!)).includes('A last thought')).toBe(saved);
  });

  test('a second press of "move on" (or one from an older card) does not skip a stage', async () => {
    const { driver, rethinkId } = await openRethink();
    await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage: '1' });
    const again = await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage: '1' });
    expect(cardText(again.card)).toContain('The group has already moved on to stage 2');
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.stage).toBe(2);
  });

  test('a redelivered close posts the summary once', async () => {
    const { driver, rethinkId } = await openRethink();
    for (let stage = 1; stage < 5; stage++) await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage: String(stage) });
    const summaries = () => bed.connector.posts(driver.conversation.id).filter((p) => cardText(cardOf(p)).includes('Re-think summary'));
    await driver.press(megan, 'close', { rethinkId, outcome: 'resolved' }, { id: 'f:close-once' });
    await driver.press(megan, 'close', { rethinkId, outcome: 'resolved' }, { id: 'f:close-once' });
    expect(summaries()).toHaveLength(1);
  });

  test('everyone\'s card ends up showing the latest change, even when an earlier update is held up on its way', async () => {
    const { driver, rethinkId, cardId } = await openRethink();
    const where = (user: typeof megan) => ({ user, conversation: driver.conversation, serviceUrl: bed.connector.serviceUrl });
    const held = bed.connector.holdNextUpdate();
    await send(bed.app, execute('contribute', { rethinkId, contribution: 'Megan first' }, where(megan)));
    await held.arrived;
    // Answered while Megan's update is still held: nobody waits on everyone's card.
    const adeles = await send(bed.app, execute('contribute', { rethinkId, contribution: 'Adele second' }, where(adele)));
    expect(JSON.stringify(adeles.body)).toContain('Your contribution is saved');
    held.release();
    await bed.app.idle();
    const shown = bed.connector
      .updates(driver.conversation.id)
      .filter((u) => u.activityId === cardId)
      .map((u) => cardText(cardOf(u)));
    // Megan's update, then the latest: never the older one last.
    expect(shown.at(-2)).toContain('Megan first');
    expect(shown.at(-2)).not.toContain('Adele second');
    expect(shown.at(-1)).toContain('Megan first');
    expect(shown.at(-1)).toContain('Adele second');
  });

  test('a start form submitted twice creates one Re-think', async () => {
    const driver = new Driver(bed.app, bed.connector, newGroupChat());
    await driver.say(megan, 'start');
    const formId = bed.connector.posts(driver.conversation.id).at(-1)!.activityId;
    const { START_FORM } = await import('../helpers/driver');
    await driver.press(megan, 'startRethink', START_FORM, { replyToId: formId, id: 'f:start-once' });
    await driver.press(megan, 'startRethink', START_FORM, { replyToId: formId, id: 'f:start-once' });
    expect(await bed.db.rethinksIn(driver.conversation.id)).toHaveLength(1);
  });
});

describe('everyone’s card, changed through two instances of the app at once', () => {
  // Each step waits on the one before, not on time. Where Megan's update must land within its
  // window, the window is long enough for any stall of a busy machine; where it must land after, short.
  const timing = { windowMs: 1_000, skewMs: 100 };
  const longer = { windowMs: 5_000, skewMs: 100 };
  let one: App;
  let two: App;
  let oneLonger: App;
  let twoLonger: App;
  beforeAll(async () => {
    [one, two, oneLonger, twoLonger] = (await Promise.all([timing, timing, longer, longer].map((cardTiming) => startApp(bed.store.endpoint, { cardTiming })))) as [App, App, App, App];
  });
  afterAll(async () => {
    await Promise.all([one, two, oneLonger, twoLonger].map((app) => app.stop()));
  });

  /**
   * Megan contributes through one instance, whose update of the card Teams holds; Adele through the
   * other (`afterMs` after Megan's answer at the least); Megan's update lands once Adele's has.
   */
  async function crossing(afterMs: number, [one, two]: [App, App]) {
    const conversation = newGroupChat();
    const { rethinkId, cardId } = await openRethink(new Driver(one, bed.connector, conversation));
    const shown = () =>
      bed.connector
        .updates(conversation.id)
        .filter((u) => u.activityId === cardId)
        .map((u) => cardText(cardOf(u)));
    const held = bed.connector.holdNextUpdate();
    const where = (user: typeof megan) => ({ user, conversation, serviceUrl: bed.connector.serviceUrl });
    await send(one, execute('contribute', { rethinkId, contribution: 'Megan first' }, where(megan)));
    await held.arrived;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await send(two, execute('contribute', { rethinkId, contribution: 'Adele second' }, where(adele)));
    // Adele's own update lands; only then is Megan's let go (a resend after the window, if any, comes later).
    const deadline = Date.now() + 10_000;
    while (!shown().some((text) => text.includes('Adele second'))) {
      if (Date.now() > deadline) throw new Error('Adele’s update never landed');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    held.release();
    await Promise.all([one.idle(), two.idle()]);
    return shown();
  }

  test('an older update landing last, within its window: the later instance sends the latest once that window has passed', async () => {
    const shown = await crossing(0, [oneLonger, twoLonger]);
    // Megan's update really did land after Adele's, and was then put right: one update each, and the resend.
    expect(shown.slice(-3).map((text) => [text.includes('Megan first'), text.includes('Adele second')])).toEqual([
      [true, true],
      [true, false],
      [true, true],
    ]);
    expect(shown.at(-2)).toContain('Megan first');
    expect(shown.at(-2)).not.toContain('Adele second');
    expect(shown.at(-1)).toContain('Megan first');
    expect(shown.at(-1)).toContain('Adele second');
  });

  test('an older update landing last, after its window: its own instance reads the latest and sends it', async () => {
    // Adele saves after Megan's window (and skew) has passed, so her instance sends once; Megan's lands later still.
    const shown = await crossing(timing.windowMs + timing.skewMs + 100, [one, two]);
    expect(shown.at(-2)).not.toContain('Adele second');
    expect(shown.at(-1)).toContain('Megan first');
    expect(shown.at(-1)).toContain('Adele second');
  });
});

describe('a Re-think grown larger than any card shows whole', () => {
  test('50 long actions among 11 people: every save is answered as saved with a card that fits, and the close posts the summary', async () => {
    const { driver, rethinkId } = await openRethink();
    for (let i = 0; i < 9; i++) await driver.press(person(40 + i), 'join', { rethinkId, role: 'Designated safeguarding lead', agency: 'Portsmouth primary school' });
    for (let stage = 1; stage < 5; stage++) await driver.press(megan, 'advance', { rethinkId, confirmed: true, stage });
    const description = (i: number) => `Action ${i + 1}: ${'Arrange a review of the plan with the family and school, and share the outcome with everyone. '.repeat(4)}`.slice(0, 300);
    for (let i = 0; i < 50; i++) {
      const answer = await driver.press(i % 2 ? megan : adele, 'addAction', { rethinkId, actionDescription: description(i), actionOwner: '__external', actionOwnerName: 'Duty manager, Early Help Hub', actionDue: `${AHEAD}-01-31` });
      expect({ i, saved: cardText(answer.card).includes('The action is added.'), bytes: cardBytes(answer.card ?? {}) <= MAX_CARD_BYTES }).toEqual({ i, saved: true, bytes: true });
    }
    expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.actions).toHaveLength(50);
    const refreshed = await driver.press(megan, 'refresh', { rethinkId });
    expect(executeActions(refreshed.card).map((a) => a.verb)).toEqual(expect.arrayContaining(['close', 'showActionEditor', 'removeAction']));
    // Everyone's card was kept up to date, within Teams' limit.
    const shared = bed.connector.updates(driver.conversation.id).at(-1);
    expect(cardBytes(cardOf(shared!))).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(cardText(cardOf(shared!))).toMatch(/…and 38 more actions, not listed here/);

    const before = bed.connector.posts(driver.conversation.id).length;
    const closed = await driver.press(megan, 'close', { rethinkId, outcome: 'resolved' });
    expect(cardText(closed.card)).toContain('The outcome is recorded');
    const summary = bed.connector.posts(driver.conversation.id).slice(before).map((p) => cardOf(p)).find((c) => cardText(c).includes('Re-think summary'));
    expect(summary).toBeDefined();
    for (let i = 0; i < 50; i++) expect(cardText(summary)).toContain(`Action ${i + 1}:`);
  }, 60_000);
});

describe('starting up', () => {
  const listening = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });

  test('a port already in use stops the start with what to change, and leaves nothing running behind it', async () => {
    const blocker = createServer();
    const taken = await listening(blocker, 0);
    const probe = createServer();
    const storePort = await listening(probe, 0);
    await new Promise((resolve) => probe.close(resolve));
    try {
      const config = loadConfig({ PORT: String(taken), HOST: '127.0.0.1', EMBEDDED_COSMOS_PORT: String(storePort), LOG_LEVEL: 'silent' });
      await expect(createApp(config)).rejects.toThrow(`The app cannot listen on 127.0.0.1:${taken}: the port is in use. Set PORT to a free port.`);
      // The embedded store it had started is closed again: its port can be taken.
      const again = createServer();
      expect(await listening(again, storePort)).toBe(storePort);
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('faults', () => {
  let proxy: Proxy;
  let proxied: App;
  beforeAll(async () => {
    proxy = await startProxy(bed.store.endpoint);
    proxied = await startApp(proxy.endpoint);
  });
  afterAll(async () => {
    await proxied.stop();
    await proxy.stop();
  });

  test('the store unreachable: "not saved, please try again", the app keeps serving, and the retry succeeds', async () => {
    const { driver, rethinkId } = await openRethink(new Driver(proxied, bed.connector, newGroupChat()));
    expect((await fetch(`${proxied.url}/healthz`)).status).toBe(200);
    await proxy.cut();
    try {
      const failed = await driver.press(adele, 'contribute', { rethinkId, contribution: 'Try to save this' });
      expect(failed).toMatchObject({ status: 200, message: expect.stringContaining('that wasn’t saved') });
      expect((await fetch(`${proxied.url}/healthz`)).status).toBe(503);
      await driver.say(megan, 'status');
      expect(bed.connector.posts(driver.conversation.id).at(-1)?.activity.text).toBe('Sorry, Re-think couldn’t reach its records just now. Please try again in a moment.');
    } finally {
      await proxy.restore();
    }
    expect((await fetch(`${proxied.url}/healthz`)).status).toBe(200);
    const retried = await driver.press(adele, 'contribute', { rethinkId, contribution: 'Try to save this' });
    expect(cardText(retried.card)).toContain('Your contribution is saved');
    const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
    expect(doc?.contributions.map((c) => c.text)).toEqual(['Try to save this']);
  }, 60_000);

  test('a restart mid-Re-think loses nothing, and a second instance serves the same Re-think', async () => {
    const first = await startApp(bed.store.endpoint);
    const driver = new Driver(first, bed.connector, newGroupChat());
    const { rethinkId } = await driver.start(megan);
    await driver.press(megan, 'contribute', { rethinkId, contribution: 'Before the restart' });
    await first.stop();

    driver.app = await startApp(bed.store.endpoint);
    const second = await startApp(bed.store.endpoint);
    try {
      await driver.press(adele, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
      const other = new Driver(second, bed.connector, driver.conversation);
      await other.press(adele, 'contribute', { rethinkId, contribution: 'After the restart, on another instance' });
      const moved = await driver.press(megan, 'advance', { rethinkId, confirmed: false });
      expect(cardText(moved.card)).toContain('Stage 2 of 5');
      const doc = await bed.db.rethink(driver.conversation.id, rethinkId);
      expect(doc?.contributions.map((c) => c.text)).toEqual(['Before the restart', 'After the restart, on another instance']);
    } finally {
      await driver.app.stop();
      await second.stop();
    }
  });

  test('an activity with no sender is ignored, writes nothing, and the app keeps serving', async () => {
    const chat = newGroupChat();
    const where = { user: megan, conversation: chat, serviceUrl: bed.connector.serviceUrl };
    const anonymous = { ...message('start', where), from: undefined };
    const answered = await send(bed.app, anonymous);
    expect(answered.status).toBeLessThan(500);
    await send(bed.app, { ...execute('startRethink', START_FORM, where), from: undefined });
    expect(bed.connector.posts(chat.id)).toHaveLength(0);
    expect(await bed.db.rethinksIn(chat.id)).toEqual([]);
    await send(bed.app, message('start', where));
    expect(bed.connector.posts(chat.id)).toHaveLength(1);
  });

  test('activities from a tenant outside the allow-list are ignored and write nothing', async () => {
    // Someone new, installing the app and starting a Re-think: each of these writes, when allowed.
    const stranger = { id: `29:1Newcomer${randomUUID()}`, name: 'Someone new', aadObjectId: randomUUID() };
    const chat = newGroupChat();
    const personal: TestConversation = { id: `a:personal-${stranger.aadObjectId}`, conversationType: 'personal' };
    const inChat = { user: stranger, conversation: chat, serviceUrl: bed.connector.serviceUrl };
    const inPersonal = { ...inChat, conversation: personal };
    const sendAll = async (app: App) => {
      for (const activity of [installed(inPersonal), installed(inChat), message('start', inChat), execute('startRethink', START_FORM, inChat)]) await send(app, activity);
      await app.idle();
    };
    const count = async (container: Container, field: string, value: string) =>
      (await container.items.query({ query: `SELECT VALUE COUNT(1) FROM c WHERE c.${field} = @v`, parameters: [{ name: '@v', value }] }).fetchAll()).resources[0] as number;
    const written = async () => ({
      rethinks: (await bed.db.rethinksIn(chat.id)).length,
      conversations: (await count(bed.db.conversations, 'conversationId', chat.id)) + (await count(bed.db.conversations, 'conversationId', personal.id)),
      people: await count(bed.db.people, 'aadObjectId', stranger.aadObjectId),
      posts: bed.connector.posts(chat.id).length + bed.connector.posts(personal.id).length,
    });

    const guarded = await startApp(bed.store.endpoint, { env: { ALLOWED_TENANT_IDS: '11111111-2222-4333-8444-555555555555' } });
    try {
      await sendAll(guarded);
    } finally {
      await guarded.stop();
    }
    expect(await written()).toEqual({ rethinks: 0, conversations: 0, people: 0, posts: 0 });
    // The same activities, from an allowed tenant, do write: the check above could have seen them.
    const allowed = await startApp(bed.store.endpoint, { env: { ALLOWED_TENANT_IDS: TENANT } });
    try {
      await sendAll(allowed);
    } finally {
      await allowed.stop();
    }
    expect(await written()).toEqual({ rethinks: 1, conversations: 2, people: 1, posts: expect.any(Number) });
    expect((await written()).posts).toBeGreaterThanOrEqual(3);
  });

});
