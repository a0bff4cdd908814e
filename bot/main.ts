/** Production entry: configuration from the environment, validated once, then the app. */
import v8 from 'node:v8';
import { ConfigError, loadConfig } from '../services/config';
import { createLogger } from '../services/logging';
import { ProfileError } from '../services/profile/load';
import { createApp, type App } from './app';
import { tuneGarbageCollection } from './gcTuning';

export async function main(): Promise<App> {
  const config = loadConfig(process.env);
  tuneGarbageCollection(config.heapGrowingPercent);
  const log = createLogger(config.logLevel);
  log.info({ heapGrowingPercent: config.heapGrowingPercent, heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 1_048_576) }, 'garbage collection tuned');
  const app = await createApp(config, { logger: log });
  const shutdown = async (): Promise<void> => {
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => shutdown().catch(() => process.exit(1)));
  process.once('SIGTERM', () => shutdown().catch(() => process.exit(1)));
  return app;
}

export function reportStartupError(error: unknown): never {
  const message = error instanceof ConfigError || error instanceof ProfileError ? error.message : `Re-think could not start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

if (require.main === module) main().catch(reportStartupError);
