/**
 * The meeting side panel in a real browser: Debian's Chromium driven by playwright-core, against the
 * running app in local mode (the development identity), with every request outside 127.0.0.1
 * blocked. Screenshots in the default, dark and high contrast themes at side panel width go to test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AHEAD, installed, newMeetingChat, users, type TestConversation } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver, START_FORM } from '../helpers/driver';
import { cardText, send, startApp, startTestBed, type TestBed } from '../helpers/harness';
import { ukToday } from '../../services/rethink/validation';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '../../test-results');
const organiser = users.alex;
const attendee = users.megan;
const presenter = users.adele;

let bed: TestBed;
let browser: Browser;
let chat: TestConversation;
let driver: Driver;
let rethinkId: string;
let cardId: string;

/** Every request the page makes outside this machine is blocked. */
const localOnly = (page: Page) => page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));

async function openPanel(theme: 'default' | 'dark' | 'contrast'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 320, height: 900 } });
  await localOnly(page);
  await page.goto(`${bed.app.url}/panel/?chatId=${encodeURIComponent(chat.id)}&theme=${theme}`);
  await page.getByRole('heading', { name: `Re-think · case ${START_FORM.caseReference}` }).waitFor({ timeout: 10_000 });
  return page;
}

const sharedCardText = (): string => {
  const last = bed.connector.updates(chat.id).filter((u) => u.activityId === cardId).at(-1);
  return last ? cardText(cardOf(last)) : '';
};

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe.run();
    return result.violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

beforeAll(async () => {
  bed = await startTestBed({ env: { DEV_USER_ID: organiser.id, DEV_USER_NAME: organiser.name, DEV_USER_AAD_ID: organiser.aadObjectId, DEV_USER_ROLE: 'Organizer' } });
  chat = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  for (const [user, role] of [[organiser, 'Organizer'], [attendee, 'Attendee'], [presenter, 'Presenter']] as const) bed.connector.setMeetingRole(user.aadObjectId, role, user.id);
  driver = new Driver(bed.app, bed.connector, chat);
  ({ rethinkId, cardId } = await driver.start(organiser, START_FORM));
  await driver.press(attendee, 'join', { rethinkId, role: 'Teacher', agency: 'School' });
  await driver.press(attendee, 'contribute', { rethinkId, contribution: 'Attendance has improved since September.', stage: '1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

test('the panel shows the Re-think, follows changes made through the bot, saves a contribution to the card, and lets the facilitator move on', async () => {
  const page = await openPanel('default');
  expect(await page.locator('#app').getByText('Development mode').isVisible()).toBe(true);
  expect(await page.locator('#app').getByText('Stage 1 of 5').isVisible()).toBe(true);
  expect(await page.locator('#app').getByText('Attendance has improved since September.').isVisible()).toBe(true);

  // The organiser (who started it, so has joined) starts typing in the panel...
  expect(await page.getByRole('button', { name: 'Join' }).count()).toBe(0);
  // The box says its limit and the no-names rule in its label, which a screen reader reads (a placeholder often isn't).
  expect(await page.getByLabel(/Your view on/).getAttribute('id')).toBe('contribution');
  expect(await page.locator('label[for="contribution"]').textContent()).toMatch(/\(up to 4,000 characters; no names, please: roles and agencies only\)$/);
  await page.getByLabel(/Your view on/).fill('School and health see progress; social care is worried about evenings.');

  // ...meanwhile a contribution made through the bot appears without a reload, and what they typed stays.
  await driver.press(presenter, 'join', { rethinkId, role: 'Health visitor', agency: 'NHS' });
  await driver.press(presenter, 'contribute', { rethinkId, contribution: 'The family engage well with health visiting.', stage: '1' });
  await page.locator('#app').getByText('The family engage well with health visiting.').waitFor({ timeout: 6_000 });
  expect(await page.getByLabel(/Your view on/).inputValue()).toBe('School and health see progress; social care is worried about evenings.');

  // Saved from the panel, and on everyone's card.
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('Your contribution is saved').waitFor();
  await bed.app.idle();
  expect(sharedCardText()).toContain('social care is worried about evenings');

  // The facilitator moves everyone on from the panel: the button names where to, as on the card.
  await page.getByRole('button', { name: 'Move to stage 2: Thinking and feeling' }).click();
  await page.getByRole('heading', { name: /^Stage 2 of 5/ }).waitFor();
  expect((await bed.db.rethink(chat.id, rethinkId))?.stage).toBe(2);
  await bed.app.idle();
  expect(sharedCardText()).toContain('Stage 2 of 5');

  // Everyone heard at stage 2, but all from one agency: the facilitator is asked, and may move on anyway.
  for (const user of [attendee, presenter]) {
    await driver.press(user, 'join', { rethinkId, role: 'Social worker', agency: START_FORM.agency });
    await driver.press(user, 'contribute', { rethinkId, contribution: `${user.name} at stage 2.`, stage: '2' });
  }
  await page.getByLabel(/Your view on/).fill('Mine at stage 2.');
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('Your contribution is saved').waitFor();
  // Screen readers are told once, through the one live region; the panel itself is not read out at every redraw.
  expect(await page.getByRole('status').textContent()).toContain('Your contribution is saved');
  expect(await page.locator('[aria-live]:not(#panel-status)').count()).toBe(0);
  await page.getByRole('button', { name: /^Move to stage 3: / }).click();
  await page.locator('#app').getByText('Everyone heard at this stage is from the same agency').waitFor();
  expect(await page.getByRole('button', { name: 'Move on without them' }).count()).toBe(0);
  // Focus goes to the answer, where the question is; once moved on, to the new stage's heading.
  const focused = () => page.evaluate(() => `${document.activeElement?.tagName ?? ''}:${document.activeElement?.textContent ?? ''}`);
  expect(await focused()).toBe('BUTTON:Move on anyway');
  // Not yet, as on the card: the question goes and the group stays; asked again, the same answer.
  await page.getByRole('button', { name: 'Not yet' }).click();
  expect(await page.getByRole('status').textContent()).toBe('The group stays at this stage for now.');
  expect(await page.getByRole('button', { name: 'Move on anyway' }).count()).toBe(0);
  expect((await bed.db.rethink(chat.id, rethinkId))?.stage).toBe(2);
  await page.getByRole('button', { name: /^Move to stage 3: / }).click();
  await page.getByRole('button', { name: 'Move on anyway' }).waitFor();
  expect(await focused()).toBe('BUTTON:Move on anyway');
  await page.keyboard.press('Enter');
  await page.locator('#app').getByRole('heading', { name: /^Stage 3 of 5/ }).waitFor();
  expect(await focused()).toMatch(/^H2:Stage 3 of 5/);
  expect((await bed.db.rethink(chat.id, rethinkId))?.audit.at(-1)).toMatchObject({ what: 'advancedWithOneVoice', ref: 'stage3' });
  await page.close();
}, 60_000);

test('the stage view: the prompt and the contributions so far, large, with nothing to fill in; and the tab set-up page loads', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await localOnly(page);
  await page.goto(`${bed.app.url}/panel/?chatId=${encodeURIComponent(chat.id)}&view=stage`);
  await page.getByRole('heading', { name: `Re-think · case ${START_FORM.caseReference}` }).waitFor({ timeout: 10_000 });
  expect(await page.locator('body.big').count()).toBe(1);
  expect(await page.getByRole('heading', { name: 'Contributions to this stage' }).isVisible()).toBe(true);
  expect(await page.locator('textarea, input').count()).toBe(0);
  await page.screenshot({ path: path.join(SHOTS, 'panel-stage.png') });

  // Revealed together: once the group moves on, the shared stage shows what was just revealed.
  const together = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: together, serviceUrl: bed.connector.serviceUrl }));
  const here = new Driver(bed.app, bed.connector, together);
  const revealing = await here.start(organiser, { ...START_FORM, revealTogether: 'true' });
  await here.press(attendee, 'join', { rethinkId: revealing.rethinkId, role: 'Teacher', agency: 'School' });
  await here.press(attendee, 'contribute', { rethinkId: revealing.rethinkId, contribution: 'Seen only once the group moves on.', stage: '1' });
  await page.goto(`${bed.app.url}/panel/?chatId=${encodeURIComponent(together.id)}&view=stage&rethinkId=${revealing.rethinkId}`);
  await page.locator('#app').getByText('No contributions to show yet.').waitFor({ timeout: 10_000 });
  expect(await page.locator('#app').getByText('Seen only once the group moves on.').count()).toBe(0);
  await here.press(organiser, 'advance', { rethinkId: revealing.rethinkId, confirmed: 'true', stage: '1' });
  await page.getByRole('heading', { name: /^Revealed when the group moved on: stage 1, / }).waitFor({ timeout: 10_000 });
  expect(await page.locator('#app').getByText('Seen only once the group moves on.').isVisible()).toBe(true);
  await page.goto(`${bed.app.url}/panel/config.html`);
  expect(await page.getByRole('heading', { name: 'Add Re-think to this meeting' }).isVisible()).toBe(true);
  await page.close();
}, 30_000);

test.each(['default', 'dark', 'contrast'] as const)('usable at side panel width in the %s theme, with no accessibility violations', async (theme) => {
  const page = await openPanel(theme);
  expect(await page.evaluate(() => document.body.dataset.theme)).toBe(theme);
  // The browser's own parts (a date field's calendar button) are drawn for the theme, not black on black.
  expect(await page.evaluate(() => getComputedStyle(document.body).colorScheme)).toBe(theme === 'default' ? 'light' : 'dark');
  await page.screenshot({ path: path.join(SHOTS, `panel-${theme}.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(await axeViolations(page)).toEqual([]);
  await page.close();
}, 30_000);

test('typing in the panel: text begun at one stage is never filed under the next; an added action leaves its form empty; a slow poll never undoes a save', async () => {
  const meeting = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: meeting, serviceUrl: bed.connector.serviceUrl }));
  const here = new Driver(bed.app, bed.connector, meeting);
  const started = await here.start(organiser, START_FORM);
  const id = started.rethinkId;
  await here.press(presenter, 'join', { rethinkId: id, role: 'Health visitor', agency: 'NHS' });
  const page = await browser.newPage({ viewport: { width: 320, height: 900 } });
  await localOnly(page);
  await page.goto(`${bed.app.url}/panel/?chatId=${encodeURIComponent(meeting.id)}`);
  await page.locator('#app').getByRole('heading', { name: /^Stage 1 of 5/ }).waitFor({ timeout: 10_000 });
  const stored = () => bed.db.rethink(meeting.id, id);
  const box = page.getByLabel(/Your view on/);

  // Typed at stage 1; the group moves on through the bot; the text stays, but is not filed under stage 2 unasked.
  await box.fill('What I saw at stage 1.');
  await here.press(organiser, 'advance', { rethinkId: id, confirmed: 'true', stage: '1' });
  await page.getByRole('heading', { name: /^Stage 2 of 5/ }).waitFor({ timeout: 6_000 });
  expect(await box.inputValue()).toBe('What I saw at stage 1.');
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('The group has moved on to stage 2').waitFor();
  expect((await stored())?.contributions.filter((c) => c.participantId === organiser.id)).toEqual([]);
  // Saved again, knowingly: now it belongs to stage 2.
  expect(await box.inputValue()).toBe('What I saw at stage 1.');
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('Your contribution is saved').waitFor();
  expect((await stored())?.contributions.filter((c) => c.participantId === organiser.id).map((c) => [c.stage, c.text])).toEqual([[2, 'What I saw at stage 1.']]);

  // A poll that set out before a save, and answers after it, does not put the older text back.
  await here.press(presenter, 'contribute', { rethinkId: id, contribution: 'Health view at stage 2.', stage: '2' });
  await page.route('**/api/panel/rethinks/**', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await route.fulfill({ response });
  });
  await box.fill('What I saw, corrected.');
  await page.waitForRequest((request) => request.method() === 'GET' && request.url().includes('/api/panel/rethinks/'));
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('Your contribution is saved').waitFor();
  await page.waitForTimeout(2_500);
  expect(await box.inputValue()).toBe('What I saw, corrected.');
  await page.unroute('**/api/panel/rethinks/**');
  expect((await stored())?.contributions.find((c) => c.participantId === organiser.id && c.stage === 2)?.text).toBe('What I saw, corrected.');

  // A redraw (someone else's change) keeps an earlier stage opened, the box focused and the caret where it was.
  await page.locator('#app details summary').first().click();
  await box.fill('Half a thought');
  await box.evaluate((node: HTMLTextAreaElement) => node.setSelectionRange(4, 4));
  await here.press(presenter, 'contribute', { rethinkId: id, contribution: 'Health view, added to.', stage: '2' });
  await page.locator('#app').getByText('Health view, added to.').waitFor({ timeout: 6_000 });
  expect(await page.locator('#app details').first().evaluate((node: HTMLDetailsElement) => node.open)).toBe(true);
  expect(await page.evaluate(() => [document.activeElement?.id, (document.activeElement as HTMLTextAreaElement | null)?.selectionStart])).toEqual(['contribution', 4]);
  expect(await box.inputValue()).toBe('Half a thought');
  await box.fill('');

  // A keyboard user on an earlier stage's heading stays there through a redraw.
  await page.locator('#app details summary').first().focus();
  await here.press(presenter, 'contribute', { rethinkId: id, contribution: 'Health view, added to again.', stage: '2' });
  await page.locator('#app').getByText('Health view, added to again.').waitFor({ timeout: 6_000 });
  expect(await page.evaluate(() => [document.activeElement?.tagName, document.activeElement?.textContent])).toEqual(['SUMMARY', 'Stage 1: What has happened?']);

  // The same outcome twice in a row is said twice: the one live region empties, then says it again.
  await page.evaluate(() => {
    const status = document.getElementById('panel-status') as HTMLElement;
    const said: string[] = [];
    (window as unknown as { said: string[] }).said = said;
    new MutationObserver(() => said.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
  for (const text of ['Second thoughts.', 'Third thoughts.']) {
    await box.fill(text);
    await page.getByRole('button', { name: 'Save my contribution' }).click();
    await page.waitForFunction((t) => (window as unknown as { said: string[] }).said.filter((s) => s.startsWith('Your contribution is saved')).length >= t, text === 'Second thoughts.' ? 1 : 2);
  }
  const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
  expect(said.map((t) => (t.startsWith('Your contribution is saved') ? 'saved' : t))).toEqual(['', 'saved', '', 'saved']);
  // Far past any limit (a whole document pasted): said plainly, with what was typed kept.
  const pasted = 'A whole report pasted in. '.repeat(24_000);
  await box.fill(pasted);
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('That is far too long to save').waitFor();
  expect((await box.inputValue()).length).toBe(pasted.length);
  await box.fill('');

  // At stage 5, an action added leaves the form empty for the next.
  for (const stage of [2, 3, 4]) await here.press(organiser, 'advance', { rethinkId: id, confirmed: 'true', stage: String(stage) });
  await page.locator('#app').getByRole('heading', { name: /^Stage 5 of 5/ }).waitFor({ timeout: 6_000 });
  await page.getByLabel(/^What needs to happen/).fill('Book a review meeting');
  // Owned by someone taking part in Teams, chosen as on the card (not typed as someone outside Teams).
  await page.getByLabel('Who owns it').selectOption(presenter.id);
  // The date picker offers no day before today (UK), which the server would refuse.
  // (Either side of UK midnight, the panel may have drawn it a moment before the test looks.)
  expect([ukToday(new Date(Date.now() - 60_000)), ukToday(new Date())]).toContain(await page.getByLabel('Due by').getAttribute('min'));
  await page.getByLabel('Due by').fill(`${AHEAD}-01-10`);
  // A redraw while the date field (which has no caret) is focused keeps it, and the panel working.
  await page.getByLabel('Due by').focus();
  await here.press(presenter, 'contribute', { rethinkId: id, contribution: 'Health view at stage 5.', stage: '5' });
  await page.locator('#app').getByText('Health view at stage 5.').waitFor({ timeout: 6_000 });
  expect(await page.getByLabel('Due by').inputValue()).toBe(`${AHEAD}-01-10`);
  expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type)).toBe('date');
  await page.getByRole('button', { name: 'Add the action' }).click();
  await page.locator('#app').getByText('The action is added.').waitFor();
  expect(await Promise.all([page.getByLabel(/^What needs to happen/).inputValue(), page.getByLabel('Due by').inputValue()])).toEqual(['', '']);
  expect((await stored())?.actions.map((a) => [a.description, a.owner.participantId])).toEqual([['Book a review meeting', presenter.id]]);
  // Someone outside Teams is typed below the choice.
  await page.getByLabel(/^What needs to happen/).fill('Call the family');
  await page.getByLabel('Who owns it').selectOption('__external');
  await page.getByLabel(/Or someone outside Teams/).fill('Duty manager, early help');
  await page.getByLabel('Due by').fill(`${AHEAD}-01-12`);
  await page.getByRole('button', { name: 'Add the action' }).click();
  await page.locator('#app').getByText('Call the family').waitFor();
  expect((await stored())?.actions.map((a) => [a.description, a.owner.participantId ?? a.owner.name])).toEqual([
    ['Book a review meeting', presenter.id],
    ['Call the family', 'Duty manager, early help'],
  ]);
  await page.close();
}, 60_000);

test('Teams or the store not answering: the panel asks less and less often, not every 2 s; a save that failed says to press again, not that it will be retried', async () => {
  const page = await openPanel('default');
  const polls: number[] = [];
  const started = Date.now();
  await page.route('**/api/panel/**', (route) => {
    if (route.request().method() === 'GET') polls.push(Date.now() - started);
    return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Teams couldn’t confirm who is in the meeting just now. The panel will try again in a moment.' }) });
  });
  await page.waitForTimeout(9_000);
  // Every 2 s, 4 or 5 polls; backing off (4 s, then 8 s), at most 3.
  expect(polls.length).toBeGreaterThanOrEqual(1);
  expect(polls.length).toBeLessThanOrEqual(3);
  await page.getByLabel(/Your view on/).fill('Typed while Teams was busy.');
  await page.getByRole('button', { name: 'Save my contribution' }).click();
  await page.locator('#app').getByText('That wasn’t saved: Teams couldn’t confirm who is in the meeting just now. Please press it again in a moment; what you typed is still here.').waitFor({ timeout: 5_000 });
  expect(await page.getByLabel(/Your view on/).inputValue()).toBe('Typed while Teams was busy.');
  await page.close();
}, 30_000);

test('outside Teams, an app with no development identity: the page says why, with no development banner', async () => {
  const plain = await startApp(bed.app.storeEndpoint, { env: { LOG_LEVEL: 'silent' } });
  const page = await browser.newPage({ viewport: { width: 320, height: 600 } });
  try {
    await localOnly(page);
    await page.goto(`${plain.url}/panel/?chatId=${encodeURIComponent(chat.id)}`);
    await page.locator('#app').getByText('the side panel needs a development identity').waitFor({ timeout: 10_000 });
    expect(await page.locator('#app').getByText('Development mode').count()).toBe(0);
  } finally {
    await page.close();
    await plain.stop();
  }
}, 30_000);

test('for a screen reader: someone else’s save leaves the box being typed in alone (no focus moved, nothing read again), and a stage moved on or a close by someone else is said', async () => {
  const meeting = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: meeting, serviceUrl: bed.connector.serviceUrl }));
  const here = new Driver(bed.app, bed.connector, meeting);
  const { rethinkId: id } = await here.start(organiser, START_FORM);
  await here.press(presenter, 'join', { rethinkId: id, role: 'Health visitor', agency: 'NHS' });
  const page = await browser.newPage({ viewport: { width: 320, height: 900 } });
  try {
    await localOnly(page);
    await page.goto(`${bed.app.url}/panel/?chatId=${encodeURIComponent(meeting.id)}`);
    await page.locator('#app').getByRole('heading', { name: /^Stage 1 of 5/ }).waitFor({ timeout: 10_000 });
    const box = page.getByLabel(/Your view on/);
    await box.click();
    await box.pressSequentially('Half a thought');
    await page.evaluate(() => {
      const counted = window as unknown as { focusMoves: number };
      counted.focusMoves = 0;
      document.addEventListener('focusin', () => counted.focusMoves++);
    });
    const status = page.locator('#panel-status');

    // The health visitor contributes from the card: the panel shows it, and the box is the same box.
    await here.press(presenter, 'contribute', { rethinkId: id, contribution: 'Health view at stage 1.', stage: '1' });
    await page.locator('#app').getByText('has contributed').waitFor({ timeout: 6_000 });
    expect(await page.evaluate(() => (window as unknown as { focusMoves: number }).focusMoves)).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('contribution');
    await box.pressSequentially(', finished.');
    expect(await box.inputValue()).toBe('Half a thought, finished.');

    // The organiser moves on from the card (in another window, say): said in the live region.
    await here.press(organiser, 'advance', { rethinkId: id, confirmed: 'true', stage: '1' });
    await page.getByRole('heading', { name: /^Stage 2 of 5/ }).waitFor({ timeout: 6_000 });
    expect(await status.textContent()).toBe('The group has moved on to stage 2 of 5: Thinking and feeling. What you were typing is still in its box.');

    // Taken on to stage 5 and closed: said too, with what was being typed not saved.
    for (const stage of [2, 3, 4]) await here.press(organiser, 'advance', { rethinkId: id, confirmed: 'true', stage: String(stage) });
    await page.getByRole('heading', { name: /^Stage 5 of 5/ }).waitFor({ timeout: 6_000 });
    await here.press(organiser, 'close', { rethinkId: id, outcome: 'resolved' });
    await page.locator('#app').getByText('This Re-think is closed').waitFor({ timeout: 6_000 });
    expect(await status.textContent()).toBe('This Re-think has been closed. Its summary is in the meeting chat. What you were typing wasn’t saved.');
  } finally {
    await page.close();
  }
}, 40_000);
