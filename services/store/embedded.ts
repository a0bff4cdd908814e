import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@vercel/cosmosdb-server';

export interface EmbeddedCosmos {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The in-memory Cosmos-compatible server for local use and tests. It speaks the Cosmos REST API,
 * so the app reaches it through the real @azure/cosmos SDK, exactly as it reaches Azure.
 */
export async function startEmbeddedCosmos(port: number, host = '127.0.0.1', onRequest?: (request: IncomingMessage, response: ServerResponse) => void): Promise<EmbeddedCosmos> {
  const server = createHttpServer({ keepAlive: true });
  // Lets tests and the benchmark count the store requests each action makes (and how they were answered).
  if (onRequest) server.prependListener('request', onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`The embedded Cosmos store cannot listen on ${host}:${port}: the port is in use. Set EMBEDDED_COSMOS_PORT to a free port.`) : error),
    );
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host}:${actual}`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
