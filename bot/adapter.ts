import { CloudAdapter, ConfigurationServiceClientCredentialFactory, type Activity, type TurnContext } from 'botbuilder';
import type { BotAuth } from '../services/config';
import type { Logger } from '../services/logging';
import { ReusedClientsAuthentication } from './reusedClients';

/**
 * botbuilder's settings for the bot's identity, in its own names: one place, so that inbound
 * authentication and every outbound call are signed alike.
 */
export function botbuilderSettings(auth: BotAuth): Record<string, string> {
  if (auth.mode === 'none') return {};
  return auth.mode === 'singleTenant'
    ? { MicrosoftAppId: auth.appId, MicrosoftAppPassword: auth.password, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: auth.tenantId }
    : { MicrosoftAppId: auth.appId, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: auth.tenantId };
}

/** CloudAdapter, with the activity's processing open to `answerActivity`. */
export class RethinkAdapter extends CloudAdapter {
  authenticateAndRun(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authorization, activity, logic);
  }
}

/**
 * With no app id the adapter accepts unauthenticated requests (local use only); with one, the
 * SDK authenticates every inbound request and signs outbound calls.
 */
export function createAdapter(auth: BotAuth, log: Logger): RethinkAdapter {
  const settings = botbuilderSettings(auth);
  const credentials = new ConfigurationServiceClientCredentialFactory(settings);
  const adapter = new RethinkAdapter(new ReusedClientsAuthentication(settings, credentials));
  adapter.onTurnError = async (context, error) => {
    log.error({ err: error.name, type: context.activity.type }, 'unhandled error in a turn');
    if (context.activity.type === 'message') {
      await context.sendActivity('Sorry, something went wrong. Please try again.').catch(() => undefined);
    }
  };
  return adapter;
}

/**
 * One activity through the adapter, as CloudAdapter.process does, but with a refusal logged through
 * the app's logger (at most once in ten minutes, by `warnNow`): botbuilder writes each refused
 * request's stack to stderr, so unsigned requests from anyone could push the app's own logs out.
 */
export async function answerActivity(
  adapter: RethinkAdapter,
  authorization: string,
  activity: Activity,
  logic: (context: TurnContext) => Promise<void>,
  log: Logger,
  warnNow: (what: string) => boolean,
): Promise<{ status: number; body?: unknown }> {
  // As botbuilder reads them: Teams sends ISO times, kept as sent alongside.
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['localTimestamp', 'rawLocalTimestamp'], ['expiration', 'rawExpiration']] as const) {
    const value: unknown = activity[field];
    if (typeof value === 'string') Object.assign(activity, { [raw]: value, [field]: new Date(value) });
  }
  try {
    const answer = await adapter.authenticateAndRun(authorization, activity, logic);
    return { status: answer?.status ?? 200, ...(answer?.body !== undefined ? { body: answer.body } : {}) };
  } catch (error) {
    // botbuilder's AuthenticationError carries the status it means; anything else is the app's fault.
    const { statusCode, message } = error as { statusCode?: unknown; message?: unknown };
    const refused = typeof statusCode === 'number';
    if (!refused) log.error({ err: (error as Error).name }, 'an activity could not be processed');
    else {
      // Why, in botbuilder's words up to any value it quotes (a wrong app id and Microsoft's keys out of reach read differently), each cause at most once in ten minutes.
      const cause = (typeof message === 'string' ? message : '').split(':')[0]?.slice(0, 80) ?? '';
      if (warnNow(`refused|${statusCode}|${cause}`)) log.warn({ status: statusCode, cause }, 'refused a request to /api/messages without a valid Bot Framework token (said at most once in ten minutes for each cause)');
    }
    return { status: refused ? 401 : 500 };
  }
}
