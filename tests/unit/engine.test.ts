import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { applyCommand, startRethink, type Command } from '../../services/rethink/engine';
import { actionVersion, facilitatorQuiet, liveActions, waitingFor } from '../../services/rethink/facts';
import type { EngineContext } from '../../services/rethink/types';
import { NO_ONE, type Actor, type Rethink } from '../../services/rethink/types';
import { FACILITATED, recommendStrategy } from '../../services/rethink/strategy';
import { participantKey } from '../../services/rethink/participantKey';
import { rethinkCardData } from '../../cards/rethink';

const profile = loadProfile(DEFAULT_PROFILE_PATH);
let n = 0;
const ctx: EngineContext = { now: new Date('2026-11-26T10:00:00Z'), profile, newId: () => `id-${++n}` };
const where = { conversationId: '19:chat@thread.v2', conversationKind: 'groupChat' as const, tenantId: 't' };

const lead: Actor = { id: '29:lead', name: 'Megan Bowen', aadObjectId: 'a1' };
const teacher: Actor = { id: '29:teacher', name: 'Adele Vance', aadObjectId: 'a2' };
const nurse: Actor = { id: '29:nurse', name: 'Isaiah Langer', aadObjectId: 'a3' };

function started(): Rethink {
  const result = startRethink(
    { caseReference: 'PSCP-2026-0042', concernCategory: 'plan', summary: 'The plan has drifted.', mode: 'teams', role: 'Social worker', agency: 'Children’s social care', answers: { isLeadProfessional: true, raisedWithLeadProfessional: false, groupMeetingHeld: false } },
    lead,
    where,
    ctx,
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function apply(r: Rethink, command: Command, actor: Actor, activityId?: string): Rethink {
  const result = applyCommand(r, command, actor, ctx, activityId);
  if (!result.ok) throw new Error(`${command.kind} refused: ${result.error.message}`);
  return result.value;
}

function refusal(r: Rethink, command: Command, actor: Actor) {
  const result = applyCommand(r, command, actor, ctx);
  if (result.ok) throw new Error(`${command.kind} was expected to be refused`);
  return result.error;
}

const open = (): Rethink => {
  let r = apply(started(), { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead);
  r = apply(r, { kind: 'join', role: 'Teacher', agency: 'Primary school' }, teacher);
  return r;
};

describe('starting', () => {
  test('a new Re-think is proposed with the recommended strategy; the starter joins and facilitates', () => {
    const r = started();
    expect(r).toMatchObject({ status: 'proposed', stage: 1, facilitatorId: lead.id, recommended: { strategy: 2 }, caseReference: 'PSCP-2026-0042', ttl: 730 * 86400 });
    expect(r.participants).toEqual([expect.objectContaining({ id: lead.id, role: 'Social worker', external: false })]);
    expect(r.audit).toEqual([{ at: ctx.now.toISOString(), by: lead.id, what: 'started' }]);
  });

  test('a name as the case reference is refused', () => {
    const result = startRethink({ caseReference: 'Jane Smith', concernCategory: 'plan', summary: 's', mode: 'teams', role: 'r', agency: 'a', answers: { isLeadProfessional: false, raisedWithLeadProfessional: false, groupMeetingHeld: false } }, lead, where, ctx);
    expect(result.ok).toBe(false);
  });

  test('a start form with several gaps is answered with every one of them at once; with one, just that one', () => {
    const answers = { isLeadProfessional: false, raisedWithLeadProfessional: false, groupMeetingHeld: false };
    const gaps = startRethink({ caseReference: 'PSCP-2026-0999', concernCategory: '', summary: ' ', mode: 'teams', role: '', agency: 'School', answers }, lead, where, ctx);
    expect(gaps.ok).toBe(false);
    if (!gaps.ok) {
      expect(gaps.error.message).toBe(
        'Please check these, then press the button again:\n\n- Please choose what the concern is about.\n- Please enter a short summary of the concern.\n- Please enter your role (for example, social worker).',
      );
    }
    const one = startRethink({ caseReference: 'PSCP-2026-0999', concernCategory: 'plan', summary: 's', mode: 'teams', role: 'Teacher', agency: '', answers }, lead, where, ctx);
    expect(one.ok ? '' : one.error.message).toBe('Please enter your agency (for example, children’s social care).');
  });

  test('choosing another strategy needs a reason, which is recorded; strategy 3 is not open yet', () => {
    const r = started();
    expect(refusal(r, { kind: 'confirmStrategy', strategy: 1, reason: '' }, lead).message).toMatch(/please give the reason/);
    expect(refusal(r, { kind: 'confirmStrategy', strategy: 3, reason: 'stuck' }, lead).message).toMatch(/Strategy 3/);
    expect(refusal(r, { kind: 'confirmStrategy', strategy: 2, reason: '' }, teacher).code).toBe('notFacilitator');
    const chosen = apply(r, { kind: 'confirmStrategy', strategy: 1, reason: 'Talk to the head first' }, lead);
    expect(chosen).toMatchObject({ status: 'open', strategy: 1, strategyReason: 'Talk to the head first' });
  });

  test('a cancelled Re-think says so: it cannot be started, and cancelling it again changes nothing', () => {
    const cancelled = apply(started(), { kind: 'cancel' }, lead);
    expect(cancelled.status).toBe('cancelled');
    expect(refusal(cancelled, { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead).message).toMatch(/^This Re-think was cancelled, so it can’t be started/);
    expect(applyCommand(cancelled, { kind: 'cancel' }, lead, ctx)).toMatchObject({ ok: true, replay: true });
  });

  test('strategy 3 recommended: it is led by the facilitator who accepts a request, not by the person asking', () => {
    const r = { ...started(), recommended: recommendStrategy({ isLeadProfessional: false, raisedWithLeadProfessional: true, groupMeetingHeld: true }) };
    expect(r.recommended.strategy).toBe(3);
    expect(refusal(r, { kind: 'confirmStrategy', strategy: 3, reason: '' }, lead).message).toMatch(/^Strategy 3 is led by the independent facilitator who accepts your request/);
    expect(refusal(r, { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead).message).toMatch(/please give the reason/);
    expect(apply(r, { kind: 'confirmStrategy', strategy: 2, reason: 'The network can meet this week' }, lead)).toMatchObject({ status: 'open', strategy: 2 });
    expect(apply({ ...r, recommended: FACILITATED }, { kind: 'confirmStrategy', strategy: 3, reason: '' }, lead)).toMatchObject({ status: 'open', strategy: 3 });
  });
});

describe('the five stages', () => {
  test('only joined people contribute; a contribution can be edited; over-long text is refused with the limit', () => {
    let r = open();
    expect(refusal(r, { kind: 'contribute', text: 'hello' }, nurse).code).toBe('notParticipant');
    r = apply(r, { kind: 'contribute', text: 'First account' }, teacher);
    r = apply(r, { kind: 'contribute', text: 'Edited account' }, teacher);
    expect(r.contributions).toEqual([expect.objectContaining({ participantId: teacher.id, stage: 1, text: 'Edited account' })]);
    expect(r.audit.map((a) => a.what)).toEqual(['started', 'strategyConfirmed', 'joined', 'contributed', 'contributionEdited']);
    expect(refusal(r, { kind: 'contribute', text: 'x'.repeat(4001) }, teacher).message).toMatch(/the limit is 4,000/);
  });

  test('moving on asks the facilitator to confirm while anyone who joined has not contributed, naming them', () => {
    let r = open();
    r = apply(r, { kind: 'contribute', text: 'Lead account' }, lead);
    const ask = refusal(r, { kind: 'advance', confirmed: false }, lead);
    expect(ask.code).toBe('needsConfirmation');
    expect(ask.waitingFor).toEqual(['Adele Vance']);
    expect(ask.message).toMatch(/Adele Vance has not contributed/);
    r = apply(r, { kind: 'advance', confirmed: true }, lead);
    expect(r.stage).toBe(2);
    expect(r.audit.at(-1)).toMatchObject({ what: 'advancedWithoutEveryone', ref: 'stage2' });
  });

  test('strategy 3: its independent facilitator is not waited for, and what they add is not a second voice', () => {
    // As the independent facilitator's Re-think is (strategy 3, run by whoever accepted the request).
    let r: Rethink = { ...open(), strategy: 3 };
    r = apply(r, { kind: 'contribute', text: 'The teacher’s account' }, teacher);
    r = apply(r, { kind: 'contribute', text: 'What the facilitator noted' }, lead);
    expect(refusal(r, { kind: 'advance', confirmed: false }, lead)).toMatchObject({ code: 'needsConfirmation', waitingFor: [], message: expect.stringMatching(/^Only one perspective has been heard/) });
    // With no one from the network yet, that is what is said.
    const alone = apply({ ...apply(started(), { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead), strategy: 3 }, { kind: 'contribute', text: 'Opening remarks' }, lead);
    expect(refusal(alone, { kind: 'advance', confirmed: false }, lead).message).toMatch(/^No one from the network has contributed at this stage yet/);
    // Before they add anything, they are not waited for.
    const fresh = apply({ ...open(), strategy: 3 }, { kind: 'contribute', text: 'The teacher’s account' }, teacher);
    expect(waitingFor(fresh)).toEqual([]);
  });

  test('no one voice or agency closes a stage alone: the facilitator is asked, and the answer is audited', () => {
    const alone = apply(apply(started(), { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead), { kind: 'contribute', text: 'Lead account' }, lead);
    const ask = refusal(alone, { kind: 'advance', confirmed: false }, lead);
    expect(ask).toMatchObject({ code: 'needsConfirmation', waitingFor: [], message: expect.stringMatching(/^Only one perspective has been heard at this stage/) });
    const moved = apply(alone, { kind: 'advance', confirmed: true }, lead);
    expect(moved).toMatchObject({ stage: 2 });
    expect(moved.audit.at(-1)).toMatchObject({ what: 'advancedWithOneVoice', ref: 'stage2' });

    // One agency recorded in two Unicode forms (from before text was normalised) is one agency.
    let accented = open();
    accented = { ...accented, participants: accented.participants.map((p) => ({ ...p, agency: p.id === lead.id ? 'Santé scolaire' : 'Sante\u0301 scolaire' })) };
    accented = apply(apply(accented, { kind: 'contribute', text: 'a' }, lead), { kind: 'contribute', text: 'b' }, teacher);
    expect(refusal(accented, { kind: 'advance', confirmed: false }, lead).message).toMatch(/^Everyone heard at this stage is from the same agency/);

    // Two people, one agency (however it is spelt): asked too.
    let sameAgency = apply(open(), { kind: 'join', role: 'Team manager', agency: ' children’s SOCIAL care' }, nurse);
    sameAgency = { ...sameAgency, participants: sameAgency.participants.filter((p) => p.id !== teacher.id) };
    sameAgency = apply(apply(sameAgency, { kind: 'contribute', text: 'a' }, lead), { kind: 'contribute', text: 'b' }, nurse);
    expect(refusal(sameAgency, { kind: 'advance', confirmed: false }, lead).message).toMatch(/^Everyone heard at this stage is from the same agency/);

    // A straight or curly apostrophe, a double or no-break space, an invisible character, full-width letters: one agency.
    for (const spelling of ["Children's social care", 'Children’s  social care', 'Children’s\u00A0social care\u200B', 'Ｃｈｉｌｄｒｅｎ’ｓ social care']) {
      let typed = apply(open(), { kind: 'join', role: 'Team manager', agency: spelling }, nurse);
      typed = { ...typed, participants: typed.participants.map((p) => (p.id === lead.id ? { ...p, agency: 'Children’s social care' } : p)).filter((p) => p.id !== teacher.id) };
      typed = apply(apply(typed, { kind: 'contribute', text: 'a' }, lead), { kind: 'contribute', text: 'b' }, nurse);
      expect(refusal(typed, { kind: 'advance', confirmed: false }, lead).message).toMatch(/^Everyone heard at this stage is from the same agency/);
    }

    // Someone by phone from another agency is a second voice.
    const phoned = apply(alone, { kind: 'contributeOnBehalf', name: 'Lynne Robbins', role: 'GP', agency: 'General practice', text: 'By phone', stage: 1 }, lead);
    expect(apply(phoned, { kind: 'advance', confirmed: false }, lead).stage).toBe(2);
  });

  test('someone recorded by phone is the same person whichever Unicode form their name was stored or typed in', () => {
    let r = apply(open(), { kind: 'contributeOnBehalf', name: 'Zoe\u0308 Smith', role: 'GP', agency: 'Surgery', text: 'First', stage: 1 }, lead);
    r = apply(r, { kind: 'contributeOnBehalf', name: 'zo\u00eb smith ', role: 'GP', agency: 'Surgery', text: 'Corrected', stage: 1, replace: true }, lead);
    expect(r.participants.filter((p) => p.external)).toHaveLength(1);
    expect(r.contributions.filter((c) => c.participantId.startsWith('ext:')).map((c) => c.text)).toEqual(['Corrected']);
  });

  test('when everyone has contributed the group moves on without a question', () => {
    let r = open();
    r = apply(r, { kind: 'contribute', text: 'a' }, lead);
    r = apply(r, { kind: 'contribute', text: 'b' }, teacher);
    expect(waitingFor(r)).toEqual([]);
    expect(apply(r, { kind: 'advance', confirmed: false }, lead).stage).toBe(2);
  });

  test('only the facilitator advances, records on behalf, hands over and closes', () => {
    const r = open();
    for (const command of [
      { kind: 'advance', confirmed: true },
      { kind: 'handOver', toParticipantId: teacher.id },
      { kind: 'contributeOnBehalf', name: 'Pat', role: 'GP', agency: 'Surgery', text: 't' },
      { kind: 'close', outcome: 'resolved' },
    ] as Command[]) {
      expect(refusal(r, command, teacher)).toMatchObject({ code: 'notFacilitator', message: expect.stringContaining('Only the facilitator, Megan Bowen,') });
    }
  });

  test('the facilitator records contributions for people on the phone, once per person', () => {
    let r = open();
    r = apply(r, { kind: 'contributeOnBehalf', name: 'Pat Jones', role: 'GP', agency: 'Surgery', text: 'By phone' }, lead);
    // What they said is not replaced unless the facilitator says so: recorded again, it may be an addition.
    expect(refusal(r, { kind: 'contributeOnBehalf', name: 'pat jones', role: 'GP', agency: 'Surgery', text: 'Corrected' }, lead).message).toBe(
      'Pat Jones already has a contribution recorded at this stage (by Megan Bowen). What you typed would take its place: to replace it, tick “Replace what is recorded for them at this stage” and record it again. To add to it, include what was recorded as well.',
    );
    r = apply(r, { kind: 'contributeOnBehalf', name: 'pat jones', role: 'GP', agency: 'Surgery', text: 'Corrected', replace: true }, lead);
    const pat = r.participants.filter((p) => p.external);
    expect(pat).toHaveLength(1);
    expect(r.contributions).toEqual([expect.objectContaining({ participantId: pat[0]?.id, text: 'Corrected', recordedBy: lead.id })]);
  });

  test('correcting the role of someone on the phone updates them; what was said keeps the role it was said under', () => {
    let r = open();
    r = apply(r, { kind: 'contributeOnBehalf', name: 'Sam', role: 'GP', agency: 'Surgery', text: 'GP view' }, lead);
    r = apply(r, { kind: 'contributeOnBehalf', name: 'sam', role: 'GP partner', agency: ' surgery', text: 'GP view, corrected', replace: true }, lead);
    expect(r.participants.filter((p) => p.external)).toEqual([expect.objectContaining({ name: 'Sam', role: 'GP partner', agency: 'surgery' })]);
    expect(r.contributions).toEqual([expect.objectContaining({ role: 'GP partner', previous: [expect.objectContaining({ text: 'GP view', role: 'GP' })] })]);
    r = apply(r, { kind: 'contribute', text: 'As a teacher' }, teacher);
    r = apply(r, { kind: 'join', role: 'Head teacher', agency: 'Primary school' }, teacher);
    expect(r.contributions.find((c) => c.participantId === teacher.id)).toMatchObject({ role: 'Teacher', text: 'As a teacher' });
  });

  test('the same name from another agency: the facilitator is asked whether it is someone else or a correction, and nothing is overwritten', () => {
    let r = open();
    r = apply(r, { kind: 'contributeOnBehalf', name: 'Sam Jones', role: 'Health visitor', agency: 'NHS', text: 'Health view' }, lead);
    const asked = refusal(r, { kind: 'contributeOnBehalf', name: 'sam jones', role: 'Teacher', agency: 'School', text: 'School view' }, lead);
    // However the name was spaced or pasted, the same name is asked about, not recorded as a second person.
    for (const name of ['Sam  Jones', 'Sam\u00A0Jones', 'Sam Jones\u200B', 'Ｓａｍ Ｊｏｎｅｓ']) {
      expect(refusal(r, { kind: 'contributeOnBehalf', name, role: 'Teacher', agency: 'School', text: 'School view' }, lead).message).toMatch(/^Sam Jones from NHS is already recorded here/);
    }
    expect(asked).toMatchObject({ code: 'invalidInput', message: expect.stringMatching(/^Sam Jones from NHS is already recorded here\. If this is the same person and their details were wrong, tick “The same person as someone already recorded here”/) });

    // Someone else: told apart by name, recorded as a second person; both perspectives stand.
    let two = apply(r, { kind: 'contributeOnBehalf', name: 'Sam Jones (school)', role: 'Teacher', agency: 'School', text: 'School view' }, lead);
    const externals = two.participants.filter((p) => p.external);
    expect(externals.map((p) => [p.name, p.agency])).toEqual([['Sam Jones', 'NHS'], ['Sam Jones (school)', 'School']]);
    expect(two.contributions.map((c) => [c.participantId, c.text, c.agency])).toEqual([[externals[0]?.id, 'Health view', 'NHS'], [externals[1]?.id, 'School view', 'School']]);
    expect(two.audit.filter((a) => a.what === 'contributedOnBehalf').map((a) => a.ref)).toEqual([externals[0]?.id, externals[1]?.id]);

    // A correction, said so: the same person, their agency corrected; what they said before is kept.
    two = apply(r, { kind: 'contributeOnBehalf', name: 'Sam Jones', role: 'Health visitor', agency: 'NHS Solent', text: 'Health view, corrected', samePerson: true }, lead);
    expect(two.participants.filter((p) => p.external)).toEqual([expect.objectContaining({ name: 'Sam Jones', agency: 'NHS Solent' })]);
    expect(two.contributions).toEqual([expect.objectContaining({ text: 'Health view, corrected', agency: 'NHS Solent', previous: [expect.objectContaining({ text: 'Health view', agency: 'NHS' })] })]);
    expect(two.audit.at(-1)).toMatchObject({ what: 'contributedOnBehalf', ref: r.participants.find((p) => p.external)?.id });
  });

  test('a confirmation to move on covers the people it named: someone who joined since is named first', () => {
    let r = apply(open(), { kind: 'contribute', text: 'Lead account' }, lead);
    const ask = refusal(r, { kind: 'advance', confirmed: false, stage: 1 }, lead);
    expect(ask.waitingFor).toEqual(['Adele Vance']);
    const joinedWhenAsked = r.participants.length;
    r = apply(r, { kind: 'join', role: 'School nurse', agency: 'NHS' }, nurse);
    const again = refusal(r, { kind: 'advance', confirmed: true, stage: 1, joined: joinedWhenAsked }, lead);
    expect(again).toMatchObject({ code: 'needsConfirmation', waitingFor: ['Adele Vance', 'Isaiah Langer'] });
    expect(again.message).toMatch(/^Isaiah Langer joined after you were asked\. Adele Vance and Isaiah Langer have not contributed/);
    // Confirmed again, now covering everyone named: the group moves on, and it is audited as such.
    r = apply(r, { kind: 'advance', confirmed: true, stage: 1, joined: r.participants.length }, lead);
    expect(r.stage).toBe(2);
    expect(r.audit.at(-1)).toMatchObject({ what: 'advancedWithoutEveryone', ref: 'stage2' });
    // Someone named who has contributed since is simply no longer waiting.
    let s = apply(open(), { kind: 'contribute', text: 'Lead account' }, lead);
    const joinedThen = s.participants.length;
    s = apply(apply(s, { kind: 'contribute', text: 'Teacher account' }, teacher), { kind: 'join', role: 'School nurse', agency: 'NHS' }, nurse);
    expect(refusal(s, { kind: 'advance', confirmed: true, stage: 1, joined: joinedThen }, lead).waitingFor).toEqual(['Isaiah Langer']);
  });

  test('saving again with nothing changed records nothing', () => {
    const r = apply(open(), { kind: 'contribute', text: 'Same words' }, teacher);
    const again = applyCommand(r, { kind: 'contribute', text: 'Same words' }, teacher, ctx, 'another-activity');
    expect(again).toMatchObject({ ok: true, replay: true });
  });

  test('every change keeps the record for the partnership\'s current retention period', () => {
    const r = open();
    const shorter = { ...ctx, profile: { ...profile, retentionDays: 365 } };
    const result = applyCommand(r, { kind: 'contribute', text: 'x' }, teacher, shorter);
    expect(result.ok && result.value.ttl).toBe(365 * 86_400);
  });

  test('posting the card again, or the meeting ending, keeps the record’s expiry and its place in lists', () => {
    const r = open();
    const muchLater: EngineContext = { ...ctx, now: new Date(Date.parse(r.updatedAt) + 700 * 86_400_000) };
    const reposted = applyCommand(r, { kind: 'recordCard', card: { activityId: 'a-new-card', conversationId: r.conversationId } }, teacher, muchLater);
    expect(reposted.ok && reposted.value).toMatchObject({ ttl: 30 * 86_400, updatedAt: r.updatedAt, cardActivityId: 'a-new-card' });
    const ended = applyCommand({ ...r, meetingId: 'meeting-1' }, { kind: 'meetingEnded' }, teacher, muchLater);
    expect(ended.ok && ended.value).toMatchObject({ ttl: 30 * 86_400, updatedAt: r.updatedAt, meetingEndRemindedAt: muchLater.now.toISOString() });
    // Past its time already (the store removes it soon), it is never given more.
    const pastIt = applyCommand(r, { kind: 'recordCard', card: { activityId: 'another', conversationId: r.conversationId } }, teacher, { ...ctx, now: new Date(Date.parse(r.updatedAt) + 800 * 86_400_000) });
    expect(pastIt.ok && pastIt.value.ttl).toBe(1);
  });

  test('moving on from a card showing an earlier stage is refused', () => {
    const r = apply(open(), { kind: 'advance', confirmed: true, stage: 1 }, lead);
    expect(refusal(r, { kind: 'advance', confirmed: true, stage: 1 }, lead)).toMatchObject({ code: 'wrongStage', message: expect.stringContaining('already moved on to stage 2') });
  });

  test('hand-over moves facilitation; the old facilitator can no longer advance', () => {
    let r = open();
    r = apply(r, { kind: 'handOver', toParticipantId: teacher.id }, lead);
    expect(r.facilitatorId).toBe(teacher.id);
    expect(refusal(r, { kind: 'advance', confirmed: true }, lead).code).toBe('notFacilitator');
    expect(apply(r, { kind: 'advance', confirmed: true }, teacher).stage).toBe(2);
    expect(refusal(r, { kind: 'handOver', toParticipantId: 'ext:nobody' }, teacher).code).toBe('invalidInput');
  });

  test('a crowded card names people by short keys: hand-over and action owners resolve them to the same people', () => {
    let r = open();
    r = apply(r, { kind: 'handOver', toParticipantId: participantKey(teacher.id) }, lead);
    expect(r.facilitatorId).toBe(teacher.id);
    expect(r.audit.at(-1)).toMatchObject({ what: 'handedOver', ref: teacher.id });
    expect(refusal(r, { kind: 'handOver', toParticipantId: 'k:not-anyone' }, teacher).code).toBe('invalidInput');
    for (let stage = 1; stage < 5; stage++) r = apply(r, { kind: 'advance', confirmed: true }, teacher);
    r = apply(r, { kind: 'addAction', description: 'Share the plan', ownerParticipantId: participantKey(lead.id), ownerName: '', dueDate: '2026-12-10' }, teacher);
    expect(r.actions[0]?.owner).toEqual({ participantId: lead.id, name: 'Megan Bowen' });
  });

  test('text written for a stage the group has left is refused, not filed under the next stage', () => {
    let r = apply(open(), { kind: 'advance', confirmed: true }, lead);
    expect(refusal(r, { kind: 'contribute', text: 'for stage 1', stage: 1 }, teacher)).toMatchObject({ code: 'wrongStage', message: expect.stringContaining('moved on to stage 2 (“Thinking and feeling”)') });
    expect(refusal(r, { kind: 'contributeOnBehalf', name: 'Pat', role: 'GP', agency: 'Surgery', text: 't', stage: 1 }, lead).code).toBe('wrongStage');
    r = apply(r, { kind: 'contribute', text: 'for stage 2', stage: 2 }, teacher);
    expect(r.contributions).toEqual([expect.objectContaining({ stage: 2, text: 'for stage 2' })]);
  });

  test('a record about to outgrow what the store can hold is refused clearly, not half-saved', () => {
    let r = open();
    let refused: string | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      const result = applyCommand(r, { kind: 'contribute', text: `${i} ${'é'.repeat(3990)}` }, teacher, ctx);
      if (result.ok) r = result.value;
      else refused = result.error.message;
    }
    expect(refused).toMatch(/grown as large as it can be/);
    expect(refused).toContain('Please move on to stage 5 (“Agreeing actions”) and close it');
    expect(Buffer.byteLength(JSON.stringify(r), 'utf8')).toBeLessThan(2_000_000);
    // Moving on and closing stay possible.
    expect(applyCommand(r, { kind: 'advance', confirmed: true }, lead, ctx).ok).toBe(true);
    // So does agreeing actions, which have room of their own, and closing as partly resolved with them.
    for (let stage = r.stage; stage < 5; stage++) r = apply(r, { kind: 'advance', confirmed: true }, lead);
    // Forty actions at their longest: more than the room left under the limit on contributions.
    const before = Buffer.byteLength(JSON.stringify(r), 'utf8');
    for (let n = 0; n < 40; n++) r = apply(r, { kind: 'addAction', description: `${n} ${'Share the plan with everyone in the network. '.repeat(11)}`.slice(0, 500), ownerParticipantId: participantKey(lead.id), ownerName: '', dueDate: '2026-12-10' }, lead);
    expect(Buffer.byteLength(JSON.stringify(r), 'utf8') - before).toBeGreaterThan(1_800_000 - before);
    expect(applyCommand(r, { kind: 'close', outcome: 'partlyResolved' }, lead, ctx).ok).toBe(true);
    expect(refusal(r, { kind: 'contribute', text: 'é'.repeat(3990) }, teacher).message).toContain('Please agree the actions and close it');
  });

  test('a replayed activity changes nothing, even after a later change it would undo', () => {
    const first = apply(open(), { kind: 'contribute', text: 'once' }, teacher, 'activity-1');
    const edited = apply(first, { kind: 'contribute', text: 'edited since' }, teacher, 'activity-2');
    const again = applyCommand(edited, { kind: 'contribute', text: 'once' }, teacher, ctx, 'activity-1');
    expect(again).toMatchObject({ ok: true, replay: true });
    if (again.ok) expect(again.value).toBe(edited);
    // And a replayed move on does not move on again.
    const moved = apply(edited, { kind: 'advance', confirmed: true }, lead, 'activity-3');
    const movedAgain = applyCommand(moved, { kind: 'advance', confirmed: true }, lead, ctx, 'activity-3');
    expect(movedAgain).toMatchObject({ ok: true, replay: true });
    if (movedAgain.ok) expect(movedAgain.value.stage).toBe(2);
  });
});

describe('actions and closing', () => {
  const atStage5 = (): Rethink => {
    let r = open();
    for (let i = 0; i < 4; i++) r = apply(r, { kind: 'advance', confirmed: true }, lead);
    return r;
  };
  const action = { description: 'Book a TAF meeting', ownerParticipantId: teacher.id, ownerName: '', dueDate: '2026-12-10' };

  test('actions only at stage 5, with an owner and a due date not in the past', () => {
    expect(refusal(open(), { kind: 'addAction', ...action }, teacher).code).toBe('wrongStage');
    let r = atStage5();
    expect(refusal(r, { kind: 'addAction', ...action, dueDate: '2026-11-25' }, teacher).message).toMatch(/in the past/);
    expect(refusal(r, { kind: 'addAction', ...action, ownerParticipantId: '', ownerName: '' }, teacher).message).toMatch(/who owns the action/);
    r = apply(r, { kind: 'addAction', ...action }, teacher);
    // The same action pressed again (a second press while the first was on its way) is recorded once.
    expect(apply(r, { kind: 'addAction', ...action }, teacher, 'second-press').actions).toHaveLength(1);
    r = apply(r, { kind: 'addAction', ...action, ownerParticipantId: '', ownerName: 'Family support worker' }, lead);
    expect(r.actions.map((a) => a.owner)).toEqual([{ participantId: teacher.id, name: 'Adele Vance' }, { name: 'Family support worker' }]);
    const [first, second] = r.actions;
    r = apply(r, { kind: 'editAction', actionId: first?.id ?? '', ...action, description: 'Book it this week' }, teacher);
    expect(r.actions[0]?.description).toBe('Book it this week');
    // Saved again unchanged: no new version and nothing audited.
    const audited = r.audit.length;
    r = apply(r, { kind: 'editAction', actionId: first?.id ?? '', ...action, description: 'Book it this week' }, teacher);
    expect(r.audit).toHaveLength(audited);
    expect(refusal(r, { kind: 'removeAction', actionId: second?.id ?? '' }, teacher).code).toBe('notFacilitator');
    r = apply(r, { kind: 'removeAction', actionId: second?.id ?? '' }, lead);
    // Nothing recorded is lost: the edit keeps the earlier version, the removal is a mark.
    expect(liveActions(r).map((a) => a.description)).toEqual(['Book it this week']);
    expect(r.actions[0]?.previous).toEqual([expect.objectContaining({ description: 'Book a TAF meeting' })]);
    expect(r.actions[1]).toMatchObject({ removedBy: lead.id, removedAt: ctx.now.toISOString() });
    expect(refusal(r, { kind: 'editAction', actionId: second?.id ?? '', ...action }, lead).code).toBe('notFound');
  });

  test('an action changed since someone opened it is not changed or removed from that older view', () => {
    let r = apply(atStage5(), { kind: 'addAction', ...action }, teacher);
    const id = r.actions[0]?.id ?? '';
    const opened = actionVersion(r.actions[0]!);
    const later: EngineContext = { ...ctx, now: new Date(ctx.now.getTime() + 60_000) };
    const edited = applyCommand(r, { kind: 'editAction', actionId: id, ...action, description: 'Book it this week', seen: opened }, teacher, later);
    if (!edited.ok) throw new Error(edited.error.message);
    r = edited.value;
    expect(actionVersion(r.actions[0]!)).not.toBe(opened);
    // The same save pressed again is no clash; a different change from the older view is refused.
    expect(applyCommand(r, { kind: 'editAction', actionId: id, ...action, description: 'Book it this week', seen: opened }, teacher, later).ok).toBe(true);
    expect(refusal(r, { kind: 'editAction', actionId: id, ...action, dueDate: '2026-12-20', seen: opened }, lead).code).toBe('changedMeanwhile');
    expect(refusal(r, { kind: 'removeAction', actionId: id, seen: opened }, lead).code).toBe('changedMeanwhile');
    // Cards from before the version was sent carry none: their changes are made as before.
    expect(apply(r, { kind: 'editAction', actionId: id, ...action, dueDate: '2026-12-20' }, lead).actions[0]?.dueDate).toBe('2026-12-20');
  });

  test('an action whose due date has passed can still be corrected; a new date must not be in the past', () => {
    let r = apply(atStage5(), { kind: 'addAction', ...action, dueDate: '2026-11-26' }, teacher);
    const id = r.actions[0]?.id ?? '';
    const nextWeek: EngineContext = { ...ctx, now: new Date('2026-12-03T10:00:00Z') };
    const edited = applyCommand(r, { kind: 'editAction', actionId: id, ...action, dueDate: '2026-11-26', description: 'Book it with the family' }, teacher, nextWeek);
    if (!edited.ok) throw new Error(edited.error.message);
    r = edited.value;
    expect(r.actions[0]).toMatchObject({ description: 'Book it with the family', dueDate: '2026-11-26' });
    const moved = applyCommand(r, { kind: 'editAction', actionId: id, ...action, dueDate: '2026-11-30' }, teacher, nextWeek);
    expect(moved).toMatchObject({ ok: false, error: { message: expect.stringMatching(/in the past/) } });
    const later = applyCommand(r, { kind: 'editAction', actionId: id, ...action, dueDate: '2026-12-10' }, teacher, nextWeek);
    expect(later.ok && later.value.actions[0]?.dueDate).toBe('2026-12-10');
  });

  test('closing records the outcome and makes the Re-think read-only', () => {
    let r = atStage5();
    expect(refusal(open(), { kind: 'close', outcome: 'resolved' }, lead).code).toBe('wrongStage');
    expect(refusal(r, { kind: 'close', outcome: 'notResolved' }, lead).message).toMatch(/next step/);
    expect(refusal(r, { kind: 'close', outcome: 'partlyResolved' }, lead).message).toMatch(/at least one action/);
    r = apply(r, { kind: 'close', outcome: 'notResolved', nextStep: 'escalation' }, lead);
    expect(r).toMatchObject({ status: 'closed', outcome: { kind: 'notResolved', nextStep: 'escalation', recordedBy: lead.id } });
    expect(refusal(r, { kind: 'contribute', text: 'late' }, teacher).code).toBe('closed');
    expect(refusal(r, { kind: 'addAction', ...action }, teacher).code).toBe('closed');
  });

  test('a limit lowered since something was recorded: what is left unchanged stands, what is changed must fit', () => {
    let r = apply(atStage5(), { kind: 'addAction', description: 'Book a team around the family meeting', ownerParticipantId: '', ownerName: 'School nurse', dueDate: '2026-12-10' }, lead);
    const [added] = r.actions;
    const lowered = { ...ctx, profile: { ...profile, limits: { ...profile.limits, nameMaxLength: 8, actionMaxLength: 10 } } };
    // The lead joined as "Social worker" (13 characters): a new agency alone is saved.
    const joined = applyCommand(r, { kind: 'join', role: 'Social worker', agency: 'CSC' }, lead, lowered);
    expect(joined).toMatchObject({ ok: true, value: { participants: expect.arrayContaining([expect.objectContaining({ id: lead.id, role: 'Social worker', agency: 'CSC' })]) } });
    expect(applyCommand(r, { kind: 'join', role: 'Senior social worker', agency: 'CSC' }, lead, lowered)).toMatchObject({ ok: false, error: { message: 'The role is 20 characters long; the limit is 8. Please shorten it and try again.' } });
    // An action's new due date alone, its description and outside owner as recorded.
    const edit = { kind: 'editAction' as const, actionId: added?.id ?? '', description: 'Book a team around the family meeting', ownerParticipantId: '', ownerName: 'School nurse', dueDate: '2026-12-11' };
    const moved = applyCommand(r, edit, lead, lowered);
    expect(moved.ok && moved.value.actions[0]?.dueDate).toBe('2026-12-11');
    expect(applyCommand(r, { ...edit, description: 'Book a meeting with the family' }, lead, lowered)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^The action is 30 characters long; the limit is 10/) } });
    r = joined.ok ? joined.value : r;
    expect(r.participants.find((p) => p.id === lead.id)?.agency).toBe('CSC');
  });

  test('an escalation stage is known by its name: after the protocol gains a stage in front, or loses one, each stage is still recorded once', () => {
    const closed = apply(atStage5(), { kind: 'close', outcome: 'notResolved', nextStep: 'escalation' }, lead);
    const [first, second] = profile.escalationStages;
    const r = apply(closed, { kind: 'escalate', stage: 2, reason: 'Managers could not agree.' }, lead);
    expect(r.escalations?.[0]).toMatchObject({ stage: 2, stageName: second });
    const widened = { ...ctx, profile: { ...profile, escalationStages: ['Team around the child', ...profile.escalationStages] } };
    // Its new stage 2 is the old stage 1, not yet recorded; its new stage 3 is the one recorded.
    expect(applyCommand(r, { kind: 'escalate', stage: 2, reason: 'Back to the practitioners.' }, lead, widened)).toMatchObject({ ok: true, value: { escalations: [{ stageName: second }, { stage: 2, stageName: first }] } });
    expect(applyCommand(r, { kind: 'escalate', stage: 3, reason: 'Again.' }, lead, widened)).toMatchObject({ ok: false, error: { message: `An escalation at the stage “${second}” is already recorded for this Re-think. If the escalation has moved on, please choose the next stage.` } });
    // The recorded stage taken out: the stage now numbered 2 is another, and can be recorded.
    const narrowed = { ...ctx, profile: { ...profile, escalationStages: profile.escalationStages.filter((s) => s !== second) } };
    expect(applyCommand(r, { kind: 'escalate', stage: 2, reason: 'On to senior leads.' }, lead, narrowed)).toMatchObject({ ok: true, value: { escalations: [{ stageName: second }, { stage: 2, stageName: profile.escalationStages[2] }] } });
  });

  test('after strategy 3 there is no next strategy: not resolved means escalation', () => {
    const r = { ...atStage5(), strategy: 3 as const };
    expect(refusal(r, { kind: 'close', outcome: 'notResolved' }, lead).message).toBe('Please choose the next step: escalation under the HIPS protocol.');
    expect(refusal(r, { kind: 'close', outcome: 'notResolved', nextStep: 'nextStrategy' }, lead).message).toMatch(/^Strategy 3 is the last strategy/);
    expect(apply(r, { kind: 'close', outcome: 'notResolved', nextStep: 'escalation' }, lead).outcome).toMatchObject({ kind: 'notResolved', nextStep: 'escalation' });
  });
});

describe('a facilitator who has gone quiet (perhaps left the service)', () => {
  const later = (days: number): EngineContext => ({ ...ctx, now: new Date(ctx.now.getTime() + days * 86_400_000) });
  const tryAt = (r: Rethink, days: number, command: Command, actor: Actor) => applyCommand(r, command, actor, later(days));

  test('after the profile’s openRethinkDays with no change of theirs, anyone who has joined may take over: audited, and the old facilitator no longer facilitates', () => {
    const r = open();
    // Others carrying on doesn't make the facilitator less quiet; their own change would.
    const contributed = applyCommand(r, { kind: 'contribute', text: 'Still here' }, teacher, later(10));
    if (!contributed.ok) throw new Error('not saved');
    expect(tryAt(contributed.value, 13, { kind: 'takeOver' }, teacher)).toMatchObject({ ok: false, error: { code: 'notFacilitator', message: expect.stringMatching(/^Megan Bowen has made a change here within the last 14 days/) } });
    // Refused to move on, the teacher is told how to carry on.
    expect(tryAt(contributed.value, 14, { kind: 'advance', confirmed: true }, teacher)).toMatchObject({ ok: false, error: { message: 'Only the facilitator, Megan Bowen, can do this. If they are no longer available, you can take over facilitation with “Take over facilitation” on the Re-think card.' } });
    const taken = tryAt(contributed.value, 14, { kind: 'takeOver' }, teacher);
    if (!taken.ok) throw new Error(taken.error.message);
    expect(taken.value).toMatchObject({ facilitatorId: teacher.id, facilitatorByHandOver: true });
    expect(taken.value.audit.at(-1)).toMatchObject({ by: teacher.id, what: 'facilitationTakenOver', ref: lead.id });
    expect(tryAt(taken.value, 14, { kind: 'advance', confirmed: true }, lead)).toMatchObject({ ok: false, error: { message: 'Only the facilitator, Adele Vance, can do this.' } });
    expect(tryAt(taken.value, 14, { kind: 'advance', confirmed: true }, teacher)).toMatchObject({ ok: true });
  });

  test('not by someone who hasn’t joined, nor in strategy 3, nor counted from before a hand-over', () => {
    const r = open();
    expect(tryAt(r, 30, { kind: 'takeOver' }, nurse)).toMatchObject({ ok: false, error: { code: 'notParticipant' } });
    expect(tryAt({ ...r, strategy: 3 }, 30, { kind: 'takeOver' }, teacher)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^A strategy 3 Re-think stays with its independent facilitator/) } });
    // Handed to the teacher on day 20: quiet is counted from then, not from the lead's last change.
    const handed = tryAt(r, 20, { kind: 'handOver', toParticipantId: teacher.id }, lead);
    if (!handed.ok) throw new Error(handed.error.message);
    const withNurse = applyCommand(handed.value, { kind: 'join', role: 'School nurse', agency: 'NHS' }, nurse, later(21));
    if (!withNurse.ok) throw new Error(withNurse.error.message);
    expect(tryAt(withNurse.value, 30, { kind: 'takeOver' }, nurse)).toMatchObject({ ok: false });
    expect(tryAt(withNurse.value, 34, { kind: 'takeOver' }, nurse)).toMatchObject({ ok: true });
  });

  test('a facilitator Teams says has left the chat: anyone who has joined may take over at once; back and carrying on, they facilitate again', () => {
    const teams = { id: NO_ONE.membership, name: 'Teams' };
    const r = open();
    // Someone else leaving frees nothing (see the next test for what it does).
    const teacherLeft = tryAt(r, 1, { kind: 'memberLeft', memberId: teacher.id }, teams);
    expect(teacherLeft.ok && teacherLeft.value.facilitatorLeftAt).toBeUndefined();
    const left = tryAt(r, 1, { kind: 'memberLeft', memberId: lead.id }, teams);
    if (!left.ok) throw new Error(left.error.message);
    expect(left.value.facilitatorLeftAt).toBe(later(1).now.toISOString());
    expect(left.value.audit.at(-1)).toMatchObject({ by: teams.id, what: 'facilitatorLeft', ref: lead.id });
    // Not a change people made: its place in lists and its expiry stay.
    expect(left.value.updatedAt).toBe(r.updatedAt);
    expect(facilitatorQuiet(left.value, later(1).now, profile)).toBe(true);
    const taken = tryAt(left.value, 1, { kind: 'takeOver' }, teacher);
    if (!taken.ok) throw new Error(taken.error.message);
    expect(taken.value).toMatchObject({ facilitatorId: teacher.id });
    expect(taken.value.facilitatorLeftAt).toBeUndefined();
    // Added back, and carrying on before anyone took over: facilitating again, nothing to take over.
    const back = tryAt(left.value, 2, { kind: 'advance', confirmed: true }, lead);
    if (!back.ok) throw new Error(back.error.message);
    expect(facilitatorQuiet(back.value, later(2).now, profile)).toBe(false);
    expect(tryAt(back.value, 2, { kind: 'takeOver' }, teacher)).toMatchObject({ ok: false, error: { code: 'notFacilitator' } });
    // Removed again: gone again, from then.
    const again = tryAt(back.value, 3, { kind: 'memberLeft', memberId: lead.id }, teams);
    if (!again.ok || again.replay) throw new Error('the second removal changed nothing');
    expect(again.value.facilitatorLeftAt).toBe(later(3).now.toISOString());
    expect(tryAt(again.value, 3, { kind: 'takeOver' }, teacher)).toMatchObject({ ok: true });
    // Told twice of the same removal: nothing more.
    expect(tryAt(again.value, 4, { kind: 'memberLeft', memberId: lead.id }, teams)).toMatchObject({ ok: true, replay: true });
    // Strategy 3's independent facilitator leaving doesn't hand the Re-think to the group.
    const independent = tryAt({ ...r, strategy: 3 }, 1, { kind: 'memberLeft', memberId: lead.id }, teams);
    expect(independent.ok && independent.value.facilitatorLeftAt).toBeUndefined();
  });

  test('someone Teams says has left the chat is not handed facilitation, nor offered it, until they are back and change something', () => {
    const teams = { id: NO_ONE.membership, name: 'Teams' };
    const r = apply(open(), { kind: 'join', role: 'School nurse', agency: 'NHS' }, nurse);
    const left = tryAt(r, 1, { kind: 'memberLeft', memberId: teacher.id }, teams);
    if (!left.ok) throw new Error(left.error.message);
    expect(left.value.participants.find((p) => p.id === teacher.id)?.leftAt).toBe(later(1).now.toISOString());
    expect(left.value.audit.at(-1)).toMatchObject({ by: teams.id, what: 'participantLeft', ref: teacher.id });
    expect(left.value.updatedAt).toBe(r.updatedAt);
    expect(tryAt(left.value, 1, { kind: 'handOver', toParticipantId: teacher.id }, lead)).toMatchObject({
      ok: false,
      error: { message: 'Teams says Adele Vance has left this chat, so facilitation can’t be handed to them. Please choose someone else. (If they are back, it can be handed to them once they have changed something here, such as their role.)' },
    });
    // The facilitator's card offers everyone else who joined, but not them.
    const handOverTo = (rethink: Rethink) => rethinkCardData(profile, rethink, { viewer: { id: lead.id }, now: ctx.now }).handOverChoices.map((c) => c.value);
    expect(handOverTo(left.value)).not.toContain(teacher.id);
    expect(handOverTo(left.value)).toContain(nurse.id);
    // Told again: nothing more.
    expect(tryAt(left.value, 2, { kind: 'memberLeft', memberId: teacher.id }, teams)).toMatchObject({ ok: true, replay: true });
    // Back, and changing something: offered, and handed to, again.
    const back = tryAt(left.value, 2, { kind: 'contribute', text: 'Back with the school’s view.' }, teacher);
    if (!back.ok) throw new Error(back.error.message);
    expect(back.value.participants.find((p) => p.id === teacher.id)?.leftAt).toBeUndefined();
    expect(tryAt(back.value, 2, { kind: 'handOver', toParticipantId: teacher.id }, lead)).toMatchObject({ ok: true, value: { facilitatorId: teacher.id } });
  });
});

test('the same press again by whoever just made the change (a second tap on a phone, or an older copy of the card) is already done, not refused; by anyone else, it is refused as before', () => {
  const begun = open();
  expect(applyCommand(begun, { kind: 'confirmStrategy', strategy: 2, reason: '' }, lead, ctx)).toMatchObject({ ok: true, replay: true });
  expect(applyCommand(begun, { kind: 'confirmStrategy', strategy: 1, reason: 'again' }, lead, ctx)).toMatchObject({ ok: false });
  const handed = apply(begun, { kind: 'handOver', toParticipantId: teacher.id }, lead);
  expect(applyCommand(handed, { kind: 'handOver', toParticipantId: teacher.id }, lead, ctx)).toMatchObject({ ok: true, replay: true });
  expect(applyCommand(handed, { kind: 'handOver', toParticipantId: lead.id }, lead, ctx)).toMatchObject({ ok: false, error: { code: 'notFacilitator' } });
  let atFive = handed;
  for (let s = 1; s < 5; s++) atFive = apply(atFive, { kind: 'advance', confirmed: true }, teacher);
  atFive = apply(atFive, { kind: 'addAction', description: 'Book the review', ownerParticipantId: teacher.id, ownerName: '', dueDate: '2026-12-10' }, teacher);
  const actionId = atFive.actions[0]?.id ?? '';
  const removed = apply(atFive, { kind: 'removeAction', actionId }, teacher);
  expect(applyCommand(removed, { kind: 'removeAction', actionId }, teacher, ctx)).toMatchObject({ ok: true, replay: true });
  const closed = apply(removed, { kind: 'close', outcome: 'resolved' }, teacher);
  expect(applyCommand(closed, { kind: 'close', outcome: 'resolved' }, teacher, ctx)).toMatchObject({ ok: true, replay: true });
  expect(applyCommand(closed, { kind: 'close', outcome: 'notResolved', nextStep: 'escalation' }, teacher, ctx)).toMatchObject({ ok: false, error: { code: 'closed' } });
  expect(applyCommand(closed, { kind: 'close', outcome: 'resolved' }, lead, ctx)).toMatchObject({ ok: false });
});
