import { canChooseStrategy, FACILITATED, isFacilitated, recommendStrategy } from '../../services/rethink/strategy';

const answers = (isLeadProfessional: boolean, raisedWithLeadProfessional: boolean, groupMeetingHeld: boolean) => ({ isLeadProfessional, raisedWithLeadProfessional, groupMeetingHeld });

describe('the strategy entry rules', () => {
  test.each([
    // lead, raised (S1), group meeting (S2) → strategy
    [false, false, false, 1],
    [false, true, false, 2],
    [true, false, false, 2],
    [true, true, false, 2],
    [false, true, true, 3],
    [true, false, true, 3],
    [true, true, true, 3],
    [false, false, true, 1],
  ])('lead professional %s, strategy 1 tried %s, strategy 2 tried %s → strategy %s', (lead, raised, meeting, expected) => {
    expect(recommendStrategy(answers(lead, raised, meeting)).strategy).toBe(expected);
  });

  test('a lead professional goes straight to strategy 2, and is told why', () => {
    expect(recommendStrategy(answers(true, false, false)).reason).toMatch(/lead professional, so go straight to strategy 2/);
  });

  test('strategy 3 only after strategies 1 and 2, with the reason saying so', () => {
    const three = recommendStrategy(answers(false, true, true));
    expect(three.reason).toMatch(/Strategies 1 and 2 have been tried/);
    // A lead professional skips strategy 1, and is not told they tried it.
    const lead = recommendStrategy(answers(true, false, true));
    expect(lead).toMatchObject({ strategy: 3, reason: expect.stringMatching(/^You are the lead professional and strategy 2 has been tried without resolving the concerns/) });
    expect(lead.reason).not.toMatch(/strateg(y|ies) 1/i);
    expect(recommendStrategy(answers(false, false, true)).reason).toMatch(/^A meeting has been held, but you haven’t yet raised your concerns with the lead professional: start there, with strategy 1/);
  });

  test('the person asking never runs strategy 3 themselves, even when the rules reach it (the way in is the request); 1 and 2 always can', () => {
    const rules = (a: ReturnType<typeof answers>) => recommendStrategy(a);
    expect(canChooseStrategy(3, rules(answers(false, true, false)))).toBe(false);
    expect(rules(answers(false, true, true)).strategy).toBe(3);
    expect(canChooseStrategy(3, rules(answers(false, true, true)))).toBe(false);
    expect(canChooseStrategy(1, rules(answers(true, true, true)))).toBe(true);
    expect(canChooseStrategy(2, rules(answers(false, false, false)))).toBe(true);
  });

  test('the facilitator who accepted the case\'s request may choose strategy 3 whatever the answers', () => {
    expect(canChooseStrategy(3, FACILITATED)).toBe(true);
    expect(isFacilitated(FACILITATED)).toBe(true);
    // A record proposed before the flag existed is known by its reason.
    expect(isFacilitated({ strategy: 3, reason: FACILITATED.reason })).toBe(true);
    expect(isFacilitated(recommendStrategy(answers(false, true, true)))).toBe(false);
    expect(FACILITATED.reason).toMatch(/You accepted the request for an independent facilitator/);
  });
});
