/** The bot's requests as the adapter answers them: refused ones are 401, logged once for each cause. */
import { generateKeyPairSync } from 'node:crypto';
import { answerActivity, createAdapter } from '../../bot/adapter';
import { onceInTenMinutes } from '../../bot/panel/api';
import { captureLog } from '../helpers/logs';

// Microsoft's signing keys, as the SDK fetches them: answered here for a key id anyone can read from the published set.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { OpenIdMetadata } = require('botframework-connector/lib/auth/openIdMetadata') as { OpenIdMetadata: { prototype: { getKey(kid: string): Promise<unknown> } } };

test('a token with a forged signature under a real key id is refused as any unsigned request is: 401, logged once with its cause, never as a failure of the app', async () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const getKey = jest.spyOn(OpenIdMetadata.prototype, 'getKey').mockResolvedValue({ key: publicKey.export({ type: 'spki', format: 'pem' }).toString(), endorsements: ['msteams'] });
  // botbuilder itself writes the key it tried to stderr; nothing the app logs.
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const { lines, logger } = captureLog();
  const log = logger('info');
  const appId = '11111111-2222-4333-8444-555555555555';
  const adapter = createAdapter({ mode: 'singleTenant', appId, password: 'fake', tenantId: '72f988bf-0000-4000-8000-00000000abcd' }, log, 15_000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const warnNow = onceInTenMinutes();
  let turns = 0;
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const token = `${part({ alg: 'RS256', kid: 'published-key', typ: 'JWT' })}.${part({ iss: 'https://api.botframework.com', aud: appId, exp: Math.floor(Date.now() / 1000) + 600, n: i })}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
      const activity = { type: 'message', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/uk/', conversation: { id: 'c' }, from: { id: 'u' }, recipient: { id: 'b' }, text: 'hi' };
      const answer = await answerActivity(adapter, `Bearer ${token}`, activity as never, async () => void turns++, log, warnNow);
      statuses.push(answer.status);
    }
    expect(getKey).toHaveBeenCalled();
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(turns).toBe(0);
    const logged = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(logged.filter((l) => l.msg.includes('without a valid Bot Framework token'))).toHaveLength(1);
  } finally {
    getKey.mockRestore();
    stderr.mockRestore();
  }
});
