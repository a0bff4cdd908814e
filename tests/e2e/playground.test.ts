/**
 * A whole Re-think, start to close, by two people in the Agents Playground's group chat: the real
 * playground process talks to the real app (restify, CloudAdapter, embedded Cosmos) over HTTP, and
 * the test presses the buttons on the cards the playground holds, as each person would.
 *
 * Alex (the playground's current user) types `start` and facilitates; Megan (another member of
 * the group chat) joins from the card. Only the current user can type in the playground, but any
 * member of the chat can press a card's buttons, which is all Megan needs.
 */
import { START_FORM } from '../helpers/driver';
import { executeActions, cardText, startApp, startStore, storeReader, type App, type StoreReader } from '../helpers/harness';
import { cardsOf, startPlayground, type InvokeResponse, type Playground, type PlaygroundUser, type StreamEvent } from '../helpers/playground';
import { loadProfile } from '../../services/profile/load';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { ukToday } from '../../services/rethink/validation';
import type { EmbeddedCosmos } from '../../services/store/embedded';

type Card = Record<string, unknown>;

const CARD = 'application/vnd.microsoft.card.adaptive';
const CASE = 'PSCP-2026-0042';
const profile = loadProfile(DEFAULT_PROFILE_PATH);
const stageTitle = (n: number): string => profile.stages[n - 1]?.title ?? `missing stage ${n}`;

jest.setTimeout(60_000);

describe('a Re-think in the Agents Playground, by two people in a group chat', () => {
  let store: EmbeddedCosmos | undefined;
  let app: App | undefined;
  let playground: Playground | undefined;
  let reader: StoreReader | undefined;

  beforeAll(async () => {
    store = await startStore();
    app = await startApp(store.endpoint);
    playground = await startPlayground({ botEndpoint: `${app.url}/api/messages` });
    reader = storeReader(store.endpoint);
  }, 45_000);

  afterAll(async () => {
    // Each step runs even if one before it fails, so nothing is left running.
    await playground?.stop().catch((error) => console.error('stopping the playground:', error));
    reader?.dispose();
    await app?.stop().catch((error) => console.error('stopping the app:', error));
    await store?.stop().catch((error) => console.error('stopping the store:', error));
  }, 20_000);

  it('runs from start to a resolved close, with the summary posted to the chat', async () => {
    const pg = playground as Playground;
    const { config } = pg;
    const chat = config.groupChats[0];
    if (!chat) throw new Error('The playground has no group chat');
    const alex: PlaygroundUser = config.currentUser;
    const megan = config.users.find((u) => chat.members.includes(u.id) && u.id !== alex.id);
    if (!megan) throw new Error('The group chat has no second member');
    const fromBot = (e: StreamEvent) => e.actionConversationId === chat.id && e.message?.from.id === config.bot.id;
    const cardWith = (e: StreamEvent, text: string) => cardsOf(e).some((c) => cardText(c).includes(text));

    // The card a person sees after pressing a button (the invoke response), which must be a card.
    const asCard = (response: InvokeResponse, what: string): Card => {
      if (response.type !== CARD) throw new Error(`${what}: expected a card, got ${response.type}: ${JSON.stringify(response.value)}`);
      return response.value as Card;
    };

    let cardMessageId = '';
    /** Presses the button with this verb on the card this person sees, with what they typed. */
    const press = async (who: PlaygroundUser, card: Card, verb: string, inputs: Record<string, unknown> = {}, titleStarts = ''): Promise<Card> => {
      const action = executeActions(card).find((a) => a.verb === verb && a.title.startsWith(titleStarts));
      if (!action) throw new Error(`${who.name} has no "${verb}${titleStarts ? ` ${titleStarts}…` : ''}" button. The card offers: ${executeActions(card).map((a) => `${a.verb} (${a.title})`).join(', ')}`);
      const response = await pg.execute({ conversationId: chat.id, from: who.id, replyToId: cardMessageId, verb, data: { ...action.data, ...inputs } });
      return asCard(response, `${who.name} pressed ${verb}`);
    };
    /** What Teams does when a participant looks at the card: fetch their own view of it. */
    const viewOf = async (who: PlaygroundUser, card: Card): Promise<Card> => press(who, card, 'refresh');

    // 1. Alex types "start" (with the bot @mentioned, as a group chat needs): the start form arrives.
    let since = pg.mark();
    await pg.sendMessage(chat.id, 'start');
    const startEvent = await pg.waitFor((e) => e.action === 'createMessage' && fromBot(e) && cardWith(e, 'Start a Re-think'), { since });
    cardMessageId = startEvent.message?.messageId ?? '';
    const startCard = cardsOf(startEvent)[0] as Card;
    expect(executeActions(startCard).map((a) => a.verb)).toContain('startRethink');

    // 2. Alex fills it in as the lead professional: strategy 2 is recommended.
    const strategyCard = await press(alex, startCard, 'startRethink', {
      ...START_FORM,
      caseReference: CASE,
      concernCategory: 'progress',
      summary: 'Progress on the plan has stalled and the agencies see the next step differently.',
    });
    expect(cardText(strategyCard)).toContain(profile.strategies[1]?.title);
    expect(cardText(strategyCard)).toContain('You are the lead professional');
    const rethinkId = String(executeActions(strategyCard).find((a) => a.verb === 'confirmStrategy')?.data.rethinkId ?? '');
    expect(rethinkId).not.toBe('');

    // 3. Alex confirms strategy 2: the card becomes the Re-think card at stage 1, for everyone.
    since = pg.mark();
    let alexView = await press(alex, strategyCard, 'confirmStrategy', { strategy: '2', strategyReason: '' });
    expect(cardText(alexView)).toContain(`Stage 1 of 5: ${stageTitle(1)}`);
    expect(cardText(alexView)).toContain('In progress');
    await pg.waitFor((e) => e.action === 'updateMessage' && e.message?.messageId === cardMessageId && cardWith(e, `Stage 1 of 5: ${stageTitle(1)}`), { since });

    // 4. Both take part: Alex joined by starting it (no Join for Alex, only a correction of role or agency); Megan joins from her view.
    alexView = await viewOf(alex, alexView);
    expect(cardText(alexView)).not.toContain('Join this Re-think');
    expect(cardText(alexView)).toContain('Update your role or agency');
    let meganView = await viewOf(megan, alexView);
    expect(cardText(meganView)).toContain('Join this Re-think');
    meganView = await press(megan, meganView, 'join', { role: 'Health visitor', agency: 'Health' });
    expect(cardText(meganView)).toContain('You have joined');
    expect(cardText(meganView)).toContain(`${megan.name} · Health visitor, Health`);

    // 5. Five stages: each contributes, then Alex (facilitating) moves the group on.
    for (let stage = 1; stage <= 5; stage++) {
      const title = `Stage ${stage} of 5: ${stageTitle(stage)}`;
      alexView = await viewOf(alex, alexView);
      meganView = await viewOf(megan, meganView);
      expect(cardText(alexView)).toContain(title);
      expect(cardText(meganView)).toContain(title);

      alexView = await press(alex, alexView, 'contribute', { contribution: `Alex, stage ${stage}: how it looks from children’s social care.` });
      expect(cardText(alexView)).toContain('Your contribution is saved');
      meganView = await press(megan, meganView, 'contribute', { contribution: `Megan, stage ${stage}: how it looks from health.` });
      expect(cardText(meganView)).toContain('Your contribution is saved');
      expect(cardText(meganView)).toContain('Everyone taking part has contributed to this stage.');
      // Only the facilitator may move the group on.
      expect(executeActions(meganView).map((a) => a.verb)).not.toContain('advance');

      if (stage < 5) {
        alexView = await viewOf(alex, alexView);
        since = pg.mark();
        alexView = await press(alex, alexView, 'advance', {}, 'Move to stage');
        const next = `Stage ${stage + 1} of 5: ${stageTitle(stage + 1)}`;
        expect(cardText(alexView)).toContain(`The group has moved on to stage ${stage + 1}.`);
        expect(cardText(alexView)).toContain(next);
        // Everyone's copy of the card is updated in place.
        await pg.waitFor((e) => e.action === 'updateMessage' && e.message?.messageId === cardMessageId && cardWith(e, next), { since });
      }
    }

    // 6. At stage 5 Alex agrees an action, owned by Megan.
    const due = ukToday(new Date(Date.now() + 14 * 86_400_000));
    const actionDescription = 'Share the updated health plan with the team around the family';
    alexView = await press(alex, alexView, 'addAction', { actionDescription, actionOwner: megan.id, actionOwnerName: '', actionDue: due });
    expect(cardText(alexView)).toContain('The action is added.');
    expect(cardText(alexView)).toContain(actionDescription);

    // 7. Alex records the outcome: resolved. The summary is posted to the chat.
    since = pg.mark();
    alexView = await press(alex, alexView, 'close', { outcome: 'resolved', nextStep: '' });
    expect(cardText(alexView)).toContain('the Re-think is closed');
    expect(cardText(alexView)).toContain('Closed');
    expect(cardText(alexView)).toContain('Outcome: Resolved');
    expect(executeActions(alexView).map((a) => a.verb)).not.toContain('contribute');

    const summaryEvent = await pg.waitFor((e) => e.action === 'createMessage' && fromBot(e) && cardWith(e, `Re-think summary · case ${CASE}`), { since });
    const summary = cardText(cardsOf(summaryEvent)[0]);
    for (let stage = 1; stage <= 5; stage++) {
      expect(summary).toContain(`Stage ${stage}: ${stageTitle(stage)}`);
      expect(summary).toContain(`Alex, stage ${stage}:`);
      expect(summary).toContain(`Megan, stage ${stage}:`);
    }
    expect(summary).not.toContain('No contributions were recorded at this stage.');
    expect(summary).toContain(`${alex.name} · Social worker, Children’s social care`);
    expect(summary).toContain(`${megan.name} · Health visitor, Health`);
    expect(summary).toContain(`${actionDescription}: ${megan.name}, by`);
    expect(summary).toContain('Outcome: Resolved');
    // The shared card shows it closed too.
    await pg.waitFor((e) => e.action === 'updateMessage' && e.message?.messageId === cardMessageId && cardWith(e, 'Outcome: Resolved'), { since });

    // 8. What Cosmos holds.
    const saved = await (reader as StoreReader).rethink(chat.id, rethinkId);
    expect(saved).toBeDefined();
    if (!saved) return;
    expect(saved).toMatchObject({ status: 'closed', conversationKind: 'groupChat', caseReference: CASE, strategy: 2, stage: 5, facilitatorId: alex.id, cardActivityId: cardMessageId });
    // Every reply went to this machine's playground, by address.
    expect(saved.serviceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_connector/);
    expect(saved.participants.map((p) => [p.id, p.name, p.aadObjectId])).toEqual([
      [alex.id, alex.name, alex.aadObjectId],
      [megan.id, megan.name, megan.aadObjectId],
    ]);
    expect(saved.contributions).toHaveLength(10);
    for (let stage = 1; stage <= 5; stage++) {
      expect(saved.contributions.filter((c) => c.stage === stage).map((c) => c.participantId).sort()).toEqual([alex.id, megan.id].sort());
    }
    expect(saved.actions).toHaveLength(1);
    expect(saved.actions[0]).toMatchObject({ description: actionDescription, owner: { participantId: megan.id, name: megan.name }, dueDate: due, addedBy: alex.id });
    expect(saved.outcome).toMatchObject({ kind: 'resolved', recordedBy: alex.id });
  });
});
