/** Starts the whole app on port 0 against a store and a connector the test owns. */
import type { Container } from '@azure/cosmos';
import { createApp, type App } from '../../bot/app';
import type { CardTiming } from '../../bot/cardUpdates';
import type { PanelAuth } from '../../bot/panel/auth';
import { loadConfig } from '../../services/config';
import type { Logger } from '../../services/logging';
import type { FacilitatorRequest } from '../../services/requests/types';
import type { Rethink } from '../../services/rethink/types';
import { createCosmosClient, EMULATOR_KEY } from '../../services/store/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../services/store/embedded';
import { startConnector, type Connector } from './connector';

export type { App };

export const startStore = (): Promise<EmbeddedCosmos> => startEmbeddedCosmos(0);

export interface StartOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  logger?: Logger;
  echoFloor?: boolean;
  delivery?: { pollMs?: number; leaseMs?: number; sendTimeoutMs?: number };
  panelAuth?: PanelAuth;
  cardTiming?: CardTiming;
  followUpMaxWaitMs?: number;
}

/** Started, with its start-up retention check done, so a test's store requests are its own. */
export async function startApp(storeEndpoint: string, options: StartOptions = {}): Promise<App> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    COSMOS_ENDPOINT: storeEndpoint,
    COSMOS_KEY: EMULATOR_KEY,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await createApp(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.logger ? { logger: options.logger } : {}), ...(options.echoFloor ? { echoFloor: true } : {}), ...(options.delivery ? { delivery: options.delivery } : {}), ...(options.panelAuth ? { panelAuth: options.panelAuth } : {}), ...(options.cardTiming ? { cardTiming: options.cardTiming } : {}), ...(options.followUpMaxWaitMs ? { followUpMaxWaitMs: options.followUpMaxWaitMs } : {}) });
  await app.retentionChecked;
  return app;
}

export interface Sent {
  status: number;
  body: unknown;
}

/** The app as a test reaches it; the benchmark brings a client lighter than `fetch`, to time the app rather than itself. */
export type Reachable = App & { readonly post?: (activity: object) => Promise<Sent> };

export async function send(app: Reachable, activity: object): Promise<Sent> {
  if (app.post) return app.post(activity);
  const response = await fetch(`${app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // leave as text
  }
  return { status: response.status, body };
}

/** The card an Action.Execute answered with. */
export async function executeCard(app: App, activity: object): Promise<Record<string, unknown>> {
  const { status, body } = await send(app, activity);
  const response = body as { statusCode?: number; type?: string; value?: unknown };
  if (status !== 200 || response?.type !== 'application/vnd.microsoft.card.adaptive') {
    throw new Error(`Expected a card, got ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return response.value as Record<string, unknown>;
}

/** Every text on a card, flattened: what a person would read. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      for (const key of ['text', 'title', 'label', 'value']) if (typeof o[key] === 'string') out.push(o[key] as string);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out.join('\n');
}

/** Every Action.Execute on a card with its verb and data (including those inside ShowCards). */
export function executeActions(card: unknown): { verb: string; title: string; data: Record<string, unknown> }[] {
  const out: { verb: string; title: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'Action.Execute') out.push({ verb: String(o.verb), title: String(o.title), data: (o.data ?? {}) as Record<string, unknown> });
      Object.entries(o).forEach(([k, v]) => k !== 'fallback' && walk(v));
    }
  };
  walk(card);
  return out;
}

export interface StoreReader {
  rethinks: Container;
  people: Container;
  conversations: Container;
  requests: Container;
  /** The facilitator pool, export and erasure notes. */
  settings: Container;
  rethink(conversationId: string, id: string): Promise<Rethink | undefined>;
  request(id: string): Promise<FacilitatorRequest | undefined>;
  rethinksIn(conversationId: string): Promise<Rethink[]>;
  dispose(): void;
}

/** Reads what the app wrote, through the real SDK, as anyone inspecting the store would. */
export function storeReader(endpoint: string, databaseId = 'rethink'): StoreReader {
  const client = createCosmosClient({ endpoint, local: true });
  const db = client.database(databaseId);
  const rethinks = db.container('rethinks');
  return {
    rethinks,
    people: db.container('people'),
    requests: db.container('requests'),
    settings: db.container('settings'),
    request: async (id) => {
      try {
        const { resource } = await db.container('requests').item(id, id).read<FacilitatorRequest>();
        return resource;
      } catch {
        return undefined;
      }
    },
    conversations: db.container('conversations'),
    rethink: async (conversationId, id) => {
      try {
        const { resource } = await rethinks.item(id, conversationId).read<Rethink>();
        return resource;
      } catch {
        return undefined;
      }
    },
    rethinksIn: async (conversationId) =>
      (await rethinks.items.query<Rethink>({ query: 'SELECT * FROM c WHERE c.conversationId = @c', parameters: [{ name: '@c', value: conversationId }] }, { partitionKey: conversationId }).fetchAll()).resources,
    dispose: () => client.dispose(),
  };
}


export interface TestBed {
  store: EmbeddedCosmos;
  connector: Connector;
  app: App;
  db: StoreReader;
  stop(): Promise<void>;
}

/** A store, a connector stand-in and the app on port 0: what most component tests start with. */
export async function startTestBed(options: StartOptions = {}): Promise<TestBed> {
  const store = await startStore();
  const connector = await startConnector();
  const app = await startApp(store.endpoint, options);
  const db = storeReader(store.endpoint);
  return {
    store,
    connector,
    app,
    db,
    stop: async () => {
      db.dispose();
      await app.stop();
      await connector.stop();
      await store.stop();
    },
  };
}
