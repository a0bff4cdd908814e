/**
 * One server of the benchmark in a process of its own, as in production: the store (the stand-in
 * for Cosmos DB), or the Re-think app with the bare echo bot beside it on the same server (the
 * floor). Each tells its parent its address; the store also says, when asked, how many requests it
 * has served for Re-thinks, people and conversations (queries left out: see below).
 */
import { startEmbeddedCosmos } from '../../services/store/embedded';
import { tuneGarbageCollection } from '../../bot/gcTuning';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../../services/config';
import { startApp } from '../helpers/harness';

type Stoppable = { stop(): Promise<void> };

async function serve(kind: string, storeEndpoint: string | undefined): Promise<void> {
  let served = 0;
  let server: Stoppable;
  let url: string;
  if (kind === 'store') {
    // The outbox's dispatcher polls the requests container on its own clock, and the periodic checks
    // (reminders, summaries, retention) search on theirs: leave both out, or one landing while an
    // action is counted would be counted with it. A card action makes no query at all
    // (tests/component/storeRequests.test.ts checks), so nothing of its is missed.
    const store = await startEmbeddedCosmos(0, '127.0.0.1', (req) => {
      const query = /^true$/i.test(String(req.headers['x-ms-documentdb-isquery'] ?? '')) || /^true$/i.test(String(req.headers['x-ms-cosmos-is-query-plan-request'] ?? ''));
      if (/\/colls\/(requests|settings)\b/.test(req.url ?? '') || query) return;
      served++;
    });
    [server, url] = [store, store.endpoint];
  } else if (storeEndpoint) {
    // Tuned as in production (bot/main.ts), so the benchmark measures what runs there.
    tuneGarbageCollection(DEFAULT_HEAP_GROWING_PERCENT);
    const app = await startApp(storeEndpoint, { echoFloor: true });
    [server, url] = [app, app.url];
  } else {
    throw new Error('the app needs the store address');
  }
  process.send?.({ url });
  process.on('message', (message) => {
    if (message === 'count') process.send?.({ served });
    if (message === 'stop') void server.stop().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

void serve(process.argv[2] ?? 'app', process.argv[3]);
