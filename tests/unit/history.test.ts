import { historyOf, prefill } from '../../services/requests/history';
import { closedRethink, people } from '../fixtures/cards/rethinks';

describe('the request form filled in from the case’s Re-thinks', () => {
  const asLead = { ...closedRethink('notResolved', 'nextStrategy'), answers: { isLeadProfessional: true, raisedWithLeadProfessional: false, groupMeetingHeld: false } };

  test('someone who started a Re-think as the lead professional is named as the lead professional', () => {
    expect(prefill([asLead], people.priya, {})).toMatchObject({ requesterRole: 'Social worker', requesterAgency: 'Children’s social care', leadProfessionalName: 'Priya Shah', leadProfessionalAgency: 'Children’s social care' });
  });

  test('anyone else, or a starter who was not the lead professional, leaves the lead professional to be filled in', () => {
    expect(prefill([asLead], people.tom, {})).not.toHaveProperty('leadProfessionalName');
    expect(prefill([closedRethink('notResolved', 'nextStrategy')], people.priya, {})).not.toHaveProperty('leadProfessionalName');
  });

  test('the people involved are filled in only as far as the field allows, with a count of the rest', () => {
    const everyone = prefill([asLead], people.priya, {}).network ?? '';
    const names = everyone.split('; ');
    expect(names.length).toBeGreaterThan(2);
    expect(prefill([asLead], people.priya, {}, everyone.length).network).toBe(everyone);
    const short = prefill([asLead], people.priya, {}, everyone.length - 1).network ?? '';
    expect(short.length).toBeLessThanOrEqual(everyone.length - 1);
    expect(short.startsWith(`${names[0]}; `)).toBe(true);
    expect(short).toMatch(/; and \d more$/);
    expect(prefill([asLead], people.priya, {}, 10).network).toMatch(/^(and \d+ more)?$/);
  });
});

test('what has been tried is dated by the UK day: a Re-think closed at 00:30 in summer closed that day, as its summary says', () => {
  const closed = closedRethink('notResolved', 'nextStrategy');
  const lateNight = { ...closed, outcome: closed.outcome && { ...closed.outcome, at: '2026-06-14T23:30:00.000Z' } };
  expect(historyOf([lateNight]).map((h) => h.date)).toEqual(['2026-06-15']);
  const winter = { ...closed, outcome: closed.outcome && { ...closed.outcome, at: '2026-12-14T23:30:00.000Z' } };
  expect(historyOf([winter]).map((h) => h.date)).toEqual(['2026-12-14']);
});

test('a second request’s network and history leave out the earlier strategy 3 Re-think’s independent facilitator, and name each person once, as they last joined', () => {
  const independent = { ...people.sam, role: 'Independent facilitator', agency: 'PSCP' };
  const base = closedRethink('notResolved', 'escalation');
  const facilitated = { ...base, id: 'r3', strategy: 3 as const, facilitatorId: independent.id, participants: [...base.participants, independent], updatedAt: '2026-04-01T10:00:00.000Z' };
  const earlier = { ...closedRethink('notResolved', 'nextStrategy'), id: 'r2', participants: closedRethink('notResolved', 'nextStrategy').participants.map((p) => (p.id === people.priya.id ? { ...p, agency: 'CSC' } : p)) };
  const form = prefill([earlier, facilitated], people.priya, {});
  const network = (form.network ?? '').split('; ');
  expect(network.some((n) => n.startsWith(`${independent.name},`))).toBe(false);
  expect(network.some((n) => n.startsWith(`${people.tom.name},`))).toBe(true);
  expect(network.filter((n) => n.startsWith(`${people.priya.name},`))).toEqual([`${people.priya.name}, ${people.priya.role} (${people.priya.agency})`]);
  expect(historyOf([facilitated])[0]?.agencies).not.toContain('PSCP');
});
