/**
 * A value from a lookup table by a key someone typed or a card sent: never one every object inherits
 * (`constructor`, `toString`, `__proto__`), which a plain `table[key]` would find.
 */
export const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
