/** Production entry: configuration from the environment, validated once, then the app. */
import v8 from 'node:v8';
import { ConfigError, loadConfig } from '../services/config';
import { createLogger, errorKind } from '../services/logging';
import { ProfileError } from '../services/profile/load';
import { createApp, type App } from './app';
import { tuneGarbageCollection } from './gcTuning';

export async function main(): Promise<App> {
  const config = loadConfig(process.env);
  tuneGarbageCollection(config.heapGrowingPercent);
  const log = createLogger(config.logLevel);
  log.info({ heapGrowingPercent: config.heapGrowingPercent, heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 1_048_576) }, 'garbage collection tuned');
  const app = await createApp(config, { logger: log });
  // Said when it begins and how it ended, so a restart or scale-in can be read in the log; and ended
  // within a bound whatever happens (what it cuts off is resumed by the leases and claims).
  const shutdown = async (signal: string): Promise<void> => {
    const started = Date.now();
    log.info({ signal }, 'stopping');
    setTimeout(() => {
      log.error({ signal }, 'stopping took longer than 45 s: exiting anyway');
      process.exit(1);
    }, 45_000).unref();
    try {
      await app.stop();
      log.info({ ms: Date.now() - started }, 'stopped');
      process.exit(0);
    } catch (error) {
      log.error({ err: errorKind(error) }, 'stopping failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return app;
}

export function reportStartupError(error: unknown): never {
  const message = error instanceof ConfigError || error instanceof ProfileError ? error.message : `Re-think could not start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

if (require.main === module) main().catch(reportStartupError);
