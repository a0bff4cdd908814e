/**
 * `npm start`: the bot, the embedded Cosmos-compatible store and the Agents Playground (the local
 * Teams client), all in one command. The playground is only started in local (no app id) mode.
 */
import { loadConfig } from '../services/config';
import { createLogger } from '../services/logging';
import { createApp } from './app';
import { tuneGarbageCollection } from './gcTuning';
import { reportStartupError } from './main';
import { startLocalPlayground } from './playground';

async function startLocal(): Promise<void> {
  const config = loadConfig(process.env, { local: true });
  tuneGarbageCollection(config.heapGrowingPercent);
  const log = createLogger(config.logLevel);
  const app = await createApp(config, { logger: log });
  const started =
    config.auth.mode === 'none'
      ? await startLocalPlayground(`http://127.0.0.1:${app.port}/api/messages`, config.playgroundPort, (code, file) =>
          log.warn({ code }, `the Agents Playground stopped; its log is ${file}. Re-think itself is still running: restart npm start to get the playground back`),
        )
      : undefined;
  const playground = started?.ok ? started.playground : undefined;

  process.stdout.write(
    [
      '',
      '  Re-think is running.',
      `  Bot endpoint:      ${app.url}/api/messages`,
      `  Health:            ${app.url}/healthz`,
      `  Cosmos store:      ${app.storeEndpoint}${config.store.kind === 'embedded' ? ' (embedded; use any key with the @azure/cosmos SDK, endpoint discovery off)' : ''}`,
      !started
        ? '  (Agents Playground not started: an app id is configured.)'
        : started.ok
          ? `  Local Teams client: open ${started.playground.url} in your browser and type "start". It is reachable from this machine only; its log (every message in full) is ${started.playground.log}, removed when Re-think stops.`
          : `  ${started.message}`,
      config.panel.developmentUser
        ? `  Side panel (local): ${app.url}/panel/?chatId=<the chat's conversation id>, acting as ${config.panel.developmentUser.name} (${config.panel.developmentUser.meetingRole}); see README.`
        : `  Side panel:        ${app.url}/panel/ (opened by Teams in a meeting)`,
      '  Stop with Ctrl+C.',
      '',
    ].join('\n') + '\n',
  );

  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      process.stdout.write(`\n  Re-think is stopping (${why})…\n`);
      playground?.stop();
      await app.stop();
      process.stdout.write('  Re-think has stopped.\n');
      process.exit(0);
    })().catch(() => process.exit(1)));
  process.once('SIGINT', () => void stop('interrupted'));
  process.once('SIGTERM', () => void stop('asked to stop'));
  // However this process ends, the playground ends with it.
  process.once('exit', () => playground?.stop());
  // npm runs this through a shell, which a signal to npm alone can stop without passing it on:
  // left without a parent, stop too, rather than hold the ports with no terminal to stop it from.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('the npm start that ran it has gone');
  }, 1_000).unref();
}

startLocal().catch(reportStartupError);
