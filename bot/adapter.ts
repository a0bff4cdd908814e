import { CloudAdapter, ConfigurationServiceClientCredentialFactory, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
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

/** CloudAdapter, with the request's authentication and its turn open to `answerActivity` as two steps. */
export class RethinkAdapter extends CloudAdapter {
  /** `refused`: the request did not authenticate, whatever botbuilder threw (a forged signature throws no status). */
  async authenticateAndRun(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<{ kind: 'refused'; error: unknown } | { kind: 'ran'; answer: InvokeResponse | undefined }> {
    const authenticated = await this.botFrameworkAuthentication.authenticateRequest(activity, authorization).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    if ('error' in authenticated) return { kind: 'refused', error: authenticated.error };
    return { kind: 'ran', answer: await this.processActivity(authenticated.result, activity, logic) };
  }
}

/**
 * With no app id the adapter accepts unauthenticated requests (local use only); with one, the
 * SDK authenticates every inbound request and signs outbound calls.
 */
export function createAdapter(auth: BotAuth, log: Logger, timeoutMs: number): RethinkAdapter {
  const settings = botbuilderSettings(auth);
  const credentials = new ConfigurationServiceClientCredentialFactory(settings);
  const adapter = new RethinkAdapter(new ReusedClientsAuthentication(settings, credentials, timeoutMs));
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
    const outcome = await adapter.authenticateAndRun(authorization, activity, logic);
    if (outcome.kind === 'ran') return { status: outcome.answer?.status ?? 200, ...(outcome.answer?.body !== undefined ? { body: outcome.answer.body } : {}) };
    // Why, in botbuilder's words up to any value it quotes (a wrong app id and Microsoft's keys out of reach read differently), each cause at most once in ten minutes.
    const { statusCode, message, name } = outcome.error as { statusCode?: unknown; message?: unknown; name?: unknown };
    const cause = (typeof message === 'string' ? message : String(name)).split(':')[0]?.slice(0, 80) ?? '';
    if (warnNow(`refused|${String(statusCode)}|${cause}`)) log.warn({ status: statusCode, cause }, 'refused a request to /api/messages without a valid Bot Framework token (said at most once in ten minutes for each cause)');
    return { status: 401 };
  } catch (error) {
    // Turn errors are handled within the turn (onTurnError): one escaping it is the app's own fault.
    if (warnNow(`turnFailed|${(error as Error).name}`)) log.error({ err: (error as Error).name }, 'an activity could not be processed (said at most once in ten minutes)');
    return { status: 500 };
  }
}
