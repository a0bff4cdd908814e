/** What the meeting side panel is given to show, without Teams. */
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { liveActions } from '../../services/rethink/engine';
import { panelView } from '../../services/rethink/panelView';
import { formatUkDate } from '../../services/rethink/validation';
import { stage5Rethink } from '../fixtures/cards/rethinks';

const profile = loadProfile(DEFAULT_PROFILE_PATH);

test('actions carry their due date as people read it, as on the card', () => {
  const r = stage5Rethink();
  const facilitator = r.participants.find((p) => p.id === r.facilitatorId);
  const view = panelView(profile, r, { id: r.facilitatorId, name: facilitator?.name ?? '' }, 'No names, please.');
  expect(view.actions.length).toBe(liveActions(r).length);
  expect(view.actions.length).toBeGreaterThan(0);
  for (const [i, a] of liveActions(r).entries()) expect(view.actions[i]).toMatchObject({ dueDate: a.dueDate, due: formatUkDate(a.dueDate) });
  expect(view.actions[0]?.due).toMatch(/^\d{1,2} [A-Z][a-z]+ \d{4}$/);
});
