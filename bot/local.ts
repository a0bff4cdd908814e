/**
 * `npm start`: the bot, the embedded Cosmos-compatible store and the Agents Playground (the local
 * Teams client), all in one command. The playground is only started in local (no app id) mode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../services/config';
import { createLogger } from '../services/logging';
import { createApp } from './app';
import { tuneGarbageCollection } from './gcTuning';
import { reportStartupError } from './main';

async function startLocal(): Promise<void> {
  const config = loadConfig(process.env, { local: true });
  tuneGarbageCollection(config.heapGrowingPercent);
  const log = createLogger(config.logLevel);
  const app = await createApp(config, { logger: log });
  let playground: ChildProcess | undefined;

  if (config.auth.mode === 'none') {
    const bin = path.join(process.cwd(), 'node_modules', '.bin', 'agentsplayground');
    playground = spawn(bin, ['-e', `http://127.0.0.1:${app.port}/api/messages`, '-c', 'msteams', '--dt', '-p', String(config.playgroundPort)], {
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', APPLICATION_INSIGHTS_NO_STATSBEAT: 'true', M365_AGENTS_PLAYGROUND_LOGFILE: path.join(process.cwd(), '.playground.log') },
      stdio: 'ignore',
    });
    playground.on('exit', (code) => log.warn({ code }, 'the Agents Playground stopped'));
  }

  process.stdout.write(
    [
      '',
      '  Re-think is running.',
      `  Bot endpoint:      ${app.url}/api/messages`,
      `  Health:            ${app.url}/healthz`,
      `  Cosmos store:      ${app.storeEndpoint}${config.store.kind === 'embedded' ? ' (embedded; use any key with the @azure/cosmos SDK, endpoint discovery off)' : ''}`,
      playground ? `  Local Teams client: open http://localhost:${config.playgroundPort} in your browser and type "start".` : '  (Agents Playground not started: an app id is configured.)',
      config.panel.developmentUser
        ? `  Side panel (local): ${app.url}/panel/?chatId=<the chat's conversation id>, acting as ${config.panel.developmentUser.name} (${config.panel.developmentUser.meetingRole}); see README.`
        : `  Side panel:        ${app.url}/panel/ (opened by Teams in a meeting)`,
      '',
    ].join('\n') + '\n',
  );

  const stop = async (): Promise<void> => {
    playground?.kill();
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => stop().catch(() => process.exit(1)));
  process.once('SIGTERM', () => stop().catch(() => process.exit(1)));
}

startLocal().catch(reportStartupError);
