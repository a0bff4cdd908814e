/**
 * Runs the Microsoft 365 Agents Playground (the `agentsplayground` CLI) as a child process against
 * the app and drives it without a browser, through the same HTTP and WebSocket API its web client
 * uses. Everything stays on this machine: the playground listens on a free local port, calls the
 * bot at the endpoint it is given, and the bot answers to its `/_connector` service URL.
 *
 * What the playground's API looks like (0.2.28, read from its bundled server and tried):
 * - `GET /_internal/v1/testConfig`: the mock tenant at once (used here to know it is up).
 * - `GET /_internal/v1/config`: the same, after waiting (up to 15 s) for the bot endpoint to answer:
 *   `{ config: { tenantId, bot: {id, name}, currentUser, users[], personalChat: {id, name},
 *   groupChats: [{id, name, members[]}], teams: [{id, name, aadGroupId, channels[], members[]}] },
 *   internalConfig: { locale, localTimezone, channelId, debugConfig } }`. A chat's or channel's id
 *   is also its conversation id; the group chat's members are the `users` plus `currentUser`.
 * - `POST /_conversation/v1/conversations/{conversationId}/messages` with
 *   `{ from: {id}, text, textFormat: 'plain'|'markdown'|'xml', mentions?: [{ mentioned: {id}, text }] }`
 *   answers `{ messageId, timestamp }` and then sends the bot a message activity. Outside personal
 *   chat the bot only hears it when it is @mentioned. The activity always comes from `currentUser`:
 *   `from` is only checked for membership, so only the current user can type.
 * - `POST /_conversation/v1/invoke` with `{ name: 'adaptiveCard/action', from: {id}, conversation:
 *   {id}, replyToId, value: { action: { type: 'Action.Execute', verb, data }, trigger } }` sends the
 *   bot an invoke from `from` (any member of the conversation) and answers the bot's invoke
 *   response `{ type, value }`; the card in `replyToId` is replaced by `value`.
 * - `POST /_conversation/v1/submit` with `{ conversation: {id}, from: {id}, replyToId, value }`
 *   answers 200 with no body, then sends the bot an Action.Submit message from `from`.
 * - Errors answer 4xx/5xx with `{ code, message }`, e.g. 400 `{ code: 'UserNotFound' }` for a `from`
 *   who is not in the conversation, 400 `{ code: 'BadArgument' }` for a body of the wrong shape.
 * - `ws://…/_ws_conversation/v1/conversations/stream` pushes what the bot does:
 *   `{ action: 'createMessage'|'updateMessage', actionConversationId, message: { messageId,
 *   timestamp, from: {id}, text?, attachments: [{contentType, content}], … } }`, and
 *   `{ action: 'typing', actionConversationId }`. Messages sent while no client is connected are
 *   buffered and delivered to the next client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export interface PlaygroundUser {
  id: string;
  name: string;
  aadObjectId: string;
  userPrincipleName?: string;
  givenName?: string;
  surname?: string;
  email?: string;
}

export interface PlaygroundConfig {
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  personalChat: { id: string; name: string };
  groupChats: { id: string; name: string; members: string[] }[];
  teams: { id: string; name: string; aadGroupId: string; channels: { id: string; name: string; channelType: string }[]; members: string[] }[];
}

export interface CardAttachment {
  contentType: string;
  content: Record<string, unknown>;
}

export interface StreamMessage {
  messageId: string;
  timestamp: number;
  from: { id: string };
  text?: string;
  textFormat?: string;
  attachments: CardAttachment[];
  [key: string]: unknown;
}

/** One thing the playground pushed to its web client. */
export interface StreamEvent {
  action: 'createMessage' | 'updateMessage' | 'typing' | (string & {});
  actionConversationId: string;
  message?: StreamMessage;
  /** When the test received it. */
  receivedAt: number;
}

export interface InvokeResponse {
  type: string;
  value: unknown;
}

export interface ExecuteOptions {
  conversationId: string;
  /** The user pressing the button: any member of the conversation. */
  from: string;
  /** The message whose card holds the button. */
  replyToId: string;
  verb: string;
  /** The action's data merged with the card's inputs, as Teams sends them. */
  data: Record<string, unknown>;
}

export interface SubmitOptions {
  conversationId: string;
  from: string;
  replyToId: string;
  value: Record<string, unknown>;
}

export class PlaygroundError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'PlaygroundError';
  }
}

export interface Playground {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly config: PlaygroundConfig;
  /** Everything received on the conversation stream, in order. */
  readonly events: readonly StreamEvent[];
  /** The playground's console output and the end of its log file (for failure messages). */
  output(maxChars?: number): string;
  sendMessage(conversationId: string, text: string, options?: { from?: string; mentionBot?: boolean }): Promise<{ messageId: string; timestamp: number }>;
  /** Presses an Action.Execute button; answers the bot's invoke response. */
  execute(options: ExecuteOptions): Promise<InvokeResponse>;
  /** Presses an Action.Submit button; the bot's answer arrives on the stream. */
  submit(options: SubmitOptions): Promise<void>;
  /** The position in `events` now, to wait only for what comes after it. */
  mark(): number;
  /** The first event (at or after `since`) that matches, waiting for it if need be. */
  waitFor(predicate: (event: StreamEvent) => boolean, options?: { since?: number; timeoutMs?: number }): Promise<StreamEvent>;
  stop(): Promise<void>;
}

export interface StartPlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:1234/api/messages. */
  botEndpoint: string;
  /** msteams unless told. */
  channelId?: string;
  readyTimeoutMs?: number;
}

const CLI = require.resolve('@microsoft/m365agentsplayground/cli.js');
const OUTPUT_KEPT = 200_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Ends the playground (it starts no processes of its own: checked with ps). */
function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

interface Launched {
  child: ChildProcess;
  port: number;
  dir: string;
  output: (maxChars?: number) => string;
  exited: () => string | undefined;
}

function launch(port: number, options: StartPlaygroundOptions): Launched {
  // Its own working directory, so no `.m365agentsplayground.yml` or `devTools/` of the project is used or written.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rethink-playground-'));
  // The bot replies to the service URL the playground gives: 127.0.0.1, like every address in the tests (its default says localhost).
  const child = spawn(process.execPath, [CLI, '-e', options.botEndpoint, '-c', options.channelId ?? 'msteams', '--dt', '-p', String(port), '--service-url', `http://127.0.0.1:${port}/_connector`], {
    cwd: dir,
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none',
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      M365_AGENTS_PLAYGROUND_LOGFILE: path.join(dir, 'playground.log'),
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: path.join(dir, 'none.yml'),
      TEAMS_APP_TEST_TOOL_CONFIG_PATH: path.join(dir, 'none-legacy.yml'),
      M365_AGENTS_PLAYGROUND_RECORDING_FILE: path.join(dir, 'recording.log'),
      BOT_ENDPOINT: options.botEndpoint,
    },
    // Not detached: a Ctrl-C in the terminal reaches it along with Jest.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (error) => (exit = `could not start: ${error.message}`));
  // Most of what it says (activities in and out, warnings) goes to its log file, not the console.
  const logFile = path.join(dir, 'playground.log');
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-OUTPUT_KEPT) : '');
  const all = (maxChars = 4_000): string => `${output}${log() ? `\n--- playground log ---\n${log()}` : ''}`.slice(-maxChars);
  return { child, port, dir, output: all, exited: () => exit };
}

async function waitUntilUp(launched: Launched, deadline: number): Promise<void> {
  const url = `http://127.0.0.1:${launched.port}/_internal/v1/testConfig`;
  while (Date.now() < deadline) {
    const exit = launched.exited();
    if (exit) throw new PlaygroundError(`The playground ${exit} before it was ready:\n${launched.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new PlaygroundError(`The playground did not answer on port ${launched.port} in time:\n${launched.output()}`);
}

async function openStream(url: string, events: StreamEvent[], onEvent: () => void): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.on('message', (data) => {
    try {
      const event = JSON.parse(data.toString()) as Omit<StreamEvent, 'receivedAt'>;
      events.push({ ...event, receivedAt: Date.now() });
      onEvent();
    } catch {
      // not JSON: not ours to read
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  return socket;
}

export async function startPlayground(options: StartPlaygroundOptions): Promise<Playground> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  let launched: Launched | undefined;
  let lastError: unknown;

  // A free port can be taken between choosing it and the playground binding it: try again then.
  for (let attempt = 1; attempt <= 3 && !launched; attempt++) {
    const candidate = launch(await freePort(), options);
    try {
      await waitUntilUp(candidate, deadline);
      launched = candidate;
    } catch (error) {
      lastError = error;
      kill(candidate.child, 'SIGKILL');
      await waitForExit(candidate.child, 2_000);
      rmSync(candidate.dir, { recursive: true, force: true });
      if (Date.now() >= deadline) break;
    }
  }
  if (!launched) throw lastError instanceof Error ? lastError : new PlaygroundError('The playground did not start.');

  const { child, port, dir, output } = launched;
  const url = `http://127.0.0.1:${port}`;
  // If the test process ends without stop() (a crash, a hard timeout), the playground still goes.
  const onExit = () => kill(child, 'SIGKILL');
  process.once('exit', onExit);

  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  let socket: WebSocket | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const wake of waiters) wake();
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
      socket.close();
      await Promise.race([closed, sleep(1_000)]);
      socket.terminate();
    }
    kill(child, 'SIGTERM');
    if (!(await waitForExit(child, 5_000))) {
      kill(child, 'SIGKILL');
      await waitForExit(child, 5_000);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    process.removeListener('exit', onExit);
    // PLAYGROUND_OUTPUT_FILE=<path> keeps the playground's output and log for a look afterwards.
    if (process.env.PLAYGROUND_OUTPUT_FILE) writeFileSync(process.env.PLAYGROUND_OUTPUT_FILE, output(Infinity));
    rmSync(dir, { recursive: true, force: true });
  };

  const request = async (method: 'GET' | 'POST', route: string, body?: unknown, timeoutMs = 20_000): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${url}${route}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: await readBody(response) };
  };
  const expectOk = (what: string, result: { status: number; body: unknown }): unknown => {
    if (result.status !== 200) throw new PlaygroundError(`${what} answered ${result.status}: ${JSON.stringify(result.body)?.slice(0, 500)}`, result.status, result.body);
    return result.body;
  };

  try {
    socket = await openStream(`ws://127.0.0.1:${port}/_ws_conversation/v1/conversations/stream`, events, () => waiters.forEach((wake) => wake()));
    // Waits for the bot endpoint to answer, as the web client does when it opens.
    const { config } = expectOk('GET /_internal/v1/config', await request('GET', '/_internal/v1/config', undefined, readyTimeoutMs)) as { config: PlaygroundConfig };

    const playground: Playground = {
      url,
      port,
      config,
      events,
      output,

      async sendMessage(conversationId, text, { from = config.currentUser.id, mentionBot } = {}) {
        if (from !== config.currentUser.id) {
          // The playground would send it as the current user anyway: refuse rather than mislead.
          throw new PlaygroundError(`Only the current user (${config.currentUser.id}) can type in the playground; ${from} cannot.`);
        }
        const mention = mentionBot ?? conversationId !== config.personalChat.id;
        const at = `<at>${config.bot.name}</at>`;
        const body = {
          from: { id: from },
          text: mention ? `${at} ${text}` : text,
          textFormat: 'plain',
          ...(mention ? { mentions: [{ mentioned: { id: config.bot.id }, text: at }] } : {}),
        };
        return expectOk('POST message', await request('POST', `/_conversation/v1/conversations/${encodeURIComponent(conversationId)}/messages`, body)) as { messageId: string; timestamp: number };
      },

      async execute({ conversationId, from, replyToId, verb, data }) {
        const body = {
          name: 'adaptiveCard/action',
          from: { id: from },
          conversation: { id: conversationId },
          replyToId,
          value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
        };
        return expectOk(`POST invoke (${verb})`, await request('POST', '/_conversation/v1/invoke', body)) as InvokeResponse;
      },

      async submit({ conversationId, from, replyToId, value }) {
        expectOk('POST submit', await request('POST', '/_conversation/v1/submit', { conversation: { id: conversationId }, from: { id: from }, replyToId, value }));
      },

      mark: () => events.length,

      waitFor(predicate, { since = 0, timeoutMs = 10_000 } = {}) {
        return new Promise<StreamEvent>((resolve, reject) => {
          let checked = since;
          const check = (): boolean => {
            for (; checked < events.length; checked++) {
              const event = events[checked] as StreamEvent;
              if (predicate(event)) {
                resolve(event);
                return true;
              }
            }
            if (stopped) {
              reject(new PlaygroundError('The playground was stopped while waiting.'));
              return true;
            }
            return false;
          };
          if (check()) return;
          const timer = setTimeout(() => {
            waiters.delete(wake);
            const seen = events.slice(since).map((e) => `${e.action} ${e.message?.messageId ?? ''}`);
            reject(new PlaygroundError(`Nothing matching arrived on the playground's stream within ${timeoutMs} ms. Received since: ${seen.join(', ') || 'nothing'}`));
          }, timeoutMs);
          const wake = () => {
            if (check()) {
              clearTimeout(timer);
              waiters.delete(wake);
            }
          };
          waiters.add(wake);
        });
      },

      stop,
    };
    return playground;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The Adaptive Cards on a streamed message. */
export const cardsOf = (event: StreamEvent): Record<string, unknown>[] =>
  (event.message?.attachments ?? []).filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content);
