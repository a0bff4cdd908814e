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
