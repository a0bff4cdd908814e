/**
 * A bare botbuilder echo bot, for the benchmark's floor: the cost of a turn through the same stack
 * with no store and no cards to build. The benchmark mounts it on the app's own server, so under load
 * it waits in the same queue as the Re-think's turns.
 */
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, type AdaptiveCardInvokeResponse } from 'botbuilder';
import type restify from 'restify';

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(context.activity.text ?? '');
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(): Promise<AdaptiveCardInvokeResponse> {
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'echo' }] } };
  }
}

/** Serves the echo bot at `path` on `server` (unauthenticated: for the benchmark only). */
export function mountEchoFloor(server: restify.Server, path: string): void {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  server.post(path, async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
}
