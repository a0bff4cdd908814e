/** "Reveal together": each stage's contributions stay hidden from the others until the facilitator moves on. */
import { AHEAD, newGroupChat, users } from '../helpers/activities';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, startTestBed, type TestBed } from '../helpers/harness';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(() => bed.stop());

test('hidden from the others (and from the shared card) until the group moves on, then revealed to everyone', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.alex, { ...START_FORM, revealTogether: 'true' });
  expect((await bed.db.rethink(driver.conversation.id, rethinkId))?.revealTogether).toBe(true);
  await driver.press(users.megan, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  await driver.press(users.alex, 'contribute', { rethinkId, contribution: 'Alex’s view, not to anchor anyone', stage: '1' });
  const megans = await driver.press(users.megan, 'contribute', { rethinkId, contribution: 'Megan’s own view', stage: '1' });

  // Megan sees her own contribution, not Alex's; the card everyone sees shows neither.
  expect(cardText(megans.card)).toContain('Megan’s own view');
  expect(cardText(megans.card)).not.toContain('Alex’s view');
  expect(cardText(megans.card)).toContain('One contribution is hidden until the facilitator moves on');
  const shared = cardText(driver.sharedCard(cardId));
  expect(shared).not.toContain('Megan’s own view');
  expect(shared).not.toContain('Alex’s view');
  expect(shared).toContain('2 contributions are hidden');

  // Moving on reveals the stage to everyone.
  await driver.press(users.alex, 'advance', { rethinkId, confirmed: 'true', stage: '1' });
  const revealed = cardText(driver.sharedCard(cardId));
  expect(revealed).toContain('Revealed together: stage 1');
  expect(revealed).toContain('Alex’s view, not to anchor anyone');
  expect(revealed).toContain('Megan’s own view');
});

test('the default is open: everyone sees each contribution as it is made', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.alex);
  await driver.press(users.alex, 'contribute', { rethinkId, contribution: 'Seen by all straight away', stage: '1' });
  expect(cardText(driver.sharedCard(cardId))).toContain('Seen by all straight away');
});

test('on clients without per-person views, the posted "move on?" confirmation never shows a hidden contribution', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.alex, { ...START_FORM, revealTogether: 'true' });
  await driver.press(users.megan, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  await driver.press(users.alex, 'contribute', { rethinkId, contribution: 'Hidden until we move on', stage: '1' });
  const before = bed.connector.posts(driver.conversation.id).length;
  await driver.submit(users.alex, { verb: 'advance', rethinkId, confirmed: 'false', stage: '1' }, cardId);
  await bed.app.idle();
  const posted = bed.connector.posts(driver.conversation.id).slice(before).map((p) => JSON.stringify(p.activity));
  expect(posted.some((p) => p.includes('not contributed to this stage yet'))).toBe(true);
  expect(posted.some((p) => p.includes('Hidden until we move on'))).toBe(false);
});

test('the action editor posted where per-person views are missing keeps a stage-5 contribution hidden too', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.alex, { ...START_FORM, revealTogether: 'true' });
  await driver.press(users.megan, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  for (let stage = 1; stage <= 4; stage++) await driver.press(users.alex, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  await driver.press(users.alex, 'contribute', { rethinkId, contribution: 'Stage five, still hidden', stage: '5' });
  await driver.press(users.alex, 'addAction', { rethinkId, actionDescription: 'Share the plan', actionOwner: users.alex.id, actionOwnerName: '', actionDue: `${AHEAD}-01-31` });
  const actionId = (await bed.db.rethink(driver.conversation.id, rethinkId))?.actions[0]?.id;
  const before = bed.connector.posts(driver.conversation.id).length;
  await driver.submit(users.alex, { verb: 'showActionEditor', rethinkId, chosenActionId: actionId }, cardId);
  await bed.app.idle();
  const posted = bed.connector.posts(driver.conversation.id).slice(before).map((p) => JSON.stringify(p.activity));
  expect(posted.some((p) => p.includes('Share the plan'))).toBe(true);
  expect(posted.some((p) => p.includes('Stage five, still hidden'))).toBe(false);
});
