/** The app's own HTTP calls (Bot Connector, file upload): bodies as given, statuses as they are, failures as `undefined`. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequester } from '../../bot/httpRequest';

let server: Server;
let base: string;
// Not chained on writeHead: in a Jest worker that has loaded restify, it patches Node's own
// ServerResponse, and its writeHead returns nothing.
let handle: (req: IncomingMessage, body: string, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handle(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('sends the JSON body with its length and the bearer token, and parses the answer', async () => {
  let seen: { method?: string; url?: string; type?: string; length?: string; auth?: string; body?: unknown } = {};
  handle = (req, body, res) => {
    seen = { method: req.method, url: req.url, type: req.headers['content-type'], length: req.headers['content-length'], auth: req.headers.authorization, body: JSON.parse(body) };
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'activity-1' }));
  };
  const text = 'Café · “quoted” – ok';
  const response = await httpRequester(2_000)('PUT', `${base}/v3/conversations/a%3Ab/activities/1`, { json: { text }, bearer: 'token-1' });
  expect(response).toEqual({ status: 201, ok: true, retryAfter: undefined, body: { id: 'activity-1' } });
  expect(seen).toEqual({
    method: 'PUT',
    url: '/v3/conversations/a%3Ab/activities/1',
    type: 'application/json; charset=utf-8',
    length: String(Buffer.byteLength(JSON.stringify({ text }))),
    auth: 'Bearer token-1',
    body: { text },
  });
});

test('raw bytes go as they are, with the headers given and their length', async () => {
  let seen: { type?: string; range?: string; length?: string; bytes?: string } = {};
  handle = (req, body, res) => {
    seen = { type: req.headers['content-type'], range: req.headers['content-range'], length: req.headers['content-length'], bytes: body };
    res.writeHead(201);
    res.end();
  };
  const bytes = new TextEncoder().encode('a small file');
  const response = await httpRequester(2_000)('PUT', `${base}/upload`, { bytes, headers: { 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}` } });
  expect(response).toEqual({ status: 201, ok: true, retryAfter: undefined, body: undefined });
  expect(seen).toEqual({ type: undefined, range: `bytes 0-11/12`, length: '12', bytes: 'a small file' });
});

test('a refusal keeps its status and Retry-After; a body that is not JSON is undefined', async () => {
  handle = (_req, _body, res) => {
    res.writeHead(429, { 'retry-after': '7' });
    res.end('slow down');
  };
  expect(await httpRequester(2_000)('POST', `${base}/x`, { json: {} })).toEqual({ status: 429, ok: false, retryAfter: '7', body: undefined });
});

test('no answer within the time allowed, or nobody listening, is undefined', async () => {
  handle = () => undefined;
  expect(await httpRequester(150)('GET', `${base}/hang`, {})).toBeUndefined();
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  expect(await httpRequester(2_000)('GET', `http://127.0.0.1:${port}/`, {})).toBeUndefined();
});

test('the answer is read to the end before it is parsed', async () => {
  handle = (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"parts":[1,');
    setTimeout(() => res.end('2,3]}'), 30);
  };
  expect((await httpRequester(2_000)('GET', `${base}/slow`, {}))?.body).toEqual({ parts: [1, 2, 3] });
});

describe('a kept-alive connection the far end has closed', () => {
  /** Answers the first request on each connection; resets the connection when a second one comes on it. */
  async function resettingServer(): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
    const served = new WeakSet<object>();
    let requests = 0;
    const resetting = createServer((req, res) => {
      requests++;
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(resetting.address() as AddressInfo).port}/`,
      requests: () => requests,
      stop: async () => {
        resetting.closeAllConnections();
        await new Promise((resolve) => resetting.close(resolve));
      },
    };
  }

  test('is tried once more on a new connection, and answers', async () => {
    const far = await resettingServer();
    try {
      const request = httpRequester(2_000);
      expect((await request('PUT', far.url, { json: { n: 1 } }))?.status).toBe(200);
      expect((await request('PUT', far.url, { json: { n: 2 } }))?.body).toEqual({ ok: true });
      // The second went on the first connection, was reset, and went again on a new one.
      expect(far.requests()).toBe(3);
    } finally {
      await far.stop();
    }
  });

  test('a reset on a new connection is not tried again', async () => {
    let requests = 0;
    const rude = createServer((req) => {
      requests++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    try {
      expect(await httpRequester(2_000)('POST', `http://127.0.0.1:${(rude.address() as AddressInfo).port}/`, { json: {} })).toBeUndefined();
      expect(requests).toBe(1);
    } finally {
      rude.closeAllConnections();
      await new Promise((resolve) => rude.close(resolve));
    }
  });
});
