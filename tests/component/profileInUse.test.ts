/** A partnership redeploys its profile without choices or escalation stages its records use: the start-up log says which, once. */
import { captureLog } from '../helpers/logs';
import { startApp, startStore } from '../helpers/harness';
import { profileFile } from '../helpers/profile';

test('a profile that drops a concern category and puts a new escalation stage in front is named in the start-up log, once; the first start and an unchanged profile say nothing', async () => {
  const store = await startStore();
  const edited = profileFile((shipped) => {
    const { concernCategories, escalationStages } = shipped as unknown as { concernCategories: { id: string }[]; escalationStages: string[] };
    return { ...shipped, concernCategories: concernCategories.filter((c) => c.id !== 'drift'), escalationStages: ['Team around the child', ...escalationStages] };
  });
  const { lines, logger } = captureLog();
  const changesLogged = () => lines.filter((l) => l.includes('the partnership profile has changed under records that use it')).map((l) => (JSON.parse(l) as { change: string }).change);
  const run = async (env: Record<string, string> = {}) => {
    const app = await startApp(store.endpoint, { env, logger: logger('warn') });
    await app.stop();
  };
  try {
    await run();
    expect(changesLogged()).toEqual([]);
    await run({ PARTNERSHIP_PROFILE: edited.path });
    expect(changesLogged()).toEqual([
      'concernCategories: "drift" is no longer in the profile, so records that chose it show no label for it',
      'escalationStages: "Practitioner to practitioner" has moved from stage 1 to stage 2',
      'escalationStages: "Line managers / safeguarding leads" has moved from stage 2 to stage 3',
      'escalationStages: "Senior or named/designated leads" has moved from stage 3 to stage 4',
      'escalationStages: "Head of service / safeguarding partnership" has moved from stage 4 to stage 5',
    ]);
    // The next start on the same profile: nothing new to say.
    await run({ PARTNERSHIP_PROFILE: edited.path });
    expect(changesLogged()).toHaveLength(5);
  } finally {
    edited.remove();
    await store.stop();
  }
});
