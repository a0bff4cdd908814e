/** With an app id configured, the SDK authenticates every inbound request: configuration alone. */
import { captureLog } from '../helpers/logs';
import { execute, installed, message, newGroupChat, users } from '../helpers/activities';
import { START_FORM } from '../helpers/driver';
import { startConnector } from '../helpers/connector';
import { startApp, startStore, storeReader } from '../helpers/harness';

test('with single-tenant credentials, a request without a valid Bot Framework token is refused and writes nothing, and the log says why once for each cause', async () => {
  const store = await startStore();
  const connector = await startConnector();
  const { lines, logger } = captureLog();
  // botbuilder writes each refusal's stack to stderr, where anyone's unsigned requests would push the app's own log out.
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const app = await startApp(store.endpoint, {
    env: { MICROSOFT_APP_ID: '11111111-2222-4333-8444-555555555555', MICROSOFT_APP_PASSWORD: 'fake', MICROSOFT_APP_TENANT_ID: '72f988bf-0000-4000-8000-00000000abcd' },
    logger: logger('warn'),
  });
  const db = storeReader(store.endpoint);
  try {
    const chat = newGroupChat();
    const where = { user: users.megan, conversation: chat, serviceUrl: connector.serviceUrl };
    // Each of these writes when unauthenticated requests are accepted (see faults.test.ts, the tenant allow-list).
    for (const activity of [installed(where), message('start', where), execute('startRethink', START_FORM, where)]) {
      for (const authorization of [undefined, 'Bearer not-a-token']) {
        const anonymous = await fetch(`${app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(activity) });
        expect(anonymous.status).toBe(401);
      }
    }
    expect(stderr).not.toHaveBeenCalled();
    // Each cause once: no token at all, and a token that isn't one.
    const causes = lines.filter((l) => l.includes('without a valid Bot Framework token')).map((l) => (JSON.parse(l) as { cause: string }).cause);
    expect(causes).toEqual(['Unauthorized Access. Request is not authorized', 'Unauthorized. No valid identity.']);
    await app.idle();
    // (A request with a token is not tried here: validating one fetches Microsoft's signing keys,
    // and tests send traffic only to this machine.)
    expect(connector.captured).toHaveLength(0);
    expect(await db.rethinksIn(chat.id)).toEqual([]);
    const { resources } = await db.conversations.items.query({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.conversationId = @c', parameters: [{ name: '@c', value: chat.id }] }).fetchAll();
    expect(resources).toEqual([0]);
    // The app keeps serving: its health check still answers.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  } finally {
    stderr.mockRestore();
    db.dispose();
    await app.stop();
    await connector.stop();
    await store.stop();
  }
});

test('with credentials and no ADMIN_IDS, the start-up log says what that leaves undone', async () => {
  const store = await startStore();
  const { lines, logger } = captureLog();
  const credentials = { MICROSOFT_APP_ID: '11111111-2222-4333-8444-555555555555', MICROSOFT_APP_PASSWORD: 'fake', MICROSOFT_APP_TENANT_ID: '72f988bf-0000-4000-8000-00000000abcd' };
  try {
    for (const env of [credentials, { ...credentials, ADMIN_IDS: '33333333-2222-4333-8444-555555555555' }]) {
      const app = await startApp(store.endpoint, { env, logger: logger('warn') });
      await app.stop();
    }
  } finally {
    await store.stop();
  }
  const warnings = lines.filter((l) => l.includes('ADMIN_IDS is not set'));
  expect(warnings).toHaveLength(1);
  // A deployment on the bundled profile says so, in case it serves another partnership.
  expect(lines.filter((l) => l.includes('This deployment uses the bundled partnership profile (Portsmouth Safeguarding Children Partnership)'))).toHaveLength(2);
  expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({ level: 'warn', msg: expect.stringContaining('requests for an independent facilitator reach no one') });
});

test('a side panel set up against another app than the bot: the start-up log says it is off and why, and the bot answers', async () => {
  const store = await startStore();
  const { lines, logger } = captureLog();
  const env = { MICROSOFT_APP_ID: '11111111-2222-4333-8444-555555555555', MICROSOFT_APP_PASSWORD: 'fake', MICROSOFT_APP_TENANT_ID: '72f988bf-0000-4000-8000-00000000abcd', ADMIN_IDS: '33333333-2222-4333-8444-555555555555', PANEL_APP_ID_URI: 'api://rethink.example.org/99999999-2222-4333-8444-555555555555' };
  const app = await startApp(store.endpoint, { env, logger: logger('warn') });
  try {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  } finally {
    await app.stop();
    await store.stop();
  }
  const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => l.msg.startsWith('The side panel is off'));
  expect(warning).toMatchObject({ level: 'warn', msg: expect.stringContaining("PANEL_APP_ID_URI must end with the bot's own app id") });
});
