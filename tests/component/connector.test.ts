/** The Bot Connector throttling or failing: the record is saved and the card catches up. */
import { newGroupChat, users } from '../helpers/activities';
import { Driver } from '../helpers/driver';
import { cardText, startTestBed, type TestBed } from '../helpers/harness';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(() => bed.stop());

test('a throttled card update (429 with Retry-After) is retried, and everyone\'s card catches up', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.megan);
  bed.connector.throttleNext(2, 1);
  const answer = await driver.press(users.megan, 'contribute', { rethinkId, contribution: 'Said while Teams was busy' });
  expect(cardText(answer.card)).toContain('Your contribution is saved');
  expect(bed.connector.throttled).toBe(2);
  expect(cardText(driver.sharedCard(cardId))).toContain('Said while Teams was busy');
});

test('a reply Teams takes and never answers, or fails at every try, holds the turn only as long as the app waits for Teams', async () => {
  const quick = await startTestBed({ delivery: { sendTimeoutMs: 1_000 } });
  try {
    const chat = new Driver(quick.app, quick.connector, newGroupChat());
    await chat.say(users.megan, 'help');
    const before = quick.connector.posts(chat.conversation.id).length;
    quick.connector.hangNext(1);
    const started = Date.now();
    await chat.say(users.megan, 'status');
    // Without a limit the turn waited as long as the connection lived (minutes).
    expect(Date.now() - started).toBeLessThan(10_000);
    // The hung reply failed the turn, and botbuilder's apology reached the chat.
    await quick.connector.waitFor((c) => c.conversationId === chat.conversation.id && (c.activity.text ?? '').startsWith('Sorry, something went wrong'));
    expect(quick.connector.posts(chat.conversation.id).length).toBeGreaterThan(before);
    // Teams failing every try (503): the limit is for the whole call, botbuilder's retries and their waits included (about 9 s of them at a 1 s limit).
    quick.connector.fail(503);
    const failingFrom = Date.now();
    await chat.say(users.megan, 'status');
    quick.connector.fail(undefined);
    expect(Date.now() - failingFrom).toBeLessThan(4_000);
  } finally {
    await quick.stop();
  }
});
