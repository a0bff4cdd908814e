/**
 * Every card, expanded from realistic Re-thinks, checked the way Teams will see it: a valid
 * Adaptive Card 1.5 with nothing left unexpanded, within Teams' 28 KB, Submit-safe, with user text
 * bound only as data and facilitator controls only where they belong.
 */
import path from 'node:path';
import { listCardData, renderListCard } from '../../cards/list';
import { FALLBACK_TEXT, cardBytes, expand, MAX_CARD_BYTES, TOO_LONG_TO_KEEP, type AdaptiveCard } from '../../cards/render';
import { renderRethinkCard, rethinkCardData, type RethinkCardOptions } from '../../cards/rethink';
import rethinkTemplate from '../../cards/rethink.json';
import { CHANNEL_AUDIENCE, EMPTY_START_FORM, formAudience, renderStartCard, startCardData } from '../../cards/start';
import { renderStrategyCard, strategyCardData } from '../../cards/strategy';
import { FACILITATED } from '../../services/rethink/strategy';
import { participantNamed } from '../../services/rethink/participantKey';
import { renderSummaryCard } from '../../cards/summary';
import { renderErasedCard } from '../../cards/erased';
import { MESSAGES } from '../../bot/handlers/types';
import { renderWelcomeCard, welcomeCardData } from '../../cards/welcome';
import { renderEscalationCard } from '../../cards/escalation';
import { historyOf } from '../../services/requests/history';
import { questionCardData, renderQuestionCard } from '../../cards/question';
import { renderRequestCard } from '../../cards/request';
import { renderRequestFormCard } from '../../cards/requestForm';
import { renderRequestListCard, requestListCardData } from '../../cards/requestList';
import { loadProfile } from '../../services/profile/load';
import { FORM_FIELDS } from '../../services/requests/form';
import { request, REQUEST_AT } from '../fixtures/cards/requests';
import type { Participant, Rethink } from '../../services/rethink/types';
import {
  ANSWERS_FOR_STRATEGY,
  closedRethink,
  crowdedRethink,
  largestRethink,
  overflowingRethink,
  LIST_ITEMS,
  NOW,
  people,
  proposedRethink,
  stage1Rethink,
  stage5Rethink,
  TRICKY_TEXT,
  TYPED_START_FORM,
} from '../fixtures/cards/rethinks';
import { checkCard, executeActions, input, isSummaryOf, nodes, ofType, TEAMS_SCHEMA_VERSION, texts, unexpanded, verbs, type Json } from '../helpers/adaptiveCards';

const profile = loadProfile(path.join(__dirname, '../../services/profile/portsmouth.json'));

/** Teams rejects a card over 28 KB. */
const TEAMS_CARD_LIMIT = 28 * 1024;
/** Verbs that only the facilitator may use (the server also checks who pressed). */
const FACILITATOR_VERBS = ['advance', 'handOver', 'contributeOnBehalf', 'close'];
/** Verbs that are not about one Re-think (before one exists, or about a request), so carry no Re-think id. */
const BEFORE_A_RETHINK = ['showStart', 'startRethink', 'showRequestForm', 'submitRequest', 'acceptRequest', 'declineRequest', 'askQuestion', 'scheduleRequest', 'withdrawRequest', 'answerQuestion', 'showRequest'];

const rethinkCard = (r: Rethink, options: Partial<RethinkCardOptions> = {}): AdaptiveCard => renderRethinkCard(profile, r, { now: NOW, ...options });

interface Variant {
  render: () => AdaptiveCard;
  /** The Re-think ids the card's actions may carry. */
  rethinkIds: string[];
}

/**
 * The checks every card must pass, whatever it shows: points 1 to 4 of the card contract.
 * Each variant is rendered once, before its checks.
 */
function describeEveryVariant(variants: Record<string, Variant>): void {
  describe.each(Object.entries(variants))('%s', (_name, variant) => {
    let card: AdaptiveCard;
    beforeAll(() => {
      card = variant.render();
    });

    it('parses and renders as an Adaptive Card 1.5 with no errors or warnings', () => {
      expect(card.type).toBe('AdaptiveCard');
      expect(card.version).toBe(TEAMS_SCHEMA_VERSION);
      expect(checkCard(card).problems).toEqual([]);
    });

    it('has nothing of the template left: no ${ and no $data or $when', () => {
      expect(unexpanded(card)).toEqual([]);
      const templateKeys = [...nodes(card)].flatMap(({ node, path: at }) => Object.keys(node).filter((k) => k.startsWith('$') && k !== '$schema').map((k) => `${at}.${k}`));
      expect(templateKeys).toEqual([]);
    });

    it('has no null values (what a false $when leaves on a property)', () => {
      expect(nullValues(card)).toEqual([]);
    });

    it('is under 28 KB', () => {
      expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
    });

    it('says what it is where a client can’t show it (fallbackText)', () => {
      expect(card.fallbackText).toBe(FALLBACK_TEXT);
    });

    it('gives every Action.Execute an Action.Submit fallback with the same verb and data', () => {
      for (const action of executeActions(card)) {
        expect(typeof action.verb).toBe('string');
        expect(action.fallback).toEqual({ type: 'Action.Submit', title: action.title, data: { ...(action.data as Json | undefined), verb: action.verb } });
      }
    });

    it('gives each button a title of its own: a screen reader lists them by title alone', () => {
      const titles = [...nodes(card)].filter(({ node, path: at }) => typeof node.type === 'string' && node.type.startsWith('Action.') && !at.endsWith('.fallback')).map(({ node }) => String(node.title));
      expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
    });

    it('names the Re-think in every action about one', () => {
      for (const action of executeActions(card).filter((a) => !BEFORE_A_RETHINK.includes(String(a.verb)))) {
        const data = action.data as Json | undefined;
        expect({ verb: action.verb, rethinkId: data?.rethinkId }).toEqual({ verb: action.verb, rethinkId: expect.any(String) });
        expect(variant.rethinkIds).toContain(data?.rethinkId);
      }
    });

    it('has no input whose id would overwrite an action’s data when submitted', () => {
      const inputIds = new Set([...nodes(card)].map((n) => n.node).filter((n) => String(n.type).startsWith('Input.')).map((n) => String(n.id)));
      const dataKeys = executeActions(card).flatMap((a) => Object.keys((a.data as Json | undefined) ?? {}));
      expect(dataKeys.filter((k) => inputIds.has(k))).toEqual([]);
    });
  });
}

/** Paths of null values: the card schema has no nullable properties. */
const nullValues = (card: object): string[] => [...nodes(card)].flatMap(({ node, path: at }) => Object.entries(node).filter(([, v]) => v === null).map(([k]) => `${at}.${k}`));

const containerHolding = (card: AdaptiveCard, text: string): Json | undefined =>
  ofType(card, 'Container').find((c) => texts(c).some((t) => t.includes(text)));

describe('the card checker', () => {
  it('reports what a Teams client would reject, so a clean result means something', () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'Container', style: 'fancy', items: [{ type: 'TextBlock', text: 'x' }] },
        { type: 'Input.Text', id: 'same', label: 'One' },
        { type: 'Input.Text', id: 'same', label: 'Two' },
        { type: 'Carousel', pages: [] },
      ],
      actions: [{ type: 'Action.Execute', verb: 'known', title: 'Known' }, { type: 'Action.Bogus' }],
    };
    expect(checkCard(broken).problems.map((p) => p.split(':')[0])).toEqual(['InvalidPropertyValue', 'UnknownElementType', 'UnknownActionType', 'DuplicateId']);
  });
});

describe('welcome card', () => {
  describeEveryVariant({ welcome: { render: () => renderWelcomeCard(welcomeCardData(profile)), rethinkIds: [] } });

  it('lists the five stages and links to the partnership guidance', () => {
    const card = renderWelcomeCard(welcomeCardData(profile));
    for (const stage of profile.stages) expect(texts(card).some((t) => t.includes(stage.title))).toBe(true);
    expect(ofType(card, 'Action.OpenUrl').map((a) => a.url)).toEqual([profile.partnership.guidanceUrl]);
    expect(verbs(card)).toEqual(['showStart']);
  });

  it('lists each command on a line of its own, and says to @mention Re-think in a group', () => {
    const commands = texts(renderWelcomeCard(welcomeCardData(profile))).find((t) => t.startsWith('Type one of these')) ?? '';
    expect(commands).toContain('@mention Re-think first: **@Re-think start**');
    for (const command of ['start', 'status', 'list', 'request facilitator', 'my requests', 'escalate', 'help']) expect(commands).toContain(`\n- **${command}** `);
  });
});
it('everyone’s card offers “Replace what is recorded for them” wherever someone by phone is recorded at this stage (it carries no one’s draft to decide by)', () => {
  const r = stage5Rethink();
  expect(r.contributions.some((c) => c.stage === 5 && r.participants.find((p) => p.id === c.participantId)?.external)).toBe(true);
  expect(input(rethinkCard(r), 'behalfReplace')).toBeDefined();
  expect(input(rethinkCard(r, { viewer: { id: r.facilitatorId } }), 'behalfReplace')).toBeUndefined();
});

describe('erased card', () => {
  describeEveryVariant({ erased: { render: () => renderErasedCard(MESSAGES.erasedRethink), rethinkIds: [] } });
  it('says the record was erased, and nothing else', () => {
    expect(texts(renderErasedCard(MESSAGES.erasedRethink))).toEqual([MESSAGES.erasedRethink]);
  });
});


describe('start card', () => {
  const empty = (): AdaptiveCard => renderStartCard(startCardData(profile, EMPTY_START_FORM));
  const withError = (): AdaptiveCard => renderStartCard(startCardData(profile, TYPED_START_FORM, 'That isn’t a case reference Re-think recognises. It should look like PSCP-2026-0042.'));

  const inChannel = (): AdaptiveCard => renderStartCard(startCardData(profile, EMPTY_START_FORM, undefined, formAudience('channel')));

  describeEveryVariant({
    empty: { render: empty, rethinkIds: [] },
    'with an error and typed values': { render: withError, rethinkIds: [] },
    'in a team channel': { render: inChannel, rethinkIds: [] },
    'cancelled, filled in again': { render: () => renderStartCard(startCardData(profile, TYPED_START_FORM, undefined, { note: 'Cancelled.' })), rethinkIds: [] },
  });

  it('says what happened without the colour of a problem: a Re-think cancelled before it began', () => {
    const card = renderStartCard(startCardData(profile, TYPED_START_FORM, undefined, { note: 'This Re-think was cancelled before it started. You can start again with this form.' }));
    expect(ofType(card, 'Container').filter((c) => c.style === 'accent').flatMap((c) => texts(c as AdaptiveCard))).toEqual(['This Re-think was cancelled before it started. You can start again with this form.']);
    expect(ofType(card, 'Container').some((c) => c.style === 'attention')).toBe(false);
  });

  it('in a team channel, says above the form that the whole team can read it; elsewhere, nothing of the kind', () => {
    expect(texts(inChannel())).toContain(CHANNEL_AUDIENCE);
    expect(ofType(inChannel(), 'Container').filter((c) => c.style === 'warning')).toHaveLength(1);
    for (const card of [empty(), renderStartCard(startCardData(profile, EMPTY_START_FORM, undefined, formAudience('groupChat')))]) {
      expect(texts(card)).not.toContain(CHANNEL_AUDIENCE);
      expect(ofType(card, 'Container').some((c) => c.style === 'warning')).toBe(false);
    }
  });

  it('starts empty, in Teams, with every question answered no', () => {
    const card = empty();
    expect(input(card, 'caseReference')?.value).toBe('');
    expect(input(card, 'summary')?.value).toBe('');
    expect(input(card, 'mode')?.value).toBe('teams');
    for (const id of ['isLeadProfessional', 'raisedWithLeadProfessional', 'groupMeetingHeld']) expect(input(card, id)?.value).toBe('false');
    expect(ofType(card, 'Container').some((c) => c.style === 'attention')).toBe(false);
    expect(verbs(card)).toEqual(['startRethink']);
  });

  it('marks what must be given, so Teams points to each gap before sending, and leaves room to paste a long reference whole', () => {
    const card = empty();
    for (const id of ['caseReference', 'concernCategory', 'summary', 'mode', 'role', 'agency']) {
      expect({ id, isRequired: input(card, id)?.isRequired, errorMessage: input(card, id)?.errorMessage }).toEqual({ id, isRequired: true, errorMessage: expect.stringMatching(/^Please (enter|choose) /) });
    }
    for (const id of ['isLeadProfessional', 'raisedWithLeadProfessional', 'groupMeetingHeld']) expect(input(card, id)?.isRequired).toBeUndefined();
    expect(input(card, 'caseReference')?.maxLength).toBe(128);
    // Its format in the label, read out on the field (a placeholder often isn't, and the hint is above it, read first).
    expect(input(card, 'caseReference')?.label).toBe(`Case reference (the pseudonymous one, for example ${profile.caseReference.example})`);
  });

  it('shows several problems as a list', () => {
    const card = renderStartCard(startCardData(profile, TYPED_START_FORM, 'Please check these, then press the button again:\n\n- Please choose what the concern is about.\n- Please enter your role (for example, social worker).'));
    expect(containerHolding(card, 'Please check these')?.style).toBe('attention');
    expect(JSON.stringify(containerHolding(card, 'Please check these'))).toContain('- Please enter your role');
  });

  it('shows the error and keeps everything the person typed', () => {
    const card = withError();
    expect(containerHolding(card, 'isn’t a case reference')?.style).toBe('attention');
    expect(input(card, 'caseReference')?.value).toBe(TYPED_START_FORM.caseReference);
    expect(input(card, 'concernCategory')?.value).toBe(TYPED_START_FORM.concernCategory);
    expect(input(card, 'summary')?.value).toBe(TYPED_START_FORM.summary);
    expect(input(card, 'mode')?.value).toBe(TYPED_START_FORM.mode);
    expect(input(card, 'role')?.value).toBe(TYPED_START_FORM.role);
    expect(input(card, 'agency')?.value).toBe(TYPED_START_FORM.agency);
    expect(input(card, 'raisedWithLeadProfessional')?.value).toBe('true');
    expect(input(card, 'isLeadProfessional')?.value).toBe('false');
  });
});

describe('strategy card', () => {
  const recommending = (n: 1 | 2 | 3) => (): AdaptiveCard => renderStrategyCard(strategyCardData(profile, proposedRethink(ANSWERS_FOR_STRATEGY[n])));
  const withError = (): AdaptiveCard =>
    renderStrategyCard(
      strategyCardData(profile, proposedRethink(ANSWERS_FOR_STRATEGY[2]), { strategy: '1', reason: '' }, 'You chose strategy 1 rather than the recommended strategy 2: please give the reason, so it is recorded.'),
    );
  const id = proposedRethink(ANSWERS_FOR_STRATEGY[1]).id;

  describeEveryVariant({
    'recommending strategy 1': { render: recommending(1), rethinkIds: [id] },
    'recommending strategy 2': { render: recommending(2), rethinkIds: [id] },
    'recommending strategy 3': { render: recommending(3), rethinkIds: [id] },
    'with an error': { render: withError, rethinkIds: [id] },
  });

  it.each([1, 2] as const)('recommends strategy %i, pre-selected; strategy 3 is not among the choices', (n) => {
    const card = recommending(n)();
    const strategy = profile.strategies[n - 1];
    expect(texts(card)).toContain(`Recommended: ${strategy?.title}`);
    const choice = input(card, 'strategy');
    expect(choice?.value).toBe(String(n));
    expect((choice?.choices as Json[]).map((c) => c.value)).toEqual(['1', '2']);
    expect(verbs(card)).toEqual(['confirmStrategy', 'cancelRethink']);
    expect(texts(card)).toContain('Strategy 3, an independent facilitator, becomes available once strategies 1 and 2 have been tried.');
  });

  it('for a lead professional, strategy 3 follows strategy 2', () => {
    const card = renderStrategyCard(strategyCardData(profile, proposedRethink({ isLeadProfessional: true, raisedWithLeadProfessional: false, groupMeetingHeld: false })));
    expect(texts(card)).toContain('Strategy 3, an independent facilitator, becomes available once strategy 2 has been tried.');
  });

  it('recommends strategy 3: the request is the main action, and the person may still choose 1 or 2 to talk now', () => {
    const card = recommending(3)();
    expect(texts(card)).toContain(`Recommended: ${profile.strategies[2]?.title}`);
    const choice = input(card, 'strategy');
    expect(choice?.value).toBe('');
    expect((choice?.choices as Json[]).map((c) => c.value)).toEqual(['1', '2']);
    expect(verbs(card)).toEqual(['showRequestForm', 'confirmStrategy', 'cancelRethink']);
    const actions = card.actions as Json[];
    expect(actions.map((a) => a.style)).toEqual(['positive', 'default', undefined]);
    expect(texts(card).some((t) => t.startsWith('Strategy 3 is led by an independent facilitator: request one below'))).toBe(true);
  });

  it('the facilitator’s own Re-think runs strategy 3, with no request to make', () => {
    const card = renderStrategyCard(strategyCardData(profile, { ...proposedRethink(ANSWERS_FOR_STRATEGY[1]), recommended: FACILITATED }));
    expect(input(card, 'strategy')?.value).toBe('3');
    expect((input(card, 'strategy')?.choices as Json[]).map((c) => c.value)).toEqual(['1', '2', '3']);
    expect(verbs(card)).toEqual(['confirmStrategy', 'cancelRethink']);
  });

  it('shows the error and keeps the choice the person made', () => {
    const card = withError();
    expect(containerHolding(card, 'please give the reason')?.style).toBe('attention');
    expect(input(card, 'strategy')?.value).toBe('1');
  });
});

describe('Re-think card', () => {
  const s1 = stage1Rethink();
  const s5 = stage5Rethink();
  const views = {
    'shared base card (no viewer), stage 1': () => rethinkCard(s1),
    'viewer who has not joined': () => rethinkCard(s1, { viewer: { id: people.sam.id, rememberedRole: 'Early help practitioner', rememberedAgency: 'Early help hub' } }),
    'participant, stage 1': () => rethinkCard(s1, { viewer: { id: people.tom.id } }),
    'facilitator, stage 1': () => rethinkCard(s1, { viewer: { id: people.priya.id } }),
    'facilitator with a notice': () => rethinkCard(s1, { viewer: { id: people.priya.id }, notice: { text: 'Please add your contribution before the group moves on.', tone: 'attention' } }),
    'facilitator asked to confirm moving on without every perspective': () => rethinkCard(s1, { viewer: { id: people.priya.id }, confirmation: `${people.jo.name} and ${people.dan.name} have not contributed to this stage yet. Every perspective matters: move on without them?` }),
    'shared base card, stage 5 with actions': () => rethinkCard(s5),
    'participant, stage 5 with actions': () => rethinkCard(s5, { viewer: { id: people.tom.id } }),
    'facilitator, stage 5 with actions': () => rethinkCard(s5, { viewer: { id: people.priya.id } }),
    'closed, shared': () => rethinkCard(closedRethink('partlyResolved')),
    'closed, participant': () => rethinkCard(closedRethink('partlyResolved'), { viewer: { id: people.tom.id } }),
    'reveal together, participant': () => rethinkCard({ ...s1, revealTogether: true }, { viewer: { id: people.tom.id } }),
    'reveal together, stage 5 with stage 4 revealed': () => rethinkCard({ ...s5, revealTogether: true }),
    'meeting ended before stage 5: the outcome can be recorded': () => rethinkCard({ ...s1, meetingId: 'm1', meetingEndRemindedAt: NOW.toISOString() }, { viewer: { id: people.priya.id } }),
  };
  describeEveryVariant(Object.fromEntries(Object.entries(views).map(([name, render]) => [name, { render, rethinkIds: [s1.id] }])));

  it('marks what must be given on its forms, so Teams points to the gap (and reads it out) rather than the card being replaced', () => {
    const card = views['facilitator, stage 5 with actions']();
    for (const id of ['contribution', 'actionDescription', 'actionDue', 'chosenActionId']) {
      expect({ id, isRequired: input(card, id)?.isRequired, errorMessage: input(card, id)?.errorMessage }).toEqual({ id, isRequired: true, errorMessage: expect.stringMatching(/^Please (enter|say|choose) /) });
    }
    // Someone outside Teams may own it instead of a participant.
    expect(input(card, 'actionOwner')?.isRequired).toBeUndefined();
    expect(input(card, 'contribution')?.label).toContain('no names, please');
    expect(input(card, 'actionDescription')?.label).toContain('no names of children or family members, please');
    expect(input(renderStartCard(startCardData(profile, EMPTY_START_FORM)), 'summary')?.label).toContain('no names, please');
  });

  describe('what each viewer sees', () => {
    it('offers someone who has not joined the join form, pre-filled, and nothing else to do', () => {
      const card = views['viewer who has not joined']();
      expect(verbs(card).filter((v) => v !== 'refresh')).toEqual(['join']);
      expect(input(card, 'role')?.value).toBe('Early help practitioner');
      expect(input(card, 'agency')?.value).toBe('Early help hub');
    });

    it('marks an action owned by someone taking part by phone or face to face as outside Teams, as for someone typed in', () => {
    const onPhone = s5.participants.find((p) => p.external);
    if (!onPhone) throw new Error('fixture has no one by phone');
    const r = { ...s5, actions: [...s5.actions, { id: 'a-phone', description: 'Call the family', owner: { participantId: onPhone.id, name: onPhone.name }, dueDate: '2026-12-01', addedBy: s5.facilitatorId, at: s5.createdAt }] };
    expect(texts(rethinkCard(r)).some((t) => t.startsWith(`${onPhone.name} (outside Teams) · due`))).toBe(true);
  });

  it('states the contribution’s limit and leaves the box room beyond it, so a longer paste is refused with the limit said rather than cut short without a word', () => {
    const box = input(views['participant, stage 1'](), 'contribution');
    const limit = profile.limits.contributionMaxLength;
    expect(String(box?.label)).toContain(`up to ${limit.toLocaleString('en-GB')} characters`);
    expect(Number(box?.maxLength)).toBeGreaterThan(limit);
  });

  it('offers a participant their own contribution to edit, and their role and agency to correct', () => {
      const card = views['participant, stage 1']();
      expect(verbs(card).filter((v) => v !== 'refresh')).toEqual(['join', 'contribute']);
      expect(ofType(card, 'Action.ShowCard').map((a) => a.title)).toEqual(['Update your role or agency', 'Edit your contribution']);
      const tom = s1.participants.find((p) => p.id === people.tom.id);
      expect([input(card, 'role')?.value, input(card, 'agency')?.value]).toEqual([tom?.role, tom?.agency]);
      expect(input(card, 'contribution')?.value).toBe(s1.contributions.find((c) => c.participantId === people.tom.id)?.text);
    });

    it('shows the stage, who has contributed and who is still to contribute', () => {
      const card = views['shared base card (no viewer), stage 1']();
      expect(texts(card)).toContain(`Stage 1 of 5: ${profile.stages[0]?.title}`);
      expect(texts(card)).toContain('Contributed: Priya Shah and Tom Okafor. Still to contribute: Jo Marsh and Dan Hughes.');
      for (const c of s1.contributions) expect(texts(card)).toContain(c.text);
    });

    it('shows a notice in its tone', () => {
      const card = views['facilitator with a notice']();
      expect(containerHolding(card, 'Please add your contribution before the group moves on.')?.style).toBe('attention');
    });

    it('asks the facilitator to confirm before moving on without every perspective', () => {
      const card = views['facilitator asked to confirm moving on without every perspective']();
      const confirmation = containerHolding(card, 'Every perspective matters');
      expect(confirmation?.style).toBe('warning');
      expect(texts(confirmation ?? {})[0]).toMatch(/^Jo Marsh and Dan Hughes have not contributed to this stage yet\./);
      expect(executeActions(confirmation ?? {}).map((a) => [a.verb, (a.data as Json).confirmed])).toEqual([
        ['advance', true],
        ['refresh', undefined],
      ]);
    });

    it('at stage 5 shows every action with its owner and due date, and lets people add one', () => {
      const card = views['shared base card, stage 5 with actions']();
      expect(texts(card)).toContain(`Stage 5 of 5: ${profile.stages[4]?.title}`);
      for (const a of s5.actions) expect(texts(card)).toContain(`**${a.description}**`);
      expect(texts(card)).toContain('Sergeant Claire Dunn (neighbourhood team) (outside Teams) · due 20 March 2026');
      expect(verbs(card)).toContain('addAction');
    });

    it('lets a participant change only the actions they added', () => {
      const card = views['participant, stage 5 with actions']();
      const mine = s5.actions.filter((a) => a.addedBy === people.tom.id).map((a) => a.id);
      const choices = (input(card, 'chosenActionId')?.choices ?? []) as { value: string }[];
      expect(choices.map((c) => c.value)).toEqual(mine);
      expect(verbs(card)).toEqual(expect.arrayContaining(['showActionEditor', 'removeAction']));
      expect(verbs(card)).not.toContain('editAction');
      const editor = rethinkCard(s5, { viewer: { id: people.tom.id }, editingActionId: mine[0] });
      expect(executeActions(editor).filter((a) => a.verb === 'editAction').map((a) => (a.data as Json).actionId)).toEqual([mine[0]]);
      expect(verbs(editor)).not.toContain('addAction');
      // Its date picker allows today on; an action whose due date has passed keeps that date selectable.
      expect(input(editor, 'editDue')).toMatchObject({ value: s5.actions.find((a) => a.id === mine[0])?.dueDate, min: '2026-03-10' });
      const overdue = { ...s5, actions: s5.actions.map((a) => (a.id === mine[0] ? { ...a, dueDate: '2026-03-05' } : a)) };
      const editingOverdue = rethinkCard(overdue, { viewer: { id: people.tom.id }, editingActionId: mine[0] });
      expect(input(editingOverdue, 'editDue')).toMatchObject({ value: '2026-03-05', min: '2026-03-05' });
      expect(checkCard(editingOverdue).problems).toEqual([]);
      // A new action's date is never in the past.
      expect(input(rethinkCard(overdue, { viewer: { id: people.tom.id } }), 'actionDue')?.min).toBe('2026-03-10');
    });

    it('once closed, shows the outcome and offers nothing to press', () => {
      const card = views['closed, shared']();
      expect(texts(card)).toContain('Outcome: Partly resolved: continuing with the agreed actions');
      expect(verbs(card)).toEqual([]);
      expect(ofType(card, 'Action.ShowCard')).toEqual([]);
    });
  });

  describe('refresh', () => {
    it('asks Teams to refresh the shared open card for the participants in Teams only', () => {
      const card = views['shared base card (no viewer), stage 1']();
      const refresh = card.refresh as { action: Json; userIds: string[] };
      expect(refresh.action.verb).toBe('refresh');
      expect((refresh.action.data as Json).rethinkId).toBe(s1.id);
      expect([...refresh.userIds].sort()).toEqual(s1.participants.filter((p) => !p.external).map((p) => p.id).sort());
      expect(refresh.userIds[0]).toBe(s1.facilitatorId);
      expect(refresh.userIds).not.toContain(people.dan.id);
    });

    it('lists at most 60 people, none of them outside Teams, even with 70 taking part', () => {
      const r = crowdedRethink();
      expect(r.participants).toHaveLength(70);
      const card = rethinkCard(r);
      const userIds = (card.refresh as { userIds: string[] }).userIds;
      expect(userIds).toHaveLength(60);
      expect(userIds.filter((id) => id.startsWith('ext:'))).toEqual([]);
      // The facilitator first (handed to someone who joined late, say), then whoever acted most lately.
      expect(new Set(userIds).size).toBe(60);
      expect(userIds[0]).toBe(r.facilitatorId);
      const late = r.participants.filter((p) => !p.external).at(-1);
      if (!late) throw new Error('fixture');
      const handed = { ...r, facilitatorId: late.id, audit: [...r.audit, { at: NOW.toISOString(), by: r.facilitatorId, what: 'handedOver' as const, ref: late.id }] };
      const lateFirst = (rethinkCard(handed).refresh as { userIds: string[] }).userIds;
      expect(lateFirst.slice(0, 2)).toEqual([late.id, r.facilitatorId]);
      expect(checkCard(card).problems).toEqual([]);
      expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
    });

    it('at stage 5 with 70 people who have all contributed, the facilitator’s card still fits: choices name people by short keys', () => {
      const crowded = crowdedRethink();
      const r: Rethink = {
        ...crowded,
        stage: 5,
        contributions: crowded.participants.map((p) => ({ participantId: p.id, stage: 5 as const, text: 'I agree the plan needs a review.', recordedBy: p.external ? crowded.facilitatorId : p.id, at: NOW.toISOString() })),
      };
      const card = rethinkCard(r, { viewer: { id: r.facilitatorId } });
      expect(checkCard(card).problems).toEqual([]);
      expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
      const owners = (input(card, 'actionOwner')?.choices as Json[]).map((c) => String(c.value));
      expect(owners).toHaveLength(71);
      // Each key names exactly its own participant when the card comes back.
      expect(owners.slice(0, 70).map((key) => participantNamed(r, key)?.id)).toEqual(r.participants.map((p) => p.id));
      expect((input(card, 'handOverTo')?.choices as Json[]).every((c) => String(c.value).startsWith('k:'))).toBe(true);
      // The first contributions are shown, and the rest are counted rather than lost from view silently.
      expect(texts(card)).toContain('…and 58 more contributions to this stage, not shown here: too many to fit on one card. Every one is saved.');
    });

    it('revealed together at a crowded stage: the first contributions are shown, and the rest counted', () => {
      const crowded = crowdedRethink();
      const r: Rethink = {
        ...crowded,
        stage: 3,
        revealTogether: true,
        contributions: crowded.participants.map((p) => ({ participantId: p.id, stage: 2 as const, text: 'I agree the plan needs a review.', recordedBy: p.external ? crowded.facilitatorId : p.id, at: NOW.toISOString() })),
      };
      const card = rethinkCard(r, { viewer: { id: r.facilitatorId } });
      expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
      expect(texts(card)).toContain('…and 58 more contributions to that stage, not shown here: too many to fit on one card. Every one is saved.');
    });

    it('is absent once the Re-think is closed', () => {
      expect(Object.keys(views['closed, shared']())).not.toContain('refresh');
      expect(Object.keys(views['closed, participant']())).not.toContain('refresh');
    });
  });

  describe('facilitator controls', () => {
    const facilitatorVerbs = (card: AdaptiveCard): string[] => [...new Set(verbs(card).filter((v) => FACILITATOR_VERBS.includes(v)))].sort();

    it.each(['participant, stage 1', 'participant, stage 5 with actions', 'viewer who has not joined', 'closed, shared'] as const)('are absent from the %s view', (view) => {
      expect(facilitatorVerbs(views[view]())).toEqual([]);
    });

    it.each(['facilitator, stage 1', 'shared base card (no viewer), stage 1'] as const)('at stage 1 are in the %s view: move on, hand over, record for someone', (view) => {
      expect(facilitatorVerbs(views[view]())).toEqual(['advance', 'contributeOnBehalf', 'handOver']);
    });

    it.each(['facilitator, stage 5 with actions', 'shared base card, stage 5 with actions'] as const)('at stage 5 are in the %s view: close, hand over, record for someone', (view) => {
      expect(facilitatorVerbs(views[view]())).toEqual(['close', 'contributeOnBehalf', 'handOver']);
    });

    it('offer the hand-over only to other participants in Teams', () => {
      const card = views['facilitator, stage 1']();
      expect((input(card, 'handOverTo')?.choices as Json[]).map((c) => c.value)).toEqual([people.tom.id, people.jo.id]);
    });

    it('say when there is no one yet to hand over to, rather than offer an empty list', () => {
      const alone = { ...stage1Rethink(), participants: stage1Rethink().participants.filter((p) => p.id === people.priya.id) };
      const card = rethinkCard(alone, { viewer: { id: people.priya.id } });
      expect(input(card, 'handOverTo')).toBeUndefined();
      expect(texts(card)).toContain('You can hand over once someone else has joined in Teams.');
      expect(verbs(card)).not.toContain('handOver');
    });
  });

  describe('the largest realistic Re-think: 12 people, 2,000 characters each at every stage, 20 actions, stage 5', () => {
    const r = largestRethink();
    const facilitator = r.participants.find((p) => p.id === r.facilitatorId) as Participant;
    const largeViews = {
      'shared base card': () => rethinkCard(r),
      'facilitator view': () => rethinkCard(r, { viewer: { id: facilitator.id } }),
    };

    it('keeps a draft a little over its limit on a crowded card, shortening the rest; leaves off text over its limit only when the card can’t hold it', () => {
      const atStage2 = { ...r, stage: 2 as const };
      const viewer = { id: facilitator.id };
      const slightly = 'x'.repeat(profile.limits.contributionMaxLength + 1);
      const kept = rethinkCard(atStage2, { viewer, drafts: { contribution: slightly } });
      expect(input(kept, 'contribution')?.value).toBe(slightly);
      expect(texts(kept)).not.toContain(TOO_LONG_TO_KEEP);
      const huge = rethinkCard(atStage2, { viewer, drafts: { contribution: 'y'.repeat(40_000) } });
      const hugeDate = rethinkCard(r, { viewer, drafts: { action: { description: 'Call', owner: '', ownerName: '', dueDate: '9'.repeat(40_000) } } });
      for (const card of [huge, hugeDate]) {
        expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
        expect(texts(card)).toContain(TOO_LONG_TO_KEEP);
        expect(JSON.stringify(card)).not.toMatch(/y{4001}|9{101}/);
      }
      expect(input(hugeDate, 'actionDescription')?.value).toBe('Call');
      // Over its limit but within the room its box leaves for a paste, in characters of three bytes:
      // left off with a word, on the Re-think card (not the small card for a Re-think too large).
      const wide = rethinkCard(atStage2, { viewer, drafts: { contribution: '’'.repeat(7_000) } });
      expect(cardBytes(wide)).toBeLessThanOrEqual(MAX_CARD_BYTES);
      expect(texts(wide)).toContain(TOO_LONG_TO_KEEP);
      expect(verbs(wide)).toContain('contribute');
    });

    it('is as large as promised', () => {
      expect(r.participants).toHaveLength(12);
      expect(r.contributions).toHaveLength(60);
      expect(r.contributions.every((c) => c.text.length === 2000)).toBe(true);
      expect(r.actions).toHaveLength(20);
    });

    describe.each(Object.entries(largeViews))('%s', (_name, render) => {
      let card: AdaptiveCard;
      beforeAll(() => {
        card = render();
      });

      it('stays under 28 KB', () => {
        expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
      });

      it('is still a valid Adaptive Card 1.5, fully expanded', () => {
        expect(checkCard(card).problems).toEqual([]);
        expect(unexpanded(card)).toEqual([]);
      });

      it('still shows, at least summarised, every contribution to this stage and every action', () => {
        const blocks = texts(card);
        for (const c of r.contributions.filter((x) => x.stage === r.stage)) {
          const who = r.participants.find((p) => p.id === c.participantId) as Participant;
          const at = blocks.findIndex((t) => t.startsWith(`**${who.name} (${who.role}, ${who.agency})`));
          expect({ who: who.name, shown: at >= 0 && isSummaryOf(blocks[at + 1] ?? '', c.text) }).toEqual({ who: who.name, shown: true });
        }
        for (const a of r.actions) {
          expect({ action: a.id, shown: blocks.some((t) => t.startsWith('**') && t.endsWith('**') && isSummaryOf(t.slice(2, -2), a.description)) }).toEqual({ action: a.id, shown: true });
        }
      });
    });

    describe('summary card', () => {
      let card: AdaptiveCard;
      beforeAll(() => {
        card = renderSummaryCard(profile, r);
      });

      it('stays under 28 KB and is a valid, fully expanded Adaptive Card 1.5', () => {
        expect(cardBytes(card)).toBeLessThan(TEAMS_CARD_LIMIT);
        expect(checkCard(card).problems).toEqual([]);
        expect(unexpanded(card)).toEqual([]);
      });

      it('still shows, at least summarised, every contribution at every stage and every action', () => {
        const blocks = texts(card);
        for (const c of r.contributions) {
          const who = r.participants.find((p) => p.id === c.participantId) as Participant;
          const byPhone = c.recordedBy !== c.participantId ? ', recorded by the facilitator' : '';
          const prefix = `**${who.name} (${who.agency})${byPhone}:** `;
          const shown = blocks.some((t) => t.startsWith(prefix) && isSummaryOf(t.slice(prefix.length), c.text));
          expect({ stage: c.stage, who: who.name, shown }).toEqual({ stage: c.stage, who: who.name, shown: true });
        }
        for (const a of r.actions) {
          const shown = blocks.some((t) => t.startsWith('• ') && isSummaryOf(t.slice(2, t.lastIndexOf(`: ${a.owner.name}, by `)), a.description));
          expect({ action: a.id, shown }).toEqual({ action: a.id, shown: true });
        }
        expect(blocks).toContain('Some contributions are shortened to fit this card; the full record is kept.');
      });
    });
  });
});

describe('a Re-think at the limits the app allows: 50 actions at 500 characters, 4,000 characters from everyone at every stage', () => {
  // 40 people with names, roles and agencies of 30 characters: every view still fits, giving up detail.
  const crowded = overflowingRethink(40, 30);
  const facilitator = crowded.participants[0] as Participant;
  const member = crowded.participants[1] as Participant;
  const withOwn = { ...crowded, stage: 2 as const };
  describeEveryVariant({
    'facilitator view': { render: () => rethinkCard(crowded, { viewer: { id: facilitator.id } }), rethinkIds: [crowded.id] },
    'participant view at stage 2': { render: () => rethinkCard(withOwn, { viewer: { id: member.id } }), rethinkIds: [crowded.id] },
    'shared card': { render: () => rethinkCard(crowded), rethinkIds: [crowded.id] },
    summary: { render: () => renderSummaryCard(profile, { ...crowded, status: 'closed', outcome: { kind: 'resolved', recordedBy: facilitator.id, at: NOW.toISOString() } }), rethinkIds: [crowded.id] },
  });

  it('says what it leaves off, and every action can still be chosen to change', () => {
    const card = rethinkCard(crowded, { viewer: { id: facilitator.id } });
    const blocks = texts(card);
    expect(blocks.some((t) => /^…and \d+ more actions, not listed here: too many to fit on one card\. Every one is saved/.test(t))).toBe(true);
    expect(blocks.some((t) => /more contributions to this stage, not shown here: too many to fit on one card\. Every one is saved\./.test(t))).toBe(true);
    const choices = (input(card, 'chosenActionId')?.choices ?? []) as { value: string }[];
    expect(choices.map((c) => c.value).sort()).toEqual(crowded.actions.map((a) => a.id).sort());
  });

  it('on the fullest cards, a long contribution of one\'s own is not put back in its box, and the card says why', () => {
    const data = rethinkCardData(profile, withOwn, { viewer: { id: member.id }, now: NOW }, 40, 'minimal');
    expect(data).toMatchObject({ draft: '', contributeTitle: 'Replace your contribution' });
    const card = renderRethinkCard(profile, withOwn, { viewer: { id: member.id }, now: NOW });
    // This card fits without giving that up: the contribution is put back.
    expect(input(card, 'contribution')?.value).toBe(withOwn.contributions.find((c) => c.stage === 2 && c.participantId === member.id)?.text);
    const fullest = expand(rethinkTemplate, data);
    expect(input(fullest, 'contribution')?.value ?? '').toBe('');
    expect(texts(fullest)).toContain('Your contribution to this stage is saved (4,000 characters), but this card is too full to put it back in this box. What you save here replaces it, and the record keeps the earlier version.');
    expect(verbs(fullest)).toContain('contribute');
  });

  it('the summary still names every stage and every action, counting what it cannot show', () => {
    const huge = overflowingRethink(100, 80);
    const card = renderSummaryCard(profile, { ...huge, status: 'closed', outcome: { kind: 'resolved', recordedBy: huge.participants[0]?.id ?? '', at: NOW.toISOString() } });
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(checkCard(card).problems).toEqual([]);
    const blocks = texts(card);
    expect(blocks).toContain('100 people from 100 agencies took part: too many to name on one card.');
    expect(blocks.filter((t) => t === '100 contributions, too many to show on one card: every one is kept in full in the record.')).toHaveLength(5);
    for (let i = 1; i <= 50; i++) expect(JSON.stringify(card)).toContain(`Action ${i}:`);
  });
});

describe('a closed Re-think with hundreds of actions', () => {
  it('still has its summary: the first actions listed, the rest counted, and the next steps offered', () => {
    const huge = overflowingRethink(20, 80);
    const wide = (text: string): string => text.padEnd(500, '’').slice(0, 500);
    const actions = Array.from({ length: 300 }, (_, i) => ({ ...(huge.actions[0] as Rethink['actions'][number]), id: `a-${i}`, description: wide(`Action ${i + 1}: `) }));
    const card = renderSummaryCard(profile, { ...huge, actions, status: 'closed', outcome: { kind: 'notResolved', nextStep: 'escalation', recordedBy: huge.facilitatorId, at: NOW.toISOString() } });
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(checkCard(card).problems).toEqual([]);
    const shown = JSON.stringify(card);
    expect(shown).toContain('Action 1: ');
    expect(shown).not.toContain('Action 300: ');
    expect(shown).toMatch(/and \d+ more actions, too many to list on one card: every one is kept in the record\./);
    expect(verbs(card)).toContain('showEscalation');
  });
});

describe('a Re-think too large for any Re-think card: 100 people with 80-character names', () => {
  const huge = overflowingRethink(100, 80);
  const facilitator = huge.participants[0] as Participant;
  const atStage3 = { ...huge, stage: 3 as const, contributions: huge.contributions.filter((c) => c.stage < 3 || c.participantId === facilitator.id) };
  describeEveryVariant({
    'facilitator at stage 5': { render: () => rethinkCard(huge, { viewer: { id: facilitator.id }, notice: { text: 'The action is added.', tone: 'good' } }), rethinkIds: [huge.id] },
    'facilitator at stage 3, asked to confirm': { render: () => rethinkCard(atStage3, { viewer: { id: facilitator.id }, confirmation: 'Everyone else has not contributed. Move on without them?' }), rethinkIds: [huge.id] },
    'participant': { render: () => rethinkCard(huge, { viewer: { id: huge.participants[1]?.id ?? '' } }), rethinkIds: [huge.id] },
    'shared card': { render: () => rethinkCard(huge), rethinkIds: [huge.id] },
  });

  it('says so, keeps what just happened, and lets only the facilitator move on (naming how many are waiting) and close', () => {
    const facilitatorCard = rethinkCard(huge, { viewer: { id: facilitator.id }, notice: { text: 'The action is added.', tone: 'good' } });
    expect(texts(facilitatorCard)).toEqual(expect.arrayContaining(['The action is added.', expect.stringMatching(/^This Re-think now holds more than one Teams card can show \(100 people taking part\), so its card shows only this\. Everything everyone has recorded is saved\./)]));
    const controls = (card: AdaptiveCard) => verbs(card).filter((v) => v !== 'refresh');
    expect(controls(facilitatorCard)).toEqual(['close']);
    // Moving on asks first (the answer names who is waiting, or that one agency alone was heard); the card asking confirms.
    const moving = rethinkCard(atStage3, { viewer: { id: facilitator.id } });
    expect(texts(moving)).toContain('99 people have not contributed to this stage yet.');
    const moveOn = (card: AdaptiveCard) => executeActions(card).filter((a) => a.verb !== 'refresh').map((a) => [a.verb, a.title, a.data]);
    expect(moveOn(moving)).toEqual([['advance', 'Move on to stage 4', { rethinkId: huge.id, confirmed: false, stage: 3, joined: 100 }]]);
    const asking = rethinkCard(atStage3, { viewer: { id: facilitator.id }, confirmation: 'Many have not contributed to this stage yet. Move on without them?' });
    expect(texts(asking)).toContain('Many have not contributed to this stage yet. Move on without them?');
    expect(moveOn(asking)).toEqual([['advance', 'Move on without them', { rethinkId: huge.id, confirmed: true, stage: 3, joined: 100 }]]);
    // Others get no controls on their own view; the shared card carries them, as the Re-think card's does (the engine checks who pressed).
    expect(controls(rethinkCard(huge, { viewer: { id: huge.participants[1]?.id ?? '' } }))).toEqual([]);
    expect(controls(rethinkCard(huge))).toEqual(['close']);
    expect(rethinkCard(huge).refresh).toMatchObject({ userIds: expect.any(Array) });
  });

  it('closed early (its meeting over, before stage 5), it offers only “not resolved”, and says why', () => {
    const outcomes = (card: AdaptiveCard) => ofType(card, 'Input.ChoiceSet').filter((i) => i.id === 'outcome').flatMap((i) => (i.choices as { value: string }[]).map((c) => c.value));
    const early = rethinkCard({ ...atStage3, meetingId: 'm1', meetingEndRemindedAt: NOW.toISOString() }, { viewer: { id: facilitator.id } });
    expect(outcomes(early)).toEqual(['notResolved']);
    expect(texts(early).some((t) => t.startsWith('The group hasn’t reached stage 5, so nothing has been agreed yet'))).toBe(true);
    expect(outcomes(rethinkCard(huge, { viewer: { id: facilitator.id } }))).toEqual(['resolved', 'partlyResolved', 'notResolved']);
  });

  it('tells those still to contribute where they can: the side panel in a meeting; elsewhere, that this card takes none', () => {
    const said = (card: AdaptiveCard) => texts(card).find((t) => t.startsWith('This Re-think now holds')) ?? '';
    expect(said(rethinkCard({ ...atStage3, meetingId: 'm1' }))).toMatch(/To add your contribution, open the Re-think side panel in the meeting\.$/);
    expect(said(rethinkCard(atStage3))).toMatch(/New contributions can’t be added on this card\.$/);
  });
});

describe('summary card', () => {
  const variants = {
    resolved: () => renderSummaryCard(profile, closedRethink('resolved')),
    'partly resolved': () => renderSummaryCard(profile, closedRethink('partlyResolved')),
    'not resolved, with escalation': () => renderSummaryCard(profile, closedRethink('notResolved', 'escalation')),
  };
  describeEveryVariant(Object.fromEntries(Object.entries(variants).map(([name, render]) => [name, { render, rethinkIds: [closedRethink('resolved').id] }])));

  it('offers the facilitator request on a closed summary unless resolved, and escalation only when not resolved', () => {
    expect(verbs(variants.resolved())).toEqual([]);
    expect(verbs(variants['partly resolved']())).toEqual(['showRequestForm']);
    expect(verbs(variants['not resolved, with escalation']())).toEqual(['showRequestForm', 'showEscalation']);
    // After strategy 3 there is no facilitator left to ask for; after strategy 1 comes strategy 2.
    expect(verbs(renderSummaryCard(profile, { ...closedRethink('notResolved'), strategy: 3 }))).toEqual(['showEscalation']);
    expect(verbs(renderSummaryCard(profile, { ...closedRethink('notResolved', 'escalation'), strategy: 1 }))).toEqual(['showEscalation']);
    expect(verbs(renderSummaryCard(profile, { ...closedRethink('partlyResolved'), strategy: 1 }))).toEqual([]);
  });

  it.each([
    [1, 'The next strategy is “Strategy 2: a group Re-think with the team around the family”: press “Start strategy 2” below to begin it, with this case filled in.'],
    [2, 'The next strategy is “Strategy 3: an independent facilitator”: press “Request an independent facilitator” below.'],
    [3, 'escalation under the HIPS protocol is the next step.'],
  ] as const)('not resolved after strategy %i: says which strategy is next and how to begin it', (strategy, next) => {
    const r = closedRethink('notResolved');
    const card = renderSummaryCard(profile, { ...r, strategy, outcome: { ...r.outcome!, nextStep: 'nextStrategy' } });
    // After strategy 3 (a record closed before the rule) there is no next strategy: escalation is.
    expect(texts(card).some((t) => t.includes(next))).toBe(true);
  });

  it('records every stage, every contribution and every action', () => {
    const r = closedRethink('resolved');
    const card = variants.resolved();
    for (const [i, stage] of profile.stages.entries()) expect(texts(card)).toContain(`Stage ${i + 1}: ${stage.title}`);
    for (const c of r.contributions) expect(texts(card).some((t) => t.endsWith(`:** ${c.text}`))).toBe(true);
    expect(texts(card)).toContain('• Add a flag on the address so calls are shared with the lead professional.: Sergeant Claire Dunn (neighbourhood team), by 20 March 2026');
  });

  it.each([
    ['resolved', 'Outcome: Resolved', 'The concern is resolved.'],
    ['partly resolved', 'Outcome: Partly resolved: continuing with the agreed actions', 'The group continues with the agreed actions.'],
    ['not resolved, with escalation', 'Outcome: Not resolved. Next step: Escalate under the HIPS protocol', 'escalation under the HIPS protocol is the next step'],
  ] as const)('when %s, says so and what happens next', (variant, outcome, next) => {
    const blocks = texts(variants[variant]());
    expect(blocks).toContain(outcome);
    expect(blocks.some((t) => t.includes(next))).toBe(true);
  });

  it('links to the escalation protocol only when escalating', () => {
    expect(ofType(variants['not resolved, with escalation'](), 'Action.OpenUrl').map((a) => a.url)).toEqual([profile.partnership.escalationProtocolUrl]);
    expect(ofType(variants.resolved(), 'Action.OpenUrl')).toEqual([]);
    expect(ofType(variants['partly resolved'](), 'Action.OpenUrl')).toEqual([]);
  });
});

describe('list card', () => {
  const empty = (): AdaptiveCard => renderListCard(listCardData([]));
  const withItems = (): AdaptiveCard => renderListCard(listCardData(LIST_ITEMS));
  // Several open at once, as in a locality channel: each button names its case.
  const severalOpen = [...LIST_ITEMS, { ...LIST_ITEMS[0]!, id: 'a1b2c3d4-0000-4000-8000-00000000aaaa', caseReference: 'PSCP-2026-0099' }];
  describeEveryVariant({
    empty: { render: empty, rethinkIds: [] },
    'with items': { render: withItems, rethinkIds: LIST_ITEMS.map((i) => i.id) },
    'with several open': { render: () => renderListCard(listCardData(severalOpen)), rethinkIds: severalOpen.map((i) => i.id) },
    'with more open than it lists': { render: () => renderListCard(listCardData(severalOpen, true)), rethinkIds: severalOpen.map((i) => i.id) },
  });

  it('says when more are open here than it lists, and only then', () => {
    const note = 'More Re-thinks are open here than can be listed: these are the ones changed most recently.';
    expect(texts(renderListCard(listCardData(severalOpen, true)))).toContain(note);
    expect(texts(renderListCard(listCardData(severalOpen)))).not.toContain(note);
  });

  it('names each button by its case and strategy, in words a screen reader reads out', () => {
    const titles = executeActions(renderListCard(listCardData(severalOpen))).map((a) => a.title);
    expect(titles).toEqual(['Show the Re-think for PSCP-2026-0042, strategy 2', 'Show the Re-think for PSCP-2026-0099, strategy 2']);
  });

  it('says when there are no Re-thinks', () => {
    expect(texts(empty())).toContain('There are no Re-thinks here yet. Type **start** to begin one (in a group chat, channel or meeting, **@Re-think start**).');
  });

  it('lists each Re-think, and offers to show the open ones', () => {
    const card = withItems();
    for (const item of LIST_ITEMS) expect(texts(card).some((t) => t.startsWith(`**Case ${item.caseReference}**`))).toBe(true);
    expect(texts(card)).toContain('In progress · stage 3 of 5 · last changed 9 March 2026');
    expect(texts(card)).toContain('Closed · Not resolved · last changed 20 February 2026');
    const open = LIST_ITEMS.filter((i) => i.status === 'open').map((i) => i.id);
    expect(executeActions(card).map((a) => [a.verb, (a.data as Json).rethinkId])).toEqual(open.map((id) => ['showRethink', id]));
  });
});

describe('user text is bound only as data', () => {
  /** A Re-think whose user text is full of template syntax, quotes and markdown. */
  function trickyRethink(): Rethink {
    const r = stage5Rethink();
    const tom = r.contributions.find((c) => c.participantId === people.tom.id && c.stage === 5);
    if (tom) tom.text = TRICKY_TEXT;
    const action = r.actions.find((a) => a.addedBy === people.tom.id);
    if (action) action.description = TRICKY_TEXT;
    return r;
  }

  it('shows a contribution exactly as typed on the shared card and in the author’s edit box', () => {
    const r = trickyRethink();
    expect(texts(rethinkCard(r))).toContain(TRICKY_TEXT);
    const tomsView = rethinkCard(r, { viewer: { id: people.tom.id } });
    expect(input(tomsView, 'contribution')?.value).toBe(TRICKY_TEXT);
  });

  it('shows an action exactly as typed, and pre-fills its edit box with it', () => {
    const r = trickyRethink();
    const action = r.actions.find((a) => a.description === TRICKY_TEXT);
    const card = rethinkCard(r, { viewer: { id: people.tom.id }, ...(action ? { editingActionId: action.id } : {}) });
    expect(texts(card)).toContain(`**${TRICKY_TEXT}**`);
    expect(input(card, 'editDescription')?.value).toBe(TRICKY_TEXT);
  });

  it('keeps ${x} literal: it is never evaluated against the card data', () => {
    const r = trickyRethink();
    const shown = texts(rethinkCard(r)).find((t) => t.startsWith('I typed '));
    expect(shown).toContain('${injected}');
    expect(shown).toContain('${caseReference}');
    expect(shown).toContain('${$root.rethinkId}');
    expect(shown).not.toContain(r.caseReference);
    expect(shown).not.toContain(r.id);
  });

  it('keeps it literal on the summary card, in names and roles, and on the start form', () => {
    const r = trickyRethink();
    r.status = 'closed';
    r.outcome = { kind: 'resolved', recordedBy: people.priya.id, at: NOW.toISOString() };
    const jo = r.participants.find((p) => p.id === people.jo.id);
    if (jo) jo.role = 'Lead for ${role}';
    const summary = renderSummaryCard(profile, r);
    expect(texts(summary).some((t) => t.endsWith(`:** ${TRICKY_TEXT}`))).toBe(true);
    expect(texts(summary)).toContain(`Jo Marsh · Lead for \${role}, ${people.jo.agency}`);

    const start = renderStartCard(startCardData(profile, { ...TYPED_START_FORM, summary: TRICKY_TEXT, role: '${role}' }));
    expect(input(start, 'summary')?.value).toBe(TRICKY_TEXT);
    expect(input(start, 'role')?.value).toBe('${role}');
  });

  it('still renders valid Adaptive Cards', () => {
    const r = trickyRethink();
    expect(checkCard(rethinkCard(r)).problems).toEqual([]);
    expect(checkCard(rethinkCard(r, { viewer: { id: people.tom.id } })).problems).toEqual([]);
    const closed: Rethink = { ...r, status: 'closed', outcome: { kind: 'resolved', recordedBy: people.priya.id, at: NOW.toISOString() } };
    expect(checkCard(renderSummaryCard(profile, closed)).problems).toEqual([]);
  });
});

describe('request cards', () => {
  const statuses = ['submitted', 'accepted', 'scheduled', 'completed', 'withdrawn'] as const;
  const requestVariants = Object.fromEntries(
    statuses.flatMap((status) => (['pool', 'requester'] as const).map((audience) => [`${status}, ${audience}’s copy`, { render: () => renderRequestCard(profile, request(status), audience, 'A notice'), rethinkIds: [] }])),
  );
  const history = request('submitted').history;

  it('shows what was done as good news at the top, and a refusal as needing attention', () => {
    const noticeOf = (card: AdaptiveCard) => (card.body as Json[]).slice(0, 2).find((n) => n.type === 'Container' && (n.items as Json[])[0]?.text === 'A notice');
    expect(noticeOf(renderRequestCard(profile, request('accepted'), 'pool', 'A notice', {}, 'good'))).toMatchObject({ style: 'good' });
    expect(noticeOf(renderRequestCard(profile, request('accepted'), 'pool', 'A notice'))).toMatchObject({ style: 'attention' });
  });

  const formVariants = {
    'form, pre-filled': { render: () => renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: { requesterRole: 'Health visitor' }, history }), rethinkIds: [] },
    'form, no history, with errors': {
      render: () =>
        renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: { network: 'Health; social care' }, history: [], errors: { requesterContact: 'Please enter how the facilitator can contact you.' }, notice: 'Please check the field marked below.' }),
      rethinkIds: [],
    },
  };
  const others = {
    question: { render: () => renderQuestionCard(questionCardData(profile, request('accepted'), 'q1') !), rethinkIds: [] },
    'request list': {
      render: () =>
        renderRequestListCard(
          requestListCardData(profile, 'Your requests', 'None yet', [
            { id: 'r1', caseReference: 'PSCP-2026-0042', status: 'accepted', submittedAt: REQUEST_AT, requesterName: 'Alex', acceptedBy: 'Adele', urgency: 'soon' },
            { id: 'r2', caseReference: 'PSCP-2026-0043', status: 'submitted', submittedAt: REQUEST_AT, requesterName: 'Alex', urgency: 'soon' },
            // The same case again: withdrawn earlier, before the one above was made.
            { id: 'r3', caseReference: 'PSCP-2026-0042', status: 'withdrawn', submittedAt: '2026-11-02T10:00:00.000Z', requesterName: 'Alex', urgency: 'soon' },
          ]),
        ),
      rethinkIds: [],
    },
    'escalation form': { render: () => renderEscalationCard(profile, { rethink: closedRethink('notResolved', 'escalation') }), rethinkIds: [closedRethink('notResolved', 'escalation').id] },
    'escalation recorded, with the history handed over': {
      render: () => {
        const r = closedRethink('notResolved', 'escalation');
        const escalated = { ...r, escalations: [{ stage: 2, stageName: profile.escalationStages[1] ?? 'Line managers', startedBy: r.facilitatorId, startedByName: 'Priya Shah', at: NOW.toISOString(), reason: 'Still stuck. '.repeat(40) }] };
        return renderEscalationCard(profile, { rethink: escalated, history: historyOf([closedRethink('notResolved', 'nextStrategy'), escalated]) });
      },
      rethinkIds: [closedRethink('notResolved', 'escalation').id],
    },
  };
  describeEveryVariant({ ...requestVariants, ...formVariants, ...others });

  it('a form returned with problems names the fields in its notice, and each field says its problem in its label (read out on the field)', () => {
    const card = renderRequestFormCard(profile, {
      requestId: 'r1',
      caseReference: 'PSCP-2026-0042',
      values: { network: 'x'.repeat(600) },
      history: [],
      errors: { requesterContact: 'Please enter how the facilitator can contact you.', network: 'This is 600 characters long; the limit is 500.' },
      notice: 'Please check the 2 fields marked below.',
    });
    expect(texts(card)).toContain('Please check the 2 fields marked below. They are: How the facilitator can contact you; Agencies and professionals involved.');
    expect(input(card, 'requesterContact')?.label).toBe('How the facilitator can contact you (work email or phone). Problem: Please enter how the facilitator can contact you.');
    expect(input(card, 'network')?.label).toMatch(/^Agencies and professionals involved\. Up to 500 characters; no names of children or family members, please\. Problem: This is 600 characters long; the limit is 500\.$/);
    expect(input(card, 'requesterRole')?.label).toBe('Your role');
  });

  it('fits a long history on the card, shortening each Re-think’s line rather than failing', () => {
    const actions = Array.from({ length: 20 }, (_, i) => ({ description: `${i + 1}. ${'Arrange the review and share the notes with everyone in the network. '.repeat(7)}`.slice(0, 500), owner: 'Priya Shah', dueDate: '2026-04-01' }));
    const history = ([1, 2] as const).map((strategy) => ({ rethinkId: `r${strategy}`, strategy, date: '2026-03-01', status: 'closed', outcome: 'notResolved' as const, agencies: ['Children’s social care', 'School'], actions }));
    const card = renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history });
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(checkCard(card).problems).toEqual([]);
    expect(texts(card).filter((t) => t.includes('Strategy 1') || t.includes('Strategy 2')).length).toBeGreaterThanOrEqual(2);
  });

  it('shows every agreed action of an earlier Re-think, with its owner and date, on the pool’s card and the form alike', () => {
    const actions = Array.from({ length: 4 }, (_, i) => ({ description: `Action number ${i + 1}: ${'arrange a joint visit and share the notes with the network '.repeat(2)}`.slice(0, 125), owner: `Owner ${i + 1}`, dueDate: '2027-04-0' + String(i + 1) }));
    const history = [{ rethinkId: 'r2', strategy: 2 as const, date: '2026-03-01', status: 'closed', outcome: 'notResolved' as const, agencies: ['School'], actions }];
    for (const card of [renderRequestCard(profile, { ...request('submitted'), history }, 'pool'), renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history })]) {
      const shown = JSON.stringify(card);
      for (const [i, a] of actions.entries()) {
        expect(shown).toContain(`Action ${i + 1}: ${a.description} (Owner ${i + 1}, by ${i + 1} April 2027)`);
      }
    }
  });

  it('a list of the most requests it shows, each with its button, stays within Teams’ size limit', () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `request-${'x'.repeat(30)}-${i}`, caseReference: `PSCP-2026-${String(1000 + i)}`, status: 'accepted' as const, submittedAt: REQUEST_AT, requesterName: 'Alexandra Wilberforce-Smythe', acceptedBy: 'Adele Vance-Montgomery', urgency: 'soon' }));
    const card = renderRequestListCard(requestListCardData(profile, 'Open requests for an independent facilitator', 'None', items, 'some'));
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(verbs(card).filter((v) => v === 'showRequest')).toHaveLength(30);
  });

  it('an earlier Re-think with more actions than a card can list shows the first and counts the rest, so the form always opens', () => {
    const actions = Array.from({ length: 150 }, (_, i) => ({ description: `Action ${i + 1}: ${'share the notes with everyone in the network '.repeat(10)}`.slice(0, 500), owner: 'Priya Shah', dueDate: '2027-04-01' }));
    const history = ([1, 2] as const).map((strategy) => ({ rethinkId: `r${strategy}`, strategy, date: '2026-03-01', status: 'closed', outcome: 'notResolved' as const, agencies: ['School'], actions }));
    for (const card of [renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history }), renderRequestCard(profile, { ...request('submitted'), history }, 'pool')]) {
      expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
      expect(JSON.stringify(card)).toContain('and 135 more, not shown here.');
    }
  });

  it('a case with many earlier Re-thinks shows the latest on the form, the pool’s card and the escalation card, and counts the earlier ones', () => {
    // Two years of a busy case, in three-byte text: 30 Re-thinks, 15 actions each, long agencies and owners typed in.
    const wide = (text: string, length: number): string => text.padEnd(length, '’').slice(0, length);
    const history = Array.from({ length: 30 }, (_, i) => ({
      rethinkId: `r${i}`,
      strategy: ((i % 2) + 1) as 1 | 2,
      date: `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
      status: 'closed',
      outcome: 'notResolved' as const,
      agencies: Array.from({ length: 12 }, (_, a) => wide(`Agency ${a} `, 80)),
      actions: Array.from({ length: 15 }, (_, a) => ({ description: wide(`Rethink ${i} action ${a + 1} `, 500), owner: wide(`Owner ${a} `, 80), dueDate: '2026-04-01' })),
    }));
    const r = closedRethink('notResolved', 'escalation');
    const reason = wide('Still stuck because ', 500);
    const escalated = { ...r, escalations: [{ stage: 2, stageName: profile.escalationStages[1] ?? 'Line managers', startedBy: r.facilitatorId, startedByName: 'Priya Shah', at: NOW.toISOString(), reason }] };
    const summary = wide('The concern is ', 500);
    const submitted = request('submitted');
    const cards = {
      form: renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: { network: wide('n', 500), concernSummary: summary, availability: wide('a', 500) }, history }),
      pool: renderRequestCard(profile, { ...submitted, form: { ...submitted.form, concernSummary: summary }, history }, 'pool'),
      escalation: renderEscalationCard(profile, { rethink: escalated, history }),
    };
    for (const [name, card] of Object.entries(cards)) {
      const shown = JSON.stringify(card);
      // What was written for this card stays whole: the earlier Re-thinks give way first.
      expect({ name, whole: shown.includes(name === 'escalation' ? reason : summary) }).toEqual({ name, whole: true });
      expect({ name, fits: cardBytes(card) <= MAX_CARD_BYTES, problems: checkCard(card).problems }).toEqual({ name, fits: true, problems: [] });
      // The latest is always there, and the earlier ones are counted rather than silently left off.
      expect(shown).toContain('Rethink 29 action 1 ');
      expect(shown).not.toContain('Rethink 0 action 1 ');
      expect(texts(card).some((t) => /^• \d+ earlier Re-thinks of this case, not shown here to fit the card\. The latest:$/.test(t))).toBe(true);
    }
  });

  it('a short history is shown whole, with no line counting earlier ones', () => {
    const history = historyOf([closedRethink('notResolved', 'nextStrategy')]);
    const card = renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history });
    expect(JSON.stringify(card)).not.toContain('earlier Re-think');
    expect(texts(card).filter((t) => t.startsWith('• '))).toHaveLength(1);
  });

  it('a request asked about again and again, and declined by many, still fits its card, the latest questions shown and the others counted', () => {
    const wide = (text: string, length: number): string => text.padEnd(length, '’').slice(0, length);
    const questions = Array.from({ length: 100 }, (_, i) => ({ id: `q${i}`, askedBy: { id: `29:f${i}`, name: wide(`Facilitator ${i} `, 80) }, text: wide(`Question ${i} `, 500), askedAt: REQUEST_AT, answer: wide(`Answer ${i} `, 500), answeredAt: REQUEST_AT }));
    const declines = Array.from({ length: 100 }, (_, i) => ({ by: { id: `29:d${i}`, name: wide(`Decliner ${i} `, 80), aadObjectId: `d${i}` }, at: REQUEST_AT }));
    const card = renderRequestCard(profile, request('submitted', { questions, declines }), 'pool');
    const shown = JSON.stringify(card);
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(checkCard(card).problems).toEqual([]);
    expect(shown).toContain('Question 99 ');
    expect(shown).not.toContain('Question 0 ');
    expect(shown).toMatch(/\d+ earlier questions, not shown here to fit the card\. The latest:/);
    expect(shown).toContain('Decliner 0 ');
    expect(shown).toMatch(/ and \d+ others/);
  });

  it('asks what was tried instead of the strategies with no Re-think on record, naming them', () => {
    const entry = (strategy: 1 | 2) => ({ rethinkId: `r${strategy}`, strategy, date: '2026-03-01', status: 'closed', outcome: 'notResolved' as const, agencies: [], actions: [] });
    const label = (history: ReturnType<typeof entry>[]) => {
      const card = renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history });
      const field = input(card, 'triedInstead');
      return field ? `${String(field.label)} | ${JSON.stringify(card).includes('including what has been tried')}` : 'none';
    };
    expect(label([])).toBe('No strategy 1 or 2 Re-thinks that you took part in are recorded. What has been tried instead? Please give dates and outcomes. If you are the lead professional, strategy 1 doesn’t apply: just say so. Up to 500 characters; no names of children or family members, please. | true');
    // One listed above as still open is not "none recorded".
    expect(label([{ ...entry(1), status: 'open' }, entry(2)])).toBe('The strategy 1 Re-think above hasn’t been closed. What came of it, and what has been tried instead? Please give dates and outcomes. If you are the lead professional, strategy 1 doesn’t apply: just say so. Up to 500 characters; no names of children or family members, please. | true');
    expect(label([{ ...entry(2), status: 'open' }])).toBe('No strategy 1 Re-think that you took part in is recorded. The strategy 2 Re-think above hasn’t been closed. What came of it, and what has been tried instead? Please give dates and outcomes. If you are the lead professional, strategy 1 doesn’t apply: just say so. Up to 500 characters; no names of children or family members, please. | true');
    expect(label([entry(2)])).toBe('No strategy 1 Re-think that you took part in is recorded. What has been tried instead? Please give dates and outcomes. If you are the lead professional, strategy 1 doesn’t apply: just say so. Up to 500 characters; no names of children or family members, please. | true');
    expect(label([entry(1)])).toBe('No strategy 2 Re-think that you took part in is recorded. What has been tried instead? Please give dates and outcomes. Up to 500 characters; no names of children or family members, please. | true');
    expect(label([entry(1), entry(2)])).toBe('none');
  });

  it('the form holds every field of the request once, with the profile’s choices', () => {
    const card = renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: {}, history: [] });
    const ids = [...nodes(card)].map((n) => n.node).filter((n) => String(n.type).startsWith('Input.')).map((n) => n.id);
    expect([...ids].sort()).toEqual([...FORM_FIELDS].sort());
    expect(JSON.stringify(card)).toContain('Child in need');
  });

  it('leaves off typed text far over its box, and says so; text a little over is kept to be shortened', () => {
    const huge = 'x'.repeat(100_000);
    const cards = {
      start: renderStartCard(startCardData(profile, { ...EMPTY_START_FORM, summary: huge }, 'Too long.')),
      strategy: renderStrategyCard(strategyCardData(profile, proposedRethink(ANSWERS_FOR_STRATEGY[2]), { strategy: '1', reason: huge }, 'Too long.')),
      'request form': renderRequestFormCard(profile, { requestId: 'r1', caseReference: 'PSCP-2026-0042', values: { network: huge }, history: [] }),
      escalation: renderEscalationCard(profile, { rethink: closedRethink('notResolved', 'escalation'), typed: { stage: '1', reason: huge }, notice: 'Too long.' }),
      'request, a meeting date': renderRequestCard(profile, request('accepted'), 'pool', 'Too long.', { meetingDate: huge, question: huge }),
      question: renderQuestionCard(questionCardData(profile, request('accepted', { questions: [{ id: 'q1', askedBy: { id: '29:f', name: 'Adele' }, text: 'Why?', askedAt: REQUEST_AT }] }), 'q1', 'Too long.', huge)!),
    };
    for (const [name, card] of Object.entries(cards)) {
      expect({ name, bytes: cardBytes(card) <= MAX_CARD_BYTES, note: texts(card).includes(TOO_LONG_TO_KEEP), held: JSON.stringify(card).includes('x'.repeat(1000)) }).toEqual({ name, bytes: true, note: true, held: false });
      expect(checkCard(card).problems).toEqual([]);
    }
    const slightly = 'y'.repeat(profile.limits.summaryMaxLength + 1);
    const kept = renderStartCard(startCardData(profile, { ...EMPTY_START_FORM, summary: slightly }, 'Too long.'));
    expect(input(kept, 'summary')?.value).toBe(slightly);
    expect(texts(kept)).not.toContain(TOO_LONG_TO_KEEP);
  });

  it('shows what people typed as it was typed, never as template', () => {
    const card = renderRequestCard(profile, request('submitted', { form: { ...request('submitted').form, network: TRICKY_TEXT } }), 'pool');
    const facts = ofType(card, 'FactSet').flatMap((f) => f.facts as Json[]);
    expect(facts.find((f) => f.title === 'Network')?.value).toBe(TRICKY_TEXT);
  });

  it('offers accept only on the pool’s copy of a submitted request, and withdraw only on the requester’s', () => {
    expect(verbs(renderRequestCard(profile, request('submitted'), 'pool'))).toEqual(expect.arrayContaining(['acceptRequest', 'declineRequest', 'askQuestion']));
    expect(verbs(renderRequestCard(profile, request('submitted'), 'pool'))).not.toContain('withdrawRequest');
    expect(verbs(renderRequestCard(profile, request('submitted'), 'requester'))).toEqual(['withdrawRequest']);
    expect(verbs(renderRequestCard(profile, request('accepted'), 'pool'))).not.toContain('acceptRequest');
    expect(texts(renderRequestCard(profile, request('accepted'), 'pool')).join(' ')).toContain('Accepted by Adele Vance');
    expect(verbs(renderRequestCard(profile, request('completed'), 'pool'))).toEqual([]);
  });
});
