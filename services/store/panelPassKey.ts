/**
 * The key the side panel signs its membership passes with (see bot/panel/pass.ts). Kept in the
 * store so that every instance, and every restart, trusts the same passes; made by whichever
 * instance first needs it.
 */
import { randomBytes } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { createItem, readItem } from './repository';

const ID = 'panelPassKey';

interface PassKeyDoc {
  id: typeof ID;
  key: string;
  createdAt: string;
  /** Never expires: a new key would only mean a fresh membership check for everyone. */
  ttl: -1;
}

export async function panelPassKey(container: Container, now: Date): Promise<Buffer> {
  const found = (await readItem<PassKeyDoc>(container, ID, ID)) ?? (await createItem<PassKeyDoc>(container, { id: ID, key: randomBytes(32).toString('base64'), createdAt: now.toISOString(), ttl: -1 }));
  // Another instance made it between the read and the create: theirs is the one.
  const doc = found ?? (await readItem<PassKeyDoc>(container, ID, ID));
  if (!doc) throw new Error('The side panel’s signing key could not be made or read.');
  return Buffer.from(doc.key, 'base64');
}

/**
 * The key, read (or made) when the panel first needs it, then kept: it is configuration, the same
 * for every instance. A failed read is forgotten, so the next request tries again, and the bot's
 * own start never waits on it.
 */
export function panelPassKeySource(container: Container, clock: () => Date): () => Promise<Buffer> {
  let key: Promise<Buffer> | undefined;
  return () => {
    key ??= panelPassKey(container, clock()).catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };
}
