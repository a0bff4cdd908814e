/** A container whose first replace waits for `first`: another writer's change lands between a read and its write. */
import type { Container } from '@azure/cosmos';

export function racing(target: Container, first: () => Promise<unknown>): Container {
  let raced = false;
  return new Proxy(target, {
    get(t, prop) {
      if (prop !== 'item') return Reflect.get(t, prop);
      return (id: string, pk: string) => {
        const item = t.item(id, pk);
        return new Proxy(item, {
          get(i, p) {
            if (p === 'replace' && !raced) {
              raced = true;
              return async (...args: Parameters<typeof item.replace>) => {
                await first();
                return i.replace(...args);
              };
            }
            const value = Reflect.get(i, p);
            return typeof value === 'function' ? value.bind(i) : value;
          },
        });
      };
    },
  });
}
