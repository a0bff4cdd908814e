/** A TCP proxy in front of the store, so a test can make the store unreachable and bring it back. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  readonly endpoint: string;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Passes the next `method` request (e.g. a replace, PUT) on, then cuts its connection as the answer comes back. */
  loseNextAnswerTo(method: string): void;
  /**
   * Passes `skip` requests whose request line starts with `start` (e.g. `DELETE ` or
   * `PUT /dbs/rethink/colls/settings/`) on, then cuts everything as the next one arrives: it never reaches the store.
   */
  cutAt(start: string, skip: number): void;
  /** As `cutAt`, but drops only that request's connection: the store is reachable again at once. */
  dropAt(start: string, skip: number): void;
  /** Passes the next `method` request on, and its answer back only after `ms` (past the SDK's timeout, it is lost). */
  holdNextAnswerTo(method: string, ms: number): void;
  /** Whether that request has been through (and its answer lost). */
  readonly answerLost: boolean;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

type Fault = 'cut' | 'drop' | 'loseAnswer' | { holdMs: number };

export async function startProxy(targetEndpoint: string): Promise<Proxy> {
  const target = new URL(targetEndpoint);
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  let answerLost = false;
  /** The one request a test has set a fault for: the `skip`+1th whose request line starts with `start`. */
  let trap: { start: string; skip: number; fault: Fault } | undefined;
  const setTrap = (start: string, skip: number, fault: Fault): void => {
    trap = { start, skip, fault };
    answerLost = false;
  };
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      let losing = false;
      let holdMs = 0;
      client.on('data', (chunk: Buffer) => {
        const fault = trap && chunk.toString('latin1').startsWith(trap.start) && trap.skip-- === 0 ? trap.fault : undefined;
        if (fault) trap = undefined;
        if (fault === 'cut') return void close();
        if (fault === 'drop') {
          client.destroy();
          upstream.destroy();
          return;
        }
        losing ||= fault === 'loseAnswer';
        if (typeof fault === 'object') holdMs = fault.holdMs;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (holdMs > 0) {
          answerLost = true;
          return void setTimeout(() => client.writable && client.write(chunk), holdMs);
        }
        if (!losing) return void client.write(chunk);
        answerLost = true;
        client.destroy();
        upstream.destroy();
      });
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) from.on('close', () => to.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await listen();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut: close,
    restore: listen,
    stop: close,
    cutAt: (start, skip) => setTrap(start, skip, 'cut'),
    dropAt: (start, skip) => setTrap(start, skip, 'drop'),
    loseNextAnswerTo: (method) => setTrap(`${method} `, 0, 'loseAnswer'),
    holdNextAnswerTo: (method, ms) => setTrap(`${method} `, 0, { holdMs: ms }),
    get answerLost() {
      return answerLost;
    },
  };
}
