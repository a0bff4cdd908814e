/**
 * The side panel as Teams runs it: in a frame, talking to its host through @microsoft/teams-js. The
 * host here is a page of the test's own, on the app's origin (teams-js trusts its own origin), that
 * answers initialize, getContext and getAuthToken as Teams does: with the meeting's chat and a Teams
 * SSO token minted with a key the app is told to trust. The page's clock stands still but for what
 * the test lets pass, so polls and retries are stepped through rather than waited for. Every request outside 127.0.0.1 is blocked.
 */
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { installed, newMeetingChat, TENANT, users, type TestConversation } from '../helpers/activities';
import { Driver, START_FORM } from '../helpers/driver';
import { send, startTestBed, type TestBed } from '../helpers/harness';
import { teamsSso, type TeamsSso } from '../helpers/teamsSso';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const organiser = users.alex;
const attendee = users.megan;
const HEADING = `Re-think · case ${START_FORM.caseReference}`;
const SIGN_IN_FAILED = 'Teams couldn’t sign you in to Re-think just now.';

let bed: TestBed;
let sso: TeamsSso;
let browser: Browser;
let chat: TestConversation;

/** What Teams answers the panel's frame. `window.teamsToken` is the token it hands out (none: sign-in fails). */
const hostPage = (context: object): string => `<!doctype html><html lang="en-GB"><head><title>Teams</title></head><body>
<iframe id="panel" title="Re-think" src="/panel/" style="width:320px;height:860px;border:0"></iframe>
<script>
  const runtime = JSON.stringify({ apiVersion: 4, supports: { appInstallDialog: {}, meeting: {}, pages: { appButton: {}, tabs: {}, config: {}, backStack: {}, fullTrust: {} }, teamsCore: {} } });
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m.func !== 'string' || typeof m.id !== 'number') return;
    const reply = (args) => event.source.postMessage({ id: m.id, uuidAsString: m.uuidAsString, args }, event.origin);
    if (m.func === 'initialize') reply(['sidePanel', 'web', runtime, '2.0.0']);
    else if (m.func === 'getContext') reply([${JSON.stringify(context)}]);
    else if (m.func === 'authentication.getAuthToken') reply(window.teamsToken ? [true, window.teamsToken] : [false, 'resourceDisabled']);
  });
</script></body></html>`;

interface Opened {
  page: Page;
  panel: Frame;
  /** Polls of the Re-think the panel has made, with the status each was answered with (0 until answered). */
  polls: number[];
  /** Requests to the panel's API under way. */
  inFlight: number;
}

async function openInTeams(token: string | undefined): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 360, height: 900 } });
  // The page's time stands still but for what the test lets pass.
  const start = Date.now();
  await page.clock.install({ time: start });
  await page.clock.pauseAt(start + 1_000);
  const host = `${bed.app.url}/teams-host.html`;
  const context = { chatId: chat.id, meetingId: chat.meetingId, frameContext: 'sidePanel', theme: 'default', tid: TENANT, userObjectId: attendee.aadObjectId, hostClientType: 'web', locale: 'en-gb' };
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === host) return route.fulfill({ contentType: 'text/html; charset=utf-8', body: hostPage(context) });
    return new URL(url).hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  const opened: Opened = { page, panel: page.mainFrame(), polls: [], inFlight: 0 };
  const api = (url: string) => url.includes('/api/panel/');
  const poll = (method: string, url: string) => method === 'GET' && url.includes('/api/panel/rethinks/');
  page.on('request', (request) => {
    if (api(request.url())) opened.inFlight++;
  });
  page.on('response', (response) => {
    const request = response.request();
    if (poll(request.method(), request.url())) opened.polls.push(response.status());
    if (api(request.url())) opened.inFlight--;
  });
  page.on('requestfailed', (request) => {
    if (api(request.url())) opened.inFlight--;
  });
  await page.addInitScript((t) => ((window as unknown as { teamsToken?: string }).teamsToken = t), token);
  await page.goto(host);
  const panel = page.frame({ url: /\/panel\/$/ });
  if (!panel) throw new Error('The panel frame did not load');
  opened.panel = panel;
  return opened;
}

/** Until nothing has been asked of the panel's API for a moment (a poll first asks Teams for a token). */
async function settle(opened: Opened): Promise<void> {
  const deadline = Date.now() + 10_000;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 150) {
    if (Date.now() > deadline) throw new Error('The panel never went quiet');
    if (opened.inFlight > 0) quietSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Until the panel has made `count` polls and they are answered (a busy machine may be slow to start one). */
async function pollsReach(opened: Opened, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (opened.polls.length < count) {
    if (Date.now() > deadline) throw new Error(`Expected ${count} polls, saw ${opened.polls.length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await settle(opened);
}

/** Moves the page's clock on half a second at a time, letting every poll that falls due run to its end. */
async function advance(opened: Opened, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 500) {
    await opened.page.clock.runFor(Math.min(500, ms - done));
    await settle(opened);
  }
}

const roleLookups = () => bed.connector.roleLookups.filter((aad) => aad === attendee.aadObjectId).length;

beforeAll(async () => {
  sso = await teamsSso();
  bed = await startTestBed({ panelAuth: sso.panelAuth });
  chat = newMeetingChat();
  await send(bed.app, installed({ user: organiser, conversation: chat, serviceUrl: bed.connector.serviceUrl }));
  bed.connector.setMeetingRole(organiser.aadObjectId, 'Organizer', organiser.id);
  bed.connector.setMeetingRole(attendee.aadObjectId, 'Attendee', attendee.id);
  await new Driver(bed.app, bed.connector, chat).start(organiser, START_FORM);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

test('in Teams: signed in with Teams SSO, it shows the meeting’s Re-think; its polls ride on the membership pass, so Teams is asked once', async () => {
  const before = roleLookups();
  const opened = await openInTeams(await sso.mint(attendee));
  await opened.panel.getByRole('heading', { name: HEADING }).waitFor({ timeout: 15_000 });
  expect(await opened.panel.locator('#app').getByText('Development mode').count()).toBe(0);
  // The first look found the Re-think (asking Teams once); from then on, one poll every 2 s.
  await settle(opened);
  for (const count of [1, 2, 3]) {
    await advance(opened, 2_000);
    await pollsReach(opened, count);
  }
  expect(opened.polls).toEqual([304, 304, 304]);
  expect(roleLookups()).toBe(before + 1);
  await opened.page.close();
}, 60_000);

test('Teams unable to sign the person in: the panel says so, asks again half a minute later, not every 2 s, and then shows the Re-think', async () => {
  const opened = await openInTeams(undefined);
  await opened.panel.locator('#app').getByText(SIGN_IN_FAILED).waitFor({ timeout: 15_000 });
  await settle(opened);
  const asked: string[] = [];
  opened.page.on('request', (r) => (r.url().includes('/api/panel/') ? asked.push(r.url()) : undefined));
  await opened.page.evaluate(async (t) => ((window as unknown as { teamsToken?: string }).teamsToken = t), await sso.mint(attendee));
  // Nothing is asked of the app while Teams can't sign the person in, until the half minute is up.
  await advance(opened, 29_500);
  expect(asked).toEqual([]);
  await advance(opened, 1_000);
  await opened.panel.getByRole('heading', { name: HEADING }).waitFor();
  expect(asked).toHaveLength(1);
  expect(await opened.panel.locator('#app').getByText(SIGN_IN_FAILED).count()).toBe(0);
  await opened.page.close();
}, 60_000);

test('a panel nobody can see polls every 15 s, not every 2 s, and catches up at once when shown again', async () => {
  const opened = await openInTeams(await sso.mint(attendee));
  await opened.panel.getByRole('heading', { name: HEADING }).waitFor({ timeout: 15_000 });
  await settle(opened);
  await advance(opened, 2_000);
  await pollsReach(opened, 1);
  const visibility = (state: 'hidden' | 'visible') =>
    opened.panel.evaluate((s) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await visibility('hidden');
  // The poll already set for 2 s still comes; the next one only 15 s after it.
  await advance(opened, 2_000);
  await pollsReach(opened, 2);
  await advance(opened, 14_500);
  expect(opened.polls).toHaveLength(2);
  await advance(opened, 500);
  await pollsReach(opened, 3);
  await visibility('visible');
  await pollsReach(opened, 4);
  // Every one of them answered on the pass: 304, the Re-think unchanged.
  expect(opened.polls).toEqual([304, 304, 304, 304]);
  await opened.page.close();
}, 60_000);

test('Teams unable to say who is in the meeting as the panel opens: it says so rather than "Loading", keeps asking less often, and shows the Re-think once Teams answers', async () => {
  bed.connector.fail(500);
  let opened: Opened | undefined;
  try {
    opened = await openInTeams(await sso.mint(attendee));
    await opened.panel.locator('#app').getByText('Teams couldn’t confirm who is in the meeting just now. The panel will try again in a moment.').waitFor({ timeout: 15_000 });
    expect(await opened.panel.locator('#app').getByText('Loading the Re-think…').count()).toBe(0);
  } finally {
    bed.connector.fail(undefined);
  }
  await settle(opened);
  // A poll Teams didn't answer: the next comes 4 s later, not 2 s (each such poll asks Teams again).
  await advance(opened, 2_000);
  expect(await opened.panel.getByRole('heading', { name: HEADING }).count()).toBe(0);
  await advance(opened, 2_000);
  await opened.panel.getByRole('heading', { name: HEADING }).waitFor({ timeout: 15_000 });
  await opened.page.close();
}, 60_000);
