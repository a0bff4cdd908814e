/** The bot's own outgoing requests (bot/connectorClient.ts): a credential that can't get a token is told, not taken for Teams not answering. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectorClient } from '../../bot/connectorClient';

test('a token that can’t be had: nothing is sent, the send is one to try again, and the failure is handed on (an expired secret is otherwise silent)', async () => {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const failures: unknown[] = [];
  const expired = Object.assign(new Error('AADSTS7000222: the client secret has expired'), { name: 'ClientAuthError' });
  const client = connectorClient(() => Promise.reject(expired), 1_000, (error) => failures.push(error));
  try {
    const outcome = await client.post({ conversationId: '19:chat@thread.v2', serviceUrl, tenantId: 't', botId: 'b', conversationKind: 'groupChat' }, { type: 'message', text: 'hello' });
    expect(outcome).toEqual({ ok: false, status: 0 });
    expect(failures).toEqual([expired]);
    expect(requests).toBe(0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
