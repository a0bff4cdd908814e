import { CloudAdapter, ConfigurationServiceClientCredentialFactory } from 'botbuilder';
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

/**
 * With no app id the adapter accepts unauthenticated requests (local use only); with one, the
 * SDK authenticates every inbound request and signs outbound calls.
 */
export function createAdapter(auth: BotAuth, log: Logger): CloudAdapter {
  const settings = botbuilderSettings(auth);
  const credentials = new ConfigurationServiceClientCredentialFactory(settings);
  const adapter = new CloudAdapter(new ReusedClientsAuthentication(settings, credentials));
  adapter.onTurnError = async (context, error) => {
    log.error({ err: error.name, type: context.activity.type }, 'unhandled error in a turn');
    if (context.activity.type === 'message') {
      await context.sendActivity('Sorry, something went wrong. Please try again.').catch(() => undefined);
    }
  };
  return adapter;
}
