/** One Bot Connector client per bot, service URL and audience, instead of a new one every turn. */
import { ClientCache, ReusedClientsAuthentication } from '../../bot/reusedClients';
import { message, newGroupChat, users } from '../helpers/activities';

type Activity = Parameters<ReusedClientsAuthentication['authenticateRequest']>[0];

test('the cache builds a client once per key, forgets one that failed to build, and stays within its bound', async () => {
  const cache = new ClientCache<{ n: number }>(2);
  let built = 0;
  const build = async () => ({ n: ++built });
  const a = await cache.get('a', build);
  expect(await cache.get('a', build)).toBe(a);
  expect(built).toBe(1);

  await expect(cache.get('broken', () => Promise.reject(new Error('no credentials')))).rejects.toThrow('no credentials');
  expect(await cache.get('broken', build)).toEqual({ n: 2 });

  await cache.get('c', build);
  expect(cache.size).toBe(2);
  // 'a' was the oldest: it was let go, so it is built again.
  expect(await cache.get('a', build)).not.toBe(a);
});

describe('the adapter’s authentication (no app id: local use)', () => {
  const auth = new ReusedClientsAuthentication({}, undefined, 15_000);
  // Nothing is sent: port 9 only names a service URL.
  const activity = message('help', { user: users.megan, conversation: newGroupChat(), serviceUrl: 'http://127.0.0.1:9/one/' }) as unknown as Activity;

  test('turns from the same service reuse one connector client; another service URL gets its own', async () => {
    const first = await auth.authenticateRequest(activity, '');
    const second = await auth.authenticateRequest(activity, '');
    const one = await first.connectorFactory?.create('http://127.0.0.1:9/one/', first.audience);
    expect(one).toBeDefined();
    expect(await second.connectorFactory?.create('http://127.0.0.1:9/one/', second.audience)).toBe(one);
    expect(await second.connectorFactory?.create('http://127.0.0.1:9/two/', second.audience)).not.toBe(one);
    // Proactive turns (new posts after the answer) build their factory from the claims.
    expect(await auth.createConnectorFactory(first.claimsIdentity).create('http://127.0.0.1:9/one/', first.audience)).toBe(one);
  });

  test('the user token client is built once for the bot', async () => {
    const { claimsIdentity } = await auth.authenticateRequest(activity, '');
    expect(await auth.createUserTokenClient(claimsIdentity)).toBe(await auth.createUserTokenClient(claimsIdentity));
  });
});
