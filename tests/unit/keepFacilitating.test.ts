/**
 * The list of cases a facilitator has accepted is kept after the answer. It must never end up naming a
 * case whose request has gone (erased with its case, or closed) by the time that work runs.
 */
import { keepFacilitating } from '../../bot/handlers/requests';
import type { FacilitatorRequest } from '../../services/requests/types';
import { StoreUnavailableError } from '../../services/store/repository';
import { request } from '../fixtures/cards/requests';

const FACILITATOR = '6a1f2c3d-0000-4000-8000-000000000071';
const accepted = request('accepted', { id: 'request-kept', caseReference: 'PSCP-2026-3001', accepted: { by: { id: '29:f', name: 'F', aadObjectId: FACILITATOR }, at: '2026-11-27T09:00:00.000Z' } });

/** Runs the follow-up work with the store as `stored` holds it by the time the work runs. */
async function listAfter(r: FacilitatorRequest, stored: () => Promise<FacilitatorRequest | undefined>, before: string[] = []): Promise<string[]> {
  let list = [...before];
  const tasks: (() => Promise<void>)[] = [];
  const deps = {
    people: {
      updateFacilitating: async (_aad: string, change: (cases: readonly string[]) => string[]) => {
        const next = change(list);
        const changed = next.join() !== list.join();
        list = next;
        return changed;
      },
    },
    requests: { get: stored },
    later: (_what: string, task: () => Promise<void>) => void tasks.push(task),
  } as unknown as Parameters<typeof keepFacilitating>[0];
  keepFacilitating(deps, r, new Date(), '29:f');
  for (const task of tasks) await task();
  return list;
}

test('an accepted request that is still open puts its case on the list, once', async () => {
  expect(await listAfter(accepted, async () => accepted, ['PSCP-2026-3001', 'PSCP-2026-0001'])).toEqual(['PSCP-2026-3001', 'PSCP-2026-0001']);
  expect(await listAfter(accepted, async () => accepted)).toEqual(['PSCP-2026-3001']);
});

test('a request erased (or closed) before the work runs leaves the case off the list', async () => {
  expect(await listAfter(accepted, async () => undefined)).toEqual([]);
  expect(await listAfter(accepted, async () => ({ ...accepted, status: 'completed' }))).toEqual([]);
});

test('when the store cannot say, the case is taken off rather than left on', async () => {
  expect(await listAfter(accepted, () => Promise.reject(new StoreUnavailableError(new Error('down'))), ['PSCP-2026-0001'])).toEqual(['PSCP-2026-0001']);
});

test('a closed request takes its case off the list without reading it again', async () => {
  const read = jest.fn(async () => accepted);
  expect(await listAfter({ ...accepted, status: 'completed' }, read, ['PSCP-2026-3001'])).toEqual([]);
  expect(read).not.toHaveBeenCalled();
});
