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
