/** The deployment's containers are the ones the app would create: the Bicep can't be compiled here, so its lists are read. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTAINERS, UNINDEXED } from '../../services/store/cosmos';

const bicep = readFileSync(path.join(__dirname, '../../infra/main.bicep'), 'utf8');
const definitions = /var containerDefinitions = \[\n([\s\S]*?)\n\]\n/.exec(bicep)?.[1] ?? '';
// Each definition: its name, then what belongs to it up to the next name.
const deployed = Object.fromEntries(
  definitions
    .split(/\n {2}\{\n {4}name: /)
    .filter((part) => part.includes('partitionKeyPath'))
    .map((part) => {
      const name = /^\s*(?:\{\s*name: )?'(\w+)'/.exec(part)?.[1] ?? '';
      const key = /partitionKeyPath: '([^']+)'/.exec(part)?.[1];
      const excluded = [...part.matchAll(/path: '([^']+)'/g)].map((m) => m[1]);
      return [name, { key, excluded }];
    }),
);

test('main.bicep deploys every container with the app’s partition key and the same paths left out of the index', () => {
  expect(Object.keys(deployed).sort()).toEqual(Object.keys(CONTAINERS).sort());
  for (const [name, key] of Object.entries(CONTAINERS)) {
    expect({ name, ...deployed[name] }).toEqual({ name, key, excluded: [...UNINDEXED[name as keyof typeof CONTAINERS]] });
  }
  expect(bicep).toMatch(/excludedPaths: c\.excludedPaths/);
});
