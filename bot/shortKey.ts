import { createHash } from 'node:crypto';

/**
 * A short id derived from its parts, the same every time: for a redelivered activity to find what the
 * first delivery wrote. Safe in a Cosmos DB id, and short whatever the parts' length.
 */
export const shortKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 22);
