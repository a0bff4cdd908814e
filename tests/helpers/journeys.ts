/** Whole journeys the request tests build on: Re-thinks taken to close, personal chats installed. */
import { AHEAD, execute, installed, message, newGroupChat, type TestConversation, type TestUser } from './activities';
import { cardOf, type Captured, type Connector } from './connector';
import { Driver, START_FORM } from './driver';
import { executeActions, send, type App } from './harness';
import fixtures from '../fixtures/teams-activities.json';

export const personalChat = (user: TestUser): TestConversation => ({ id: `a:personal-${user.aadObjectId}`, conversationType: 'personal' });

/** The person adds the app for themselves: the bot can then message them in their personal chat. */
export async function installPersonally(app: App, connector: Connector, user: TestUser): Promise<void> {
  await send(app, installed({ user, conversation: personalChat(user), serviceUrl: connector.serviceUrl }));
}

/**
 * Teams' answer to a file consent card posted in `user`'s personal chat (fixture: fileConsentAccept),
 * with the upload session at the connector's upload address for `token`.
 */
export function fileConsentAnswer(connector: Connector, user: TestUser, consent: Captured | undefined, action: 'accept' | 'decline', token: string, id: string) {
  const attachment = consent?.activity.attachments?.[0] as { content?: { acceptContext?: Record<string, unknown> } } | undefined;
  return {
    ...structuredClone(fixtures.fileConsentAccept),
    id,
    serviceUrl: connector.serviceUrl,
    from: { ...user },
    conversation: { ...fixtures.fileConsentAccept.conversation, id: personalChat(user).id },
    replyToId: consent?.activityId,
    value: { ...fixtures.fileConsentAccept.value, action, context: attachment?.content?.acceptContext, uploadInfo: { ...fixtures.fileConsentAccept.value.uploadInfo, uploadUrl: connector.uploadUrl(token) } },
  };
}

/** Answers for each strategy (the entry rules of the practice model). */
export const ANSWERS = {
  1: { isLeadProfessional: 'false', raisedWithLeadProfessional: 'false', groupMeetingHeld: 'false' },
  2: { isLeadProfessional: 'false', raisedWithLeadProfessional: 'true', groupMeetingHeld: 'false' },
  3: { isLeadProfessional: 'false', raisedWithLeadProfessional: 'true', groupMeetingHeld: 'true' },
} as const;

export interface Closed {
  rethinkId: string;
  summary: Captured;
}

/** Starts a Re-think with `strategy`, everyone joins and contributes at every stage, and the lead closes it. */
export async function rethinkToClose(
  driver: Driver,
  lead: TestUser,
  others: readonly TestUser[],
  strategy: 1 | 2 | 3,
  outcome: { outcome: string; nextStep?: string },
  caseReference = START_FORM.caseReference,
  answers: Record<string, string> = ANSWERS[strategy],
): Promise<Closed> {
  const { rethinkId } = await driver.start(lead, { ...START_FORM, caseReference, ...answers }, String(strategy));
  for (const p of others) await driver.press(p, 'join', { rethinkId, role: 'Practitioner', agency: `Agency of ${p.name}` });
  for (let stage = 1; stage <= 5; stage++) {
    for (const p of [lead, ...others]) await driver.press(p, 'contribute', { rethinkId, contribution: `${p.name}: view at stage ${stage}`, stage: String(stage) });
    if (stage < 5) await driver.press(lead, 'advance', { rethinkId, confirmed: 'true', stage: String(stage) });
  }
  await driver.press(lead, 'addAction', { rethinkId, actionDescription: `Share the plan (strategy ${strategy})`, actionOwner: lead.id, actionOwnerName: '', actionDue: `${AHEAD}-01-31` });
  const before = driver.connector.posts(driver.conversation.id).length;
  const closed = await driver.press(lead, 'close', { rethinkId, ...outcome });
  if (!closed.card) throw new Error(`The Re-think did not close: ${closed.message ?? ''}`);
  const summary = driver.connector.posts(driver.conversation.id).slice(before).find((p) => JSON.stringify(p.activity).includes('Re-think summary'));
  if (!summary) throw new Error('No summary was posted');
  return { rethinkId, summary };
}

/** The data of the summary card's button with this verb. */
export function buttonData(card: Record<string, unknown>, verb: string): Record<string, unknown> {
  const action = executeActions(card).find((a) => a.verb === verb);
  if (!action) throw new Error(`No ${verb} button on the card`);
  return action.data;
}

/** The latest content of a posted card, following its in-place updates. */
export function latestCard(connector: Connector, conversationId: string, activityId: string): Record<string, unknown> {
  const updates = connector.updates(conversationId).filter((u) => u.activityId === activityId);
  const last = updates.at(-1) ?? connector.posts(conversationId).find((p) => p.activityId === activityId);
  if (!last) throw new Error(`No card ${activityId} in ${conversationId}`);
  return cardOf(last);
}

/** An Action.Execute press from someone in any conversation; resolves with the answer. */
export async function pressIn(app: App, connector: Connector, conversation: TestConversation, user: TestUser, verb: string, data: Record<string, unknown>, replyToId?: string) {
  const { body } = await send(app, execute(verb, data, { user, conversation, serviceUrl: connector.serviceUrl, ...(replyToId ? { replyToId } : {}) }));
  await app.idle();
  const response = body as { type?: string; value?: unknown } | undefined;
  return response?.type === 'application/vnd.microsoft.card.adaptive' ? { card: response.value as Record<string, unknown> } : { message: typeof response?.value === 'string' ? response.value : '' };
}

/** Every field of the request form, filled in as a requester would. */
export const COMPLETE_FORM = {
  requesterRole: 'Health visitor',
  requesterAgency: 'Solent NHS Trust',
  requesterContact: 'alex.wilber@example.nhs.uk',
  lineManagerName: 'Sam Line-Manager',
  managerAgrees: 'yes',
  leadProfessionalName: 'Megan Bowen',
  leadProfessionalAgency: 'Children’s social care',
  tierOfNeed: 'targeted',
  planType: 'childInNeed',
  network: 'Health visiting; children’s social care; school',
  concernCategory: 'drift',
  concernSummary: 'The plan has drifted for three months and agencies disagree about stepping down.',
  triedInstead: '',
  urgency: 'soon',
  preferredFormat: 'virtual',
  availability: 'Tuesdays and Thursdays, mornings',
  familyAware: 'yes',
};

/**
 * `request facilitator <case>` typed in `where`: the form arrives in the requester's personal chat
 * (it shows the case's history). Returns the posted form and its submit button's data.
 */
export async function openRequestForm(app: App, connector: Connector, requester: TestUser, caseReference: string, where: TestConversation = personalChat(requester)) {
  const chat = personalChat(requester);
  const before = connector.posts(chat.id).length;
  await send(app, message(`request facilitator ${caseReference}`, { user: requester, conversation: where, serviceUrl: connector.serviceUrl }));
  await app.idle();
  const formPost = connector.posts(chat.id).slice(before).find((p) => JSON.stringify(p.activity).includes('submitRequest'));
  if (!formPost) throw new Error('No request form reached the personal chat');
  return { formPost, data: buttonData(cardOf(formPost), 'submitRequest') };
}

/** Submits the form from the requester's personal chat; returns the request id and the answer. */
export async function submitForm(app: App, connector: Connector, requester: TestUser, form: { formPost: Captured; data: Record<string, unknown> }, fields: Record<string, string>) {
  const answer = await pressIn(app, connector, personalChat(requester), requester, 'submitRequest', { ...form.data, ...fields }, form.formPost.activityId);
  return { requestId: String(form.data.requestId), answer };
}

/** A Re-think in a group chat of its own, taken to stage `stage` with both people heard at each stage. */
export async function rethinkAtStage(app: App, connector: Connector, lead: TestUser, other: TestUser, stage: number): Promise<{ chat: TestConversation; driver: Driver; rethinkId: string }> {
  const chat = newGroupChat();
  const driver = new Driver(app, connector, chat);
  const { rethinkId } = await driver.start(lead, START_FORM);
  await driver.press(other, 'join', { rethinkId, role: 'Health visitor', agency: 'NHS' });
  for (let s = 1; s < stage; s++) {
    for (const p of [lead, other]) await driver.press(p, 'contribute', { rethinkId, contribution: `${p.name} at stage ${s}`, stage: String(s) });
    await driver.press(lead, 'advance', { rethinkId, confirmed: 'true', stage: String(s) });
  }
  return { chat, driver, rethinkId };
}

/** The reminders posted in a chat: of agreed actions, and of a quiet spell. */
export const remindersIn = (connector: Connector, chat: TestConversation): string[] =>
  connector
    .posts(chat.id)
    .map((p) => p.activity.text ?? '')
    .filter((t) => t.includes('**A reminder of') || t.includes('has had no change'));
