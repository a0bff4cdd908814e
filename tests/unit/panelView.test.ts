/** What the meeting side panel is given to show, without Teams. */
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { liveActions } from '../../services/rethink/facts';
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

test('contributions keep the role and agency they were made under, and say when the facilitator recorded them, as the card does', () => {
  const r = stage5Rethink();
  const speaker = r.participants.find((p) => !p.external && r.contributions.some((c) => c.participantId === p.id && c.stage === 1));
  const onPhone = r.participants.find((p) => p.external && r.contributions.some((c) => c.participantId === p.id && c.stage === 1));
  if (!speaker || !onPhone) throw new Error('fixture has no one in Teams and by phone at stage 1');
  // Stage 1 said as Social worker; since then they corrected their role and agency.
  for (const c of r.contributions) if (c.participantId === speaker.id) Object.assign(c, { role: speaker.role, agency: speaker.agency });
  const was = `${speaker.name} (${speaker.role}, ${speaker.agency})`;
  Object.assign(speaker, { role: 'Team manager', agency: 'Another agency' });
  const view = panelView(profile, r, { id: speaker.id, name: speaker.name }, 'No names, please.');
  const stage1 = view.earlierStages[0]?.contributions.map((c) => c.who) ?? [];
  expect(stage1).toContain(was);
  expect(stage1.join(' ')).not.toContain('Team manager');
  expect(stage1.find((w) => w.startsWith(onPhone.name))).toMatch(/, recorded by the facilitator$/);
});

test('anyone taking part may own an action, people by phone or face to face included, who are marked as outside Teams', () => {
  const r = stage5Rethink();
  const onPhone = r.participants.find((p) => p.external);
  if (!onPhone) throw new Error('fixture has no one by phone');
  r.actions.push({ id: 'a-phone', description: 'Call the family', owner: { participantId: onPhone.id, name: onPhone.name }, dueDate: '2026-12-01', addedBy: r.facilitatorId, at: r.createdAt });
  const view = panelView(profile, r, { id: r.facilitatorId, name: 'Facilitator' }, 'No names, please.');
  expect(view.owners.map((o) => o.id)).toEqual(r.participants.map((p) => p.id));
  expect(view.owners.find((o) => o.id === onPhone.id)?.label).toMatch(/, outside Teams$/);
  expect(view.actions.find((a) => a.description === 'Call the family')?.owner).toBe(`${onPhone.name} (outside Teams)`);
});

test('someone taking part by phone is marked so, and strategy 3’s independent facilitator is shown facilitating, never as still to contribute', () => {
  const r = stage5Rethink();
  const onPhone = r.participants.find((p) => p.external);
  if (!onPhone) throw new Error('fixture has no one by phone');
  const view = panelView(profile, r, { id: r.facilitatorId, name: 'Facilitator' }, 'No names, please.');
  expect(view.participants.find((p) => p.name === onPhone.name)).toMatchObject({ external: true, independent: false });
  expect(view.participants.filter((p) => p.external)).toHaveLength(r.participants.filter((p) => p.external).length);
  expect(view.participants.some((p) => p.independent)).toBe(false);
  const three = { ...stage5Rethink(), strategy: 3 as const };
  const independent = panelView(profile, three, { id: three.facilitatorId, name: 'Facilitator' }, 'No names, please.');
  expect(independent.participants.filter((p) => p.independent).map((p) => p.name)).toEqual([three.participants.find((p) => p.id === three.facilitatorId)?.name]);
});

test('the facilitator’s button names the next stage, as the card does, and each box’s limit comes from the profile', () => {
  const r = stage5Rethink();
  const atFive = panelView(profile, r, { id: r.facilitatorId, name: 'Facilitator' }, 'No names, please.');
  expect(atFive.nextStageTitle).toBeUndefined();
  expect(atFive.limits).toEqual({ contribution: profile.limits.contributionMaxLength, action: profile.limits.actionMaxLength });
  const atTwo = panelView(profile, { ...r, stage: 2 }, { id: r.facilitatorId, name: 'Facilitator' }, 'No names, please.');
  expect(atTwo.nextStageTitle).toBe(profile.stages[2]?.title);
});
