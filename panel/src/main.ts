/**
 * The Re-think side panel (and its meeting-stage view). Inside Teams it signs in with Teams SSO and
 * learns the chat from the Teams context; outside Teams (local use only) it reads `?chatId=` and the
 * server acts as its configured development identity. It polls the Re-think with If-None-Match, so
 * changes made anywhere (card, panel, another instance) appear within a few seconds.
 */
import { app, authentication, meeting } from '@microsoft/teams-js';
import type { PanelView } from '../../services/rethink/panelView';
// The server's own: the date picker offers no day it would refuse as past.
import { ukToday } from '../../services/rethink/validation';
import { setTheme } from './theme';

const POLL_MS = 2_000;
/** After Teams could not sign the person in: asking again every 2 s would only fail again. */
const SIGN_IN_RETRY_MS = 30_000;
/** A panel nobody can see (minimised, another tab): nobody is waiting on it, so it asks less often. */
const HIDDEN_POLL_MS = 15_000;
/**
 * After a poll refused (403) or not answered (5xx, Teams throttling): each such poll may ask Teams who
 * is in the meeting, so the next waits twice as long, up to half a minute, until one is answered.
 */
const BACK_OFF_MAX_MS = 30_000;
const params = new URLSearchParams(location.search);
const root = document.getElementById('app') as HTMLElement;

interface State {
  inTeams: boolean;
  stageView: boolean;
  chatId: string;
  rethinkId?: string;
  etag?: string;
  view?: PanelView;
  /** Shown until the next change: what happened, or what went wrong. */
  message?: { text: string; problem: boolean; confirmAdvanceFrom?: number; waitingForSomeone?: boolean; joinedWhenAsked?: number };
  emptyText?: string;
  /** Where focus goes at the next redraw (see keyOf): when what had it has gone, or `always`. */
  focusNext?: { key: string; always: boolean };
  busy: boolean;
  /** Counts the person's saves: a poll that set out before the latest one must not undo it. */
  saves: number;
  /** The stage the contribution being typed was begun at: text is never filed under a later stage. */
  typingFor?: number;
  /** The meeting the panel is open in: in a channel, which of its meetings' Re-thinks to show. */
  meetingId?: string;
  /** Teams could not sign the person in at the last try. */
  signInFailed?: boolean;
  /** Polls refused or not answered in a row (see BACK_OFF_MAX_MS). */
  failedPolls: number;
  /** Where Teams shows the page: only the meeting's side panel can share to the stage. */
  frameContext?: string;
}

/** Teams SSO failed (no consent yet, sign-in needed again, or the app's sign-in set up wrongly). */
class SignInError extends Error {}

// A stage shared from the panel names its Re-think, so every screen shows the one being discussed.
const sharedId = params.get('rethinkId') ?? undefined;
const state: State = { inTeams: false, stageView: params.get('view') === 'stage', chatId: params.get('chatId') ?? '', busy: false, saves: 0, failedPolls: 0, ...(sharedId ? { rethinkId: sharedId } : {}) };

const SIGN_IN_FAILED = 'Teams couldn’t sign you in to Re-think just now. Meanwhile, you can take part using the Re-think card in the meeting chat. If this keeps happening, please ask your partnership administrator to check Re-think’s sign-in set-up (people from other organisations need their own organisation’s consent).';

async function token(): Promise<string | undefined> {
  if (!state.inTeams) return undefined;
  try {
    const got = await authentication.getAuthToken();
    if (state.signInFailed) {
      // Signed in again: the warning goes (the answer this token brings is drawn as usual).
      state.signInFailed = false;
      if (state.message?.text === SIGN_IN_FAILED) state.message = undefined;
      if (state.emptyText === SIGN_IN_FAILED) state.emptyText = undefined;
    }
    return got;
  } catch {
    throw new SignInError('sign-in failed');
  }
}

async function call(method: 'GET' | 'POST', url: string, body?: object): Promise<Response> {
  const bearer = await token();
  const headers: Record<string, string> = { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
  if (method === 'GET' && state.etag && url.includes('/rethinks/')) headers['if-none-match'] = state.etag;
  return fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
}

const q = (): string => `chatId=${encodeURIComponent(state.chatId)}${state.meetingId ? `&meetingId=${encodeURIComponent(state.meetingId)}` : ''}`;

async function refresh(): Promise<void> {
  // Once the Re-think has closed, watch for the next one (keeping the closed one on screen till then).
  const following = state.rethinkId && (state.view ? state.view.status === 'open' : true);
  const url = following ? `/api/panel/rethinks/${encodeURIComponent(state.rethinkId ?? '')}?${q()}` : `/api/panel/current?${q()}`;
  const saves = state.saves;
  const response = await call('GET', url);
  state.failedPolls = response.status === 403 || response.status === 429 || response.status >= 500 ? state.failedPolls + 1 : 0;
  if (response.status === 304) return;
  const body = (await response.json()) as PanelView & { message?: string };
  // A save made while this was on its way answered with a newer view: keep that one.
  if (saves !== state.saves || state.busy) return;
  // A passing failure (Teams or the store busy) keeps what is on screen, or with nothing on screen yet,
  // says why rather than "Loading" (polls go on); so does no new Re-think yet. The panel switched off
  // (501) is not passing: it is said.
  if (!response.ok && response.status >= 500 && response.status !== 501) {
    if (!state.view && body.message && state.emptyText !== body.message) {
      state.emptyText = body.message;
      render();
    }
    return;
  }
  if (!response.ok && !following && state.view) return;
  if (response.ok) {
    // Another Re-think now (the last one closed, a new one started): what was said about the old one goes.
    if (body.rethinkId !== state.rethinkId) {
      state.message = undefined;
      state.typingFor = undefined;
    }
    // A question about moving on from a stage the group has left is no longer asked.
    if (state.message?.confirmAdvanceFrom !== undefined && state.message.confirmAdvanceFrom !== body.stage) state.message = undefined;
    const moved = movedOn(state.view, body);
    if (moved) {
      // Someone else moved the group on or closed it: said, not only seen (what was said before is out of date).
      state.message = { text: moved, problem: false };
      // Only for someone in the panel whose box may go: focus is never pulled in from elsewhere in Teams.
      if (document.activeElement instanceof HTMLElement && root.contains(document.activeElement)) state.focusNext = { key: '#stage-heading', always: false };
    }
    state.view = body;
    state.rethinkId = body.rethinkId;
    state.etag = response.headers.get('etag') ?? undefined;
    state.emptyText = undefined;
  } else {
    state.view = undefined;
    state.rethinkId = undefined;
    state.etag = undefined;
    state.emptyText = body.message ?? 'Re-think couldn’t load just now. Please close the panel and open it again in a moment.';
  }
  render();
}

/** What someone else's change means for this person, when it moved the stage on or closed the Re-think. */
function movedOn(before: PanelView | undefined, now: PanelView): string | undefined {
  if (!before || before.rethinkId !== now.rethinkId) return undefined;
  const typing = typedIn(['contribution', 'description', 'ownerName']);
  if (before.status === 'open' && now.status !== 'open') return `This Re-think has been closed. Its summary is in the meeting chat.${typing ? ' What you were typing wasn’t saved.' : ''}`;
  if (now.status === 'open' && before.stage !== now.stage) return `The group has moved on to stage ${now.stage} of 5: ${now.stageTitle}.${typing ? ' What you were typing is still in its box.' : ''}`;
  return undefined;
}

/** Something typed in any of these boxes and not saved. */
const typedIn = (ids: readonly string[]): boolean =>
  ids.some((id) => {
    const input = document.getElementById(id);
    return (input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement) && input.value.trim() !== '' && input.value !== input.dataset.saved;
  });

async function act(verb: string, data: Record<string, unknown>): Promise<void> {
  if (!state.rethinkId || state.busy) return;
  state.busy = true;
  state.saves++;
  try {
    const response = await call('POST', `/api/panel/rethinks/${encodeURIComponent(state.rethinkId)}/${verb}?${q()}`, { ...data, requestId: crypto.randomUUID() });
    const body = (await response.json()) as { message?: string; code?: string; joined?: number; view?: PanelView } & Partial<PanelView>;
    // Saved or refused, what was typed for a contribution now belongs to the stage on screen.
    if (verb === 'contribute') state.typingFor = undefined;
    if (response.ok) {
      state.view = body as PanelView;
      state.etag = response.headers.get('etag') ?? undefined;
      state.message = { text: DONE[verb] ?? 'Saved.', problem: false };
      // An action added leaves its form empty for the next one.
      if (verb === 'addAction') for (const id of ACTION_FIELDS) clearTyped(id);
      // The button pressed is gone: focus goes on to what comes next, not back to the top of the page.
      if (verb === 'join') state.focusNext = { key: '#contribution', always: false };
      if (verb === 'advance') state.focusNext = { key: '#stage-heading', always: false };
    } else {
      if (body.view) state.view = body.view;
      state.message = {
        // Far past any limit, the server refuses the body before Re-think reads it, in its own words.
        text:
          response.status === 413
            ? 'That is far too long to save, so it wasn’t saved. Please shorten it and try again: what you typed is still here.'
            : // Busy, asked too often or out of reach: the panel's polls go on, but a press is not sent again by itself.
              response.status >= 500 || response.status === 429
              ? `That wasn’t saved: ${body.message ? `${body.message.replace(/ (The panel will try again|It will try again|Please try again)[^.]*\.$/, '')} ` : ''}Please press it again in a moment; what you typed is still here.`
              : (body.message ?? 'That wasn’t saved. Please try again.'),
        problem: true,
        ...(body.code === 'needsConfirmation' && typeof data.stage === 'number' ? { confirmAdvanceFrom: data.stage, waitingForSomeone: (body.waitingFor ?? []).length > 0, joinedWhenAsked: body.joined ?? 0 } : {}),
      };
      // Asked to confirm: the answer button, where the question is.
      if (body.code === 'needsConfirmation') state.focusNext = { key: `button:${confirmLabel(state.message.waitingForSomeone === true)}`, always: true };
    }
  } catch {
    state.message = { text: 'Re-think couldn’t be reached, so that wasn’t saved. Please try again.', problem: true };
  } finally {
    state.busy = false;
    pressesAnswered++;
    render();
  }
}

const ACTION_FIELDS = ['description', 'owner', 'ownerName', 'dueDate'];


function clearTyped(id: string): void {
  const input = document.getElementById(id);
  if (input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement || input instanceof HTMLSelectElement) input.value = input.dataset.saved ?? '';
}

const confirmLabel = (waitingForSomeone: boolean): string => (waitingForSomeone ? 'Move on without them' : 'Move on anyway');

const DONE: Record<string, string> = {
  join: 'You have joined. Add your contribution when you are ready.',
  contribute: 'Your contribution is saved. You can edit it until the group moves on.',
  advance: 'The group has moved on.',
  addAction: 'The action is added.',
};

// ---- Rendering: text is always set as text, never as HTML ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, children: (Node | string)[] = []): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

function field(id: string, label: string, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement): HTMLElement {
  control.id = id;
  // What the server holds: anything else in the box is the person's own typing, kept across updates.
  control.dataset.saved = control.value;
  return el('div', {}, [el('label', { htmlFor: id, textContent: label }), control]);
}

function form(onSubmit: (data: FormData) => void, children: Node[], submitLabel: string): HTMLFormElement {
  const f = el('form', {}, [...children, el('button', { type: 'submit', textContent: submitLabel })]);
  f.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(new FormData(f));
  });
  return f;
}

const value = (data: FormData, key: string): string => String(data.get(key) ?? '');

/** What names an element across redraws: its id, or a button's or an earlier stage's own words. */
function keyOf(node: Element): string {
  if (node.id) return `#${node.id}`;
  if (node instanceof HTMLButtonElement) return `button:${node.textContent ?? ''}`;
  if (node instanceof HTMLDetailsElement) return `details:${node.querySelector('summary')?.textContent ?? ''}`;
  // An earlier stage's heading, where a keyboard user opens and closes it.
  if (node.tagName === 'SUMMARY') return `summary:${node.textContent ?? ''}`;
  return '';
}

/**
 * Re-rendering after a poll keeps what people are typing, where they are typing it (the caret too),
 * the button they are on and the earlier stages they have opened.
 */
function render(): void {
  const typed = new Map<string, string>();
  for (const input of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('input[id], textarea[id], select[id]')) {
    if (input.dataset.saved !== input.value) typed.set(input.id, input.value);
  }
  const active = document.activeElement instanceof HTMLElement && root.contains(document.activeElement) ? document.activeElement : undefined;
  const focused = active ? keyOf(active) : '';
  const caret = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : undefined;
  const opened = new Set([...root.querySelectorAll('details[open]')].map(keyOf));
  const fresh = content();
  // The form being typed in, unchanged, stays as it is: focus isn't moved, so a screen reader doesn't speak again.
  const kept = active ? keptInPlace(active, fresh) : undefined;
  if (!kept) root.replaceChildren(...fresh);
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if ((input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement || input instanceof HTMLSelectElement) && input.value !== value) input.value = value;
  }
  for (const details of root.querySelectorAll('details')) if (opened.has(keyOf(details))) details.open = true;
  const next = state.focusNext;
  state.focusNext = undefined;
  const find = (key: string) => [...root.querySelectorAll<HTMLElement>('[id], button, details, summary')].find((node) => keyOf(node) === key);
  if (kept) {
    if (next?.always) find(next.key)?.focus();
  } else if (focused || next) {
    const again = (next?.always ? find(next.key) : undefined) ?? (focused ? find(focused) : undefined) ?? (next ? find(next.key) : undefined);
    again?.focus();
    // Only boxes that have a caret: a date field has none (and setting one throws).
    if (caret?.[0] != null && (again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement)) {
      try {
        again.setSelectionRange(caret[0], caret[1] ?? caret[0]);
      } catch {
        // A field without a caret after all: focus is enough.
      }
    }
  }
  announce(state.message?.text ?? (state.view ? '' : (state.emptyText ?? '')));
}

/**
 * When the form holding the focused control comes out of the redraw the same (the same HTML: the
 * same fields, labels and saved values), the old form stays in the page and everything around it is
 * replaced: each of its ancestors is kept in place with the new siblings put around it. Nothing
 * that holds focus is taken out, so focus, caret and typing are untouched. Otherwise `undefined`.
 */
function keptInPlace(active: HTMLElement, fresh: Node[]): HTMLFormElement | undefined {
  const oldForm = active.closest('form');
  const key = keyOf(active);
  if (!oldForm || !key) return undefined;
  const twin = fresh.flatMap((node) => (node instanceof Element ? [node, ...node.querySelectorAll('*')] : [])).find((node) => node instanceof HTMLElement && keyOf(node) === key);
  const newForm = twin?.closest('form');
  if (!newForm || newForm.outerHTML !== oldForm.outerHTML) return undefined;
  const pathOf = (from: Element, top: (node: Element) => boolean): Element[] => {
    const path: Element[] = [];
    for (let node: Element | null = from; node && !top(node); node = node.parentElement) path.unshift(node);
    return path;
  };
  const oldPath = pathOf(oldForm, (node) => node === root);
  const newPath = pathOf(newForm, () => false);
  if (oldPath.length !== newPath.length || oldPath.some((node, i) => node.tagName !== newPath[i]?.tagName) || !fresh.includes(newPath[0] as Node)) return undefined;
  let parent: Element = root;
  let siblings: Node[] = fresh;
  oldPath.forEach((keep, i) => {
    const replaced = newPath[i] as Element;
    const at = siblings.indexOf(replaced);
    for (const child of [...parent.childNodes]) if (child !== keep) child.remove();
    for (const node of siblings.slice(0, at)) parent.insertBefore(node, keep);
    parent.append(...siblings.slice(at + 1));
    if (keep === oldForm) return;
    for (const { name } of [...keep.attributes]) if (!replaced.hasAttribute(name)) keep.removeAttribute(name);
    for (const { name, value: attribute } of [...replaced.attributes]) keep.setAttribute(name, attribute);
    parent = keep;
    siblings = [...replaced.childNodes];
  });
  return oldForm;
}

/** Each press's outcome is said, even in the same words as the last one's. */
let pressesAnswered = 0;
let announced = { text: '', press: 0 };

/** Puts a new message in the one live region: said once when it changes, not at every redraw. */
function announce(text: string): void {
  const status = document.getElementById('panel-status');
  if (!status) return;
  const sayAgain = text !== '' && text === announced.text && pressesAnswered !== announced.press;
  announced = { text, press: pressesAnswered };
  if (sayAgain) {
    // The same words as last time: emptied, then put back a moment later, so screen readers hear them.
    status.textContent = '';
    setTimeout(() => {
      if (announced.text === text) status.textContent = text;
    }, 150);
  } else if (status.textContent !== text) status.textContent = text;
}

function content(): Node[] {
  const nodes: Node[] = [];
  const v = state.view;
  // Only where the app answered without Teams: that is its local development mode, not a deployment.
  if (!state.inTeams && v) nodes.push(el('p', { className: 'banner', textContent: 'Development mode: this page is not running in Teams. It acts as the development identity set in the app’s configuration.' }));
  if (!v) {
    nodes.push(el('h1', { textContent: 'Re-think' }), el('p', { textContent: state.emptyText ?? 'Loading the Re-think…' }));
    return nodes;
  }
  document.body.classList.toggle('big', state.stageView);
  nodes.push(
    el('h1', { textContent: `Re-think · case ${v.caseReference}` }),
    el('p', { className: 'muted', textContent: v.strategy }),
    el('section', { className: 'stage', ariaLabel: 'Current stage' }, [
      el('h2', { id: 'stage-heading', tabIndex: -1, textContent: v.status === 'open' ? `Stage ${v.stage} of 5: ${v.stageTitle}` : 'This Re-think is closed' }),
      el('p', { className: 'prompt', textContent: v.status === 'open' ? v.prompt : 'Its summary is in the meeting chat.' }),
    ]),
  );
  if (state.message) nodes.push(el('p', { className: state.message.problem ? 'message problem' : 'message', textContent: state.message.text }));
  // The confirmation is for the stage it was asked about: if the group has moved on since, it is gone.
  const confirmFrom = state.message?.confirmAdvanceFrom;
  const joinedWhenAsked = state.message?.joinedWhenAsked ?? 0;
  if (confirmFrom !== undefined && confirmFrom === v.stage) {
    const yes = el('button', { type: 'button', textContent: confirmLabel(state.message?.waitingForSomeone === true) });
    yes.addEventListener('click', () => void act('advance', { confirmed: true, stage: confirmFrom, joined: joinedWhenAsked }));
    // As on the card: waiting is an answer too, and the question goes.
    const wait = el('button', { type: 'button', className: 'secondary', textContent: state.message?.waitingForSomeone === true ? 'Wait for them' : 'Not yet' });
    wait.addEventListener('click', () => {
      pressesAnswered++;
      state.message = { text: 'The group stays at this stage for now.', problem: false };
      state.focusNext = { key: '#stage-heading', always: true };
      render();
    });
    nodes.push(yes, wait);
  }
  nodes.push(el('h2', { textContent: 'Contributions to this stage' }));
  nodes.push(
    v.contributions.length
      ? el('ul', {}, v.contributions.map((c) => el('li', {}, [el('strong', { textContent: `${c.who}: ` }), c.text])))
      : el('p', { className: 'muted', textContent: v.hiddenCount ? 'No contributions to show yet.' : 'No contributions yet.' }),
  );
  if (v.hiddenCount) nodes.push(el('p', { className: 'muted', textContent: `${v.hiddenCount === 1 ? 'One contribution is' : `${v.hiddenCount} contributions are`} hidden until the facilitator moves on: this Re-think reveals each stage together.` }));
  if (state.stageView) {
    // Revealed together as the group moved on: the shared stage shows what was just revealed, which
    // now belongs to the stage before.
    const revealed = v.revealsTogether ? v.earlierStages.at(-1) : undefined;
    if (revealed) {
      nodes.push(el('h2', { textContent: `Revealed when the group moved on: stage ${revealed.stage}, ${revealed.title}` }));
      nodes.push(revealed.contributions.length ? el('ul', {}, revealed.contributions.map((c) => el('li', {}, [el('strong', { textContent: `${c.who}: ` }), c.text]))) : el('p', { className: 'muted', textContent: 'No contributions were made at that stage.' }));
    }
    return nodes;
  }

  nodes.push(el('h2', { textContent: 'Taking part' }));
  const progress = (p: PanelView['participants'][number]): string => (p.independent ? 'facilitating' : p.contributed ? 'has contributed' : 'still to contribute');
  nodes.push(el('ul', {}, v.participants.map((p) => el('li', { className: p.contributed && !p.independent ? 'done' : '' }, [`${p.name} · ${p.role}, ${p.agency}${p.facilitator ? ' (facilitator)' : ''}${p.external ? ' (by phone or face to face)' : ''} · ${progress(p)}`]))));
  for (const earlier of v.earlierStages) {
    nodes.push(el('details', {}, [el('summary', { textContent: `Stage ${earlier.stage}: ${earlier.title}` }), el('ul', {}, earlier.contributions.map((c) => el('li', {}, [el('strong', { textContent: `${c.who}: ` }), c.text])))]));
  }
  if (v.actions.length || v.isActionsStage) {
    nodes.push(el('h2', { textContent: 'Agreed actions' }));
    nodes.push(v.actions.length ? el('ul', {}, v.actions.map((a) => el('li', { textContent: `${a.description}: ${a.owner}, due ${a.due}` }))) : el('p', { className: 'muted', textContent: 'No actions yet.' }));
  }
  if (v.status !== 'open') return nodes;
  nodes.push(el('p', { className: 'muted', textContent: v.privacyReminder }));
  if (!v.me.joined) {
    nodes.push(
      el('h2', { textContent: 'Join this Re-think' }),
      form(
        (d) => void act('join', { role: value(d, 'role'), agency: value(d, 'agency') }),
        [field('role', 'Your role', withAutocomplete(el('input', { name: 'role', required: true }), 'organization-title')), field('agency', 'Your agency', withAutocomplete(el('input', { name: 'agency', required: true }), 'organization'))],
        'Join',
      ),
    );
  } else {
    nodes.push(
      el('h2', { textContent: v.me.contribution ? 'Your contribution (you can edit it)' : 'Your contribution' }),
      // Sent with the stage it was begun at: if the group has moved on meanwhile, the server says so and nothing is filed under the wrong stage.
      form((d) => void act('contribute', { contribution: value(d, 'contribution'), stage: state.typingFor ?? v.stage }), [field('contribution', `Your view on: ${v.stageTitle} (${upTo(v.limits?.contribution)}no names, please: roles and agencies only)`, contributionBox(v))], 'Save my contribution'),
    );
    if (v.isActionsStage) {
      nodes.push(
        el('h2', { textContent: 'Add an action' }),
        form(
          (d) => void act('addAction', { description: value(d, 'description'), owner: value(d, 'owner'), ownerName: value(d, 'owner') === OUTSIDE_TEAMS ? value(d, 'ownerName') : '', dueDate: value(d, 'dueDate') }),
          [
            field('description', `What needs to happen (${upTo(v.limits?.action)}no names of children or family members, please)`, el('textarea', { name: 'description', required: true, rows: 2 })),
            field('owner', 'Who owns it', ownerChoice(v)),
            field('ownerName', 'Or someone outside Teams: their name and role (for a parent or carer, “parent” or “carer”, not their name)', el('input', { name: 'ownerName' })),
            field('dueDate', 'Due by', el('input', { name: 'dueDate', type: 'date', required: true, min: ukToday(new Date()) })),
          ],
          'Add the action',
        ),
      );
    }
  }
  if (v.me.mayFacilitate) nodes.push(...facilitatorControls(v));
  return nodes;
}

/** A box's limit, as the card says it; none from an instance older than the page (during a deployment). */
const upTo = (limit: number | undefined): string => (limit ? `up to ${limit.toLocaleString('en-GB')} characters; ` : '');

/** Their own job title and organisation: a browser (or assistive tool) may fill them in (WCAG 1.3.5). */
function withAutocomplete(input: HTMLInputElement, purpose: string): HTMLInputElement {
  input.setAttribute('autocomplete', purpose);
  return input;
}

/** The card's own value for an owner outside Teams, typed below. */
const OUTSIDE_TEAMS = '__external';

/** Those taking part in Teams (you first), or someone outside Teams, as on the card. */
function ownerChoice(v: PanelView): HTMLSelectElement {
  const owners = [...v.owners.filter((o) => o.id === v.me.id), ...v.owners.filter((o) => o.id !== v.me.id)];
  return el('select', { name: 'owner' }, [...owners.map((o) => el('option', { value: o.id, textContent: o.label })), el('option', { value: OUTSIDE_TEAMS, textContent: 'Someone outside Teams (type who below)' })]);
}

function contributionBox(v: PanelView): HTMLTextAreaElement {
  const box = el('textarea', { name: 'contribution', value: v.me.contribution, required: true });
  box.addEventListener('input', () => {
    if (box.value === box.dataset.saved) state.typingFor = undefined;
    else state.typingFor ??= v.stage;
  });
  return box;
}

function facilitatorControls(v: PanelView): Node[] {
  const nodes: Node[] = [el('h2', { textContent: 'Facilitator' })];
  if (v.waitingFor.length) nodes.push(el('p', { textContent: `Still to contribute: ${v.waitingFor.join(', ')}.` }));
  // The panel keeps to what everyone does; the rest is on the card.
  // Strategy 3 stays with its independent facilitator: it isn't handed over.
  const handedOver = v.participants.some((p) => p.independent) ? '' : ', or to hand over facilitation';
  nodes.push(el('p', { className: 'muted', textContent: `To record what someone taking part by phone or face to face said${v.isActionsStage ? ', or to record the outcome and close the Re-think' : handedOver}, use the Re-think card in the meeting chat.` }));
  if (v.stage < 5) {
    const next = el('button', { type: 'button', textContent: v.nextStageTitle ? `Move to stage ${v.stage + 1}: ${v.nextStageTitle}` : `Move to stage ${v.stage + 1}` });
    next.addEventListener('click', () => void act('advance', { confirmed: false, stage: v.stage }));
    nodes.push(next);
  }
  if (state.inTeams && state.frameContext === 'sidePanel') {
    const share = el('button', { type: 'button', className: 'secondary', textContent: 'Share this stage to the meeting' });
    share.addEventListener('click', () => {
      const url = `${location.origin}/panel/?view=stage&rethinkId=${encodeURIComponent(v.rethinkId)}`;
      meeting.shareAppContentToStage((error) => {
        pressesAnswered++;
        state.message = error ? { text: 'The stage couldn’t be shared just now. Please try again, or share your screen instead.', problem: true } : { text: 'The current stage is now shown to everyone in the meeting.', problem: false };
        render();
      }, url);
    });
    nodes.push(share);
  }
  return nodes;
}

async function start(): Promise<void> {
  try {
    // Teams shows the page in a frame, or on mobile in its own webview (which teams-js reaches
    // through window.nativeInterface or window.opener). A page with none of these is not in Teams,
    // and initialising would never finish; otherwise a slow Teams client is given time.
    const hosted = window.parent !== window || window.opener !== null || 'nativeInterface' in window;
    if (!hosted) throw new Error('not in Teams');
    await Promise.race([app.initialize(), new Promise((_, reject) => setTimeout(() => reject(new Error('not in Teams')), 10_000))]);
    const context = await app.getContext();
    state.inTeams = true;
    state.chatId = context.chat?.id ?? context.channel?.id ?? state.chatId;
    state.meetingId = context.meeting?.id;
    state.frameContext = context.page.frameContext;
    state.stageView ||= context.page.frameContext === 'meetingStage';
    setTheme(context.app.theme);
    app.registerOnThemeChangeHandler(setTheme);
  } catch {
    state.inTeams = false;
    setTheme(params.get('theme') ?? undefined);
  }
  if (!state.chatId) {
    state.emptyText = 'Please open Re-think from a Teams meeting.';
    render();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  const poll = async (): Promise<void> => {
    // One loop only: a poll already under way schedules the next itself.
    if (polling) return;
    polling = true;
    clearTimeout(timer);
    try {
      if (!state.busy) await refresh();
    } catch (error) {
      // Offline for a moment: the next poll tries again. Sign-in failing is said, and asked again less often.
      if (error instanceof SignInError && !state.signInFailed) {
        state.signInFailed = true;
        if (state.view) state.message = { text: SIGN_IN_FAILED, problem: true };
        else state.emptyText = SIGN_IN_FAILED;
        try {
          render();
        } catch {
          // Drawn at the next poll.
        }
      }
    } finally {
      polling = false;
      const backOff = state.failedPolls > 0 ? Math.min(BACK_OFF_MAX_MS, POLL_MS * 2 ** state.failedPolls) : 0;
      timer = setTimeout(() => void poll(), state.signInFailed ? SIGN_IN_RETRY_MS : Math.max(backOff, document.visibilityState === 'hidden' ? HIDDEN_POLL_MS : POLL_MS));
    }
  };
  // Shown again: up to date at once, then every 2 s, not at the end of a slow wait.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void poll();
  });
  await poll();
}

void start();
