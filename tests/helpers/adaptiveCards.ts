/**
 * Checks expanded Adaptive Cards the way a client would: the `adaptivecards` renderer parses and
 * validates them, and small walkers find actions, verbs and text in the JSON.
 *
 * The package's main entry does not load in Node (see ../shared/stack-notes.md), so its browser
 * bundle is loaded under a jsdom window instead.
 */

interface NodeModule {
  filename: string;
  paths: string[];
  require(id: string): unknown;
}
interface NodeModuleClass {
  new (id: string): NodeModule;
  _nodeModulePaths(dir: string): string[];
}

/**
 * jsdom 29 depends on ES-module-only packages (parse5, @exodus/bytes, ...) that Jest's module
 * loader cannot require on Node 20, while Node's own loader can. A module object made from
 * `node:module` requires through Node's loader, outside Jest's registry; nothing else is mocked or
 * transformed there, and jsdom holds no state the tests share.
 */
function requireJsdomNatively(): typeof Jsdom {
  const NativeModule = Module as unknown as NodeModuleClass;
  const host = new NativeModule(__filename);
  host.filename = __filename;
  host.paths = NativeModule._nodeModulePaths(__dirname);
  return host.require('jsdom') as typeof Jsdom;
}
import Module from 'node:module';
import type * as Jsdom from 'jsdom';
import type * as AdaptiveCardsSdk from 'adaptivecards';

export type Json = Record<string, unknown>;

/** Teams renders schema version 1.5 at most. */
export const TEAMS_SCHEMA_VERSION = '1.5';

let sdk: typeof AdaptiveCardsSdk | undefined;

/** The renderer, loaded once per test file under a jsdom window. */
export function adaptiveCardsSdk(): typeof AdaptiveCardsSdk {
  if (sdk) return sdk;
  const { window } = new (requireJsdomNatively().JSDOM)('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  // The bundle reads the DOM from globals: the window, its document and the DOM classes it
  // checks elements against (HTMLButtonElement, HTMLInputElement, ...).
  const globals = globalThis as Record<string, unknown>;
  const dom = window as unknown as Record<string, unknown>;
  const wanted = (name: string): boolean => /^(HTML\w*Element|Node|Element|Document|DocumentFragment|Text|Event|KeyboardEvent|MouseEvent|navigator|document|getComputedStyle)$/.test(name);
  globals.window ??= window;
  for (const name of Object.getOwnPropertyNames(window).filter(wanted)) globals[name] ??= dom[name];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsSdk;
  // 3.0.x knows Action.Execute; an older bundle would need it registered before parsing.
  if (!loaded.GlobalRegistry.actions.findByName(loaded.ExecuteAction.JsonTypeName)) {
    loaded.GlobalRegistry.actions.register(loaded.ExecuteAction.JsonTypeName, loaded.ExecuteAction, loaded.Versions.v1_4);
  }
  // Teams renders markdown in text; the test renderer shows it as it is, without a warning.
  loaded.AdaptiveCard.onProcessMarkdown = (_text, result) => {
    result.didProcess = false;
  };
  sdk = loaded;
  return loaded;
}

export interface CardCheck {
  /** Parse and validation events, each as `Event: message`. */
  problems: string[];
  /** The card as the renderer understood it. */
  parsed: AdaptiveCardsSdk.AdaptiveCard;
}

/**
 * Parses the card for schema 1.5 and validates it. Every event the renderer raises is returned:
 * unknown or disallowed element and action types, values a 1.5 client does not accept, duplicate
 * input ids, too many actions, inputs without labels and the like. The card is rendered too, so a
 * card the renderer cannot draw fails as well.
 */
export function checkCard(json: object): CardCheck {
  const ac = adaptiveCardsSdk();
  const card = new ac.AdaptiveCard();
  // Parse for the version Teams renders: newer types and property values are then reported.
  const context = new ac.SerializationContext(ac.Versions.v1_5);
  context.targetVersion = ac.Versions.v1_5;
  card.parse(json, context);

  const describe = (e: AdaptiveCardsSdk.IValidationEvent): string => `${ac.ValidationEvent[e.event]}: ${e.message}`;
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    if (event) problems.push(describe(event));
  }
  problems.push(...card.validateProperties().validationEvents.map(describe));
  if (!card.render()) problems.push('Other: the renderer produced nothing');
  return { problems, parsed: card };
}

/** Every object in the JSON tree, depth first, with its path. */
export function* nodes(node: unknown, path = '$'): Generator<{ node: Json; path: string }> {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* nodes(child, `${path}[${i}]`);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  yield { node: node as Json, path };
  for (const [key, child] of Object.entries(node)) yield* nodes(child, `${path}.${key}`);
}

/** Every string in the JSON tree, keys included, with its path. */
export function* strings(node: unknown, path = '$'): Generator<{ value: string; path: string }> {
  if (typeof node === 'string') {
    yield { value: node, path };
    return;
  }
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* strings(child, `${path}[${i}]`);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, child] of Object.entries(node)) {
    yield { value: key, path: `${path} (key)` };
    yield* strings(child, `${path}.${key}`);
  }
}

export const ofType = (card: object, type: string): Json[] => [...nodes(card)].map((n) => n.node).filter((n) => n.type === type);

/** Action.Execute actions anywhere, including fallbacks' owners, show cards and the refresh block. */
export const executeActions = (card: object): Json[] => ofType(card, 'Action.Execute');

/** The verbs offered anywhere on the card (fallbacks excluded: they repeat their action's verb). */
export const verbs = (card: object): string[] => executeActions(card).map((a) => String(a.verb));

/** The text of every TextBlock, in document order. */
export const texts = (card: object): string[] => ofType(card, 'TextBlock').map((t) => String(t.text));

/** An input by its id, anywhere on the card. */
export const input = (card: object, id: string): Json | undefined => [...nodes(card)].map((n) => n.node).find((n) => typeof n.type === 'string' && n.type.startsWith('Input.') && n.id === id);

/** Where `${` survived expansion. */
export const unexpanded = (card: object): string[] => [...strings(card)].filter((s) => s.value.includes('${')).map((s) => `${s.path}: ${s.value}`);

/**
 * True when `shown` is `full`, or the start of it shortened with an ellipsis (see `truncate` in
 * cards/render.ts) that keeps at least `minChars` characters.
 */
export function isSummaryOf(shown: string, full: string, minChars = 20): boolean {
  if (shown === full) return true;
  if (!shown.endsWith('…')) return false;
  const kept = shown.slice(0, -1);
  return kept.length >= Math.min(minChars, full.length) && full.startsWith(kept);
}
