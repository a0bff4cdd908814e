/**
 * The Agents Playground as `npm start` runs it: on this machine only, never on a port already in
 * use (where it would quietly move elsewhere), its log outside the project and gone when it stops.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { startLocalPlayground, type LocalPlayground } from '../../bot/playground';

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

/** The addresses something listens on at this port, as the system reports them. */
const listeners = (port: number): string[] =>
  execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[3] ?? '')
    .filter((local) => local.endsWith(`:${port}`));

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('it listens on 127.0.0.1 only, a second start on its port is refused with what to do, and stopping removes its log', async () => {
  const port = await freePort();
  const exits: (number | null)[] = [];
  const first = await startLocalPlayground('http://127.0.0.1:9/api/messages', port, (code) => exits.push(code));
  if (!first.ok) throw new Error(first.message);
  const playground: LocalPlayground = first.playground;
  try {
    await until(async () => (await fetch(`http://127.0.0.1:${port}/_internal/v1/testConfig`).catch(() => undefined))?.ok === true, 30_000);
    expect(listeners(port)).toEqual([`127.0.0.1:${port}`]);
    expect(existsSync(playground.log)).toBe(true);

    const second = await startLocalPlayground('http://127.0.0.1:9/api/messages', port, () => undefined);
    expect(second).toEqual({ ok: false, message: expect.stringMatching(new RegExp(`^The Agents Playground was not started: port ${port} is in use\\. Is Re-think already running .*set PLAYGROUND_PORT to a free port\\.$`)) });
  } finally {
    playground.stop();
  }
  await until(() => listeners(port).length === 0, 10_000);
  expect(existsSync(playground.log)).toBe(false);
  // Stopped on purpose: not reported as the playground stopping on its own.
  expect(exits).toEqual([]);
}, 60_000);
