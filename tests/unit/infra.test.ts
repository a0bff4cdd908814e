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

test('no query filters, joins or sorts on a path left out of its container’s index (Cosmos DB may refuse it without a scan)', () => {
  const dir = path.join(__dirname, '../../services/store');
  // Where each container's queries are written (case records and retention query several).
  const queriedIn: Record<keyof typeof CONTAINERS, string[]> = {
    rethinks: ['rethinks.ts', 'caseRecords.ts', 'retention.ts'],
    requests: ['requests.ts', 'caseRecords.ts', 'retention.ts'],
    people: ['people.ts', 'caseRecords.ts', 'retention.ts'],
    conversations: ['conversations.ts', 'retention.ts'],
    settings: ['pool.ts', 'retention.ts'],
  };
  let checked = 0;
  for (const [container, files] of Object.entries(queriedIn)) {
    const sources = files.map((file) => readFileSync(path.join(dir, file), 'utf8')).join('\n');
    // What follows FROM in each query: its joins, filters and order (what it selects may name anything).
    const clauses = [...sources.matchAll(/'SELECT [^']*'|`SELECT [^`]*`/g)].map((m) => m[0].slice(m[0].indexOf('FROM c')));
    const fields = UNINDEXED[container as keyof typeof CONTAINERS].map((p) => p.split('/')[1] ?? '');
    for (const field of fields) {
      for (const clause of clauses) {
        expect({ container, field, uses: new RegExp(`\\bc\\.${field}\\b`).test(clause) }).toEqual({ container, field, uses: false });
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(50);
});
