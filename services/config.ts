/**
 * The one place that reads the environment. Every mistake is collected and reported together,
 * so an operator fixes a deployment in one pass rather than one error at a time.
 */
import { isIP } from 'node:net';
import path from 'node:path';

export type BotAuth =
  | { mode: 'none' }
  | { mode: 'singleTenant'; appId: string; password: string; tenantId: string }
  | { mode: 'managedIdentity'; appId: string; tenantId: string };

export type StoreConfig =
  | { kind: 'embedded'; port: number }
  | { kind: 'cosmos'; endpoint: string; key?: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly auth: BotAuth;
  readonly allowedTenantIds: readonly string[] | undefined;
  readonly store: StoreConfig;
  readonly databaseId: string;
  readonly profilePath: string;
  readonly logLevel: LogLevel;
  /** How far the old generation may grow before a full collection (see bot/gcTuning.ts); 0 leaves V8's own. */
  readonly heapGrowingPercent: number;
  readonly playgroundPort: number;
  /** Entra object ids of the partnership's administrators (ADMIN_IDS). */
  readonly administrators: readonly string[];
  /**
   * Where files offered in Teams (the request document, a case export) may be uploaded: the hosts
   * (and their subdomains) an upload URL may name, and whether it must be https. No hosts: any (local use).
   */
  readonly uploads: { readonly hosts: readonly string[] | undefined; readonly httpsOnly: boolean };
  /** The meeting side panel: the app id URI its Teams SSO tokens are for, and who it runs as locally. */
  readonly panel: {
    readonly appIdUri: string | undefined;
    /** Why the panel is off although PANEL_APP_ID_URI is set (said in the log at start-up; the bot runs). */
    readonly turnedOff?: string;
    readonly developmentUser: { readonly id: string; readonly name: string; readonly aadObjectId: string; readonly meetingRole: string } | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Re-think cannot start: the configuration has ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_PROFILE_PATH = path.join(__dirname, 'profile', 'portsmouth.json');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How far the old generation may grow past what was live before a full collection: see bot/gcTuning.ts. */
export const DEFAULT_HEAP_GROWING_PERCENT = 400;
/** Where Teams opens upload sessions: OneDrive and SharePoint, in each Microsoft cloud. */
export const DEFAULT_UPLOAD_HOSTS = ['sharepoint.com', 'sharepoint.us', 'sharepoint-mil.us', 'sharepoint.cn', 'sharepoint.de'];
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `npm start` (`local`): with no app id, the side panel runs outside Teams as a development
 * organiser unless DEV_USER_* say otherwise. Elsewhere the panel has no development user unless set.
 */
const LOCAL_DEFAULTS: Env = { DEV_USER_ID: '29:local-developer', DEV_USER_NAME: 'Local developer', DEV_USER_ROLE: 'Organizer' };

export function loadConfig(given: Env, { local = false }: { local?: boolean } = {}): Config {
  const problems: string[] = [];
  const env = local && !given.MICROSOFT_APP_ID?.trim() ? { ...LOCAL_DEFAULTS, ...given } : given;
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  /** A whole number from 0 to `max`; `must` says what it must be when it is not. */
  const wholeNumberOf = (name: string, fallback: number, max: number, must: string): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n > max) {
      problems.push(`${name} must be ${must} (got "${raw}").`);
      return fallback;
    }
    return n;
  };
  const portOf = (name: string, fallback: number): number => wholeNumberOf(name, fallback, 65535, 'a port number between 0 and 65535');

  const auth = readAuth(get, problems);
  // With real credentials, only the bot's own tenant is served unless others are listed. Teams
  // gives GUIDs in lower case; one pasted from elsewhere may not be.
  const listed = get('ALLOWED_TENANT_IDS')
    ?.split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const allowedTenantIds = listed ?? (auth.mode === 'none' ? undefined : [auth.tenantId.toLowerCase()]);
  // A list of no one would serve no one: surely a mistake, not a wish.
  if (listed?.length === 0) problems.push('ALLOWED_TENANT_IDS is set but names no tenant: list the tenant ids (GUIDs) to serve, separated by commas, or unset it.');
  // Only what was listed: the default, the bot's own tenant, is reported under its own name.
  for (const tenant of listed ?? []) {
    if (!GUID.test(tenant)) problems.push(`ALLOWED_TENANT_IDS holds "${tenant}", which is not a tenant id (a GUID).`);
  }

  let store: StoreConfig;
  const endpoint = get('COSMOS_ENDPOINT');
  if (endpoint) {
    // Never echoed back: a connection string pasted here carries the account key, and this message goes to the log.
    if (!/^https?:\/\/[^\s;]+$/.test(endpoint)) {
      problems.push(
        /AccountKey=/i.test(endpoint)
          ? 'COSMOS_ENDPOINT holds a connection string: set COSMOS_ENDPOINT to the account URI alone (https://my-account.documents.azure.com:443/) and COSMOS_KEY to the key, or use managed identity. (The value is not shown here because it contains a key.)'
          : 'COSMOS_ENDPOINT must be a URL such as https://my-account.documents.azure.com:443/ (the value set is not one; it is not shown here in case it holds a secret).',
      );
    }
    // Plain HTTP is taken for a local Cosmos-compatible server: to an Azure account it would send the key in the clear.
    if (/^http:/i.test(endpoint) && isAzureAccount(endpoint)) problems.push('COSMOS_ENDPOINT names an Azure Cosmos DB account over http://: use https:// (such as https://my-account.documents.azure.com:443/).');
    const key = get('COSMOS_KEY');
    store = key ? { kind: 'cosmos', endpoint, key } : { kind: 'cosmos', endpoint };
  } else {
    if (get('COSMOS_KEY')) problems.push('COSMOS_KEY is set but COSMOS_ENDPOINT is not: set both, or neither to use the embedded store.');
    store = { kind: 'embedded', port: portOf('EMBEDDED_COSMOS_PORT', 8081) };
  }

  const databaseId = get('COSMOS_DATABASE') ?? 'rethink';
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(databaseId)) problems.push(`COSMOS_DATABASE may hold only letters, digits, "-" and "_" (got "${databaseId}").`);

  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}").`);

  const administrators =
    get('ADMIN_IDS')
      ?.split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean) ?? [];
  for (const id of administrators) {
    if (!GUID.test(id)) problems.push(`ADMIN_IDS holds "${id}", which is not a Microsoft Entra object id (a GUID).`);
  }

  const heapGrowingPercent = wholeNumberOf('HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, 1000, "a whole number from 0 (V8's own) to 1000");

  // An address to listen on: an IP address or localhost (a name to look up fails only at listen).
  // Unauthenticated, anyone who reaches the port could act as anyone: by default only this machine can.
  const host = get('HOST') ?? (auth.mode === 'none' ? '127.0.0.1' : '0.0.0.0');
  if (!isIP(host) && host !== 'localhost') problems.push(`HOST must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1 (got "${host}").`);

  // A file consent answer says where to upload: with credentials, only to Microsoft's own storage,
  // so a case export can never be sent anywhere else. Locally, the test stand-ins' addresses.
  const uploadHosts =
    get('UPLOAD_HOSTS')
      ?.split(',')
      .map((h) => h.trim().toLowerCase().replace(/^\*?\./, ''))
      .filter(Boolean) ?? (auth.mode === 'none' ? undefined : DEFAULT_UPLOAD_HOSTS);
  if (uploadHosts?.length === 0) problems.push('UPLOAD_HOSTS is set but names no host: list the hosts files may be uploaded to (such as sharepoint.com), separated by commas, or unset it.');
  for (const h of uploadHosts ?? []) {
    // A name of one label ("com") would allow every host under it.
    const named = HOST_NAME.test(h) && (h.includes('.') || h === 'localhost');
    if (!named && !isIP(h)) problems.push(`UPLOAD_HOSTS holds "${h}", which is not a host name (such as sharepoint.com).`);
  }

  const appIdUri = get('PANEL_APP_ID_URI');
  // Teams asks for a token for api://<the app's domain>/<its app id> (manifest webApplicationInfo): nothing else can match.
  if (appIdUri && !/^api:\/\/[A-Za-z0-9.-]+(:\d+)?\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(appIdUri)) {
    problems.push(`PANEL_APP_ID_URI must be the side panel's app id URI as the Teams package sets it, api://<the app's domain>/<the bot's app id>, such as api://rethink.example.org/00000000-0000-0000-0000-000000000000, with nothing after the id (got "${appIdUri}").`);
  }
  // The package's webApplicationInfo is the bot's own app: Teams grants it the meeting permissions the
  // bot uses. A panel set up otherwise (as these instructions once said) is turned off, not the bot.
  let panelOff: string | undefined;
  if (appIdUri && auth.mode === 'managedIdentity') {
    panelOff = 'The side panel is off: PANEL_APP_ID_URI is set, but the bot is a managed identity (MICROSOFT_APP_TYPE=UserAssignedMSI), which cannot expose an API for the panel to sign in to. Make the bot a single-tenant app registration that exposes it (see infra/README.md), or unset PANEL_APP_ID_URI.';
  } else if (appIdUri && auth.mode !== 'none' && appIdUri.slice(appIdUri.lastIndexOf('/') + 1).toLowerCase() !== auth.appId.toLowerCase()) {
    panelOff = `The side panel is off: PANEL_APP_ID_URI must end with the bot's own app id, ${auth.appId}, because Teams gives the meeting permissions to the app the side panel signs in to, and the bot is what uses them (see infra/README.md).`;
  }
  const devUserId = get('DEV_USER_ID');
  const meetingRole = get('DEV_USER_ROLE') ?? 'Attendee';
  if (!['Organizer', 'Presenter', 'Attendee'].includes(meetingRole)) problems.push(`DEV_USER_ROLE must be Organizer, Presenter or Attendee (got "${meetingRole}").`);
  const devSettings = ['DEV_USER_ID', 'DEV_USER_NAME', 'DEV_USER_AAD_ID', 'DEV_USER_ROLE'].filter((name) => get(name) !== undefined);
  if (devSettings.length > 0 && get('MICROSOFT_APP_ID')) problems.push(`${devSettings.join(', ')} ${devSettings.length === 1 ? 'is' : 'are'} for local use only: unset ${devSettings.length === 1 ? 'it' : 'them'} when MICROSOFT_APP_ID is set.`);
  const devAad = get('DEV_USER_AAD_ID');
  if (devAad !== undefined && !GUID.test(devAad)) problems.push(`DEV_USER_AAD_ID must be an Entra object id (a GUID) (got "${devAad}").`);

  // Settings that only a deployment has never run unauthenticated, and a deployment never runs on
  // the embedded store (it lives in one process's memory: a restart or a second instance loses or splits records).
  if (get('MICROSOFT_APP_ID') && store.kind === 'embedded') problems.push('COSMOS_ENDPOINT is required with MICROSOFT_APP_ID: the embedded store is for local use only (it keeps records in this process’s memory, so a restart or a second instance would lose or split them).');
  if (!get('MICROSOFT_APP_ID')) {
    const deployed = [...(store.kind === 'cosmos' && isAzureAccount(store.endpoint) ? ['COSMOS_ENDPOINT names an Azure Cosmos DB account'] : []), ...(appIdUri ? ['PANEL_APP_ID_URI is set'] : [])];
    if (deployed.length > 0) problems.push(`${deployed.join(' and ')}, but MICROSOFT_APP_ID is not: set the bot's app id (and its secret or managed identity) so that only Teams can reach the bot. Without it anyone who can reach the port could act as anyone.`);
  }

  const config: Config = {
    port: portOf('PORT', 3978),
    host,
    auth,
    allowedTenantIds,
    store,
    databaseId,
    profilePath: get('PARTNERSHIP_PROFILE') ?? DEFAULT_PROFILE_PATH,
    logLevel,
    heapGrowingPercent,
    // Not 0: the page to open must be known before the playground starts.
    playgroundPort: /^0+$/.test(get('PLAYGROUND_PORT') ?? '') ? (problems.push('PLAYGROUND_PORT must be a port number between 1 and 65535 (got "0"): the address to open is printed before the playground starts, so it can\'t be chosen at random.'), 56150) : portOf('PLAYGROUND_PORT', 56150),
    administrators,
    uploads: { hosts: uploadHosts, httpsOnly: auth.mode !== 'none' },
    panel: {
      appIdUri: panelOff ? undefined : appIdUri,
      ...(panelOff ? { turnedOff: panelOff } : {}),
      // Only when chosen (npm start chooses one): otherwise the local panel is off.
      developmentUser: devUserId
        ? { id: devUserId, name: get('DEV_USER_NAME') ?? 'Local developer', aadObjectId: get('DEV_USER_AAD_ID') ?? '00000000-0000-4000-8000-00000000d0e5', meetingRole }
        : undefined,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * An Azure Cosmos DB account (private endpoints keep the name), in any Azure cloud. An emulator,
 * on this machine or another (a container, the Windows host from WSL), is local use.
 */
function isAzureAccount(url: string): boolean {
  try {
    return /\.documents\.(azure\.(com|us|cn)|microsoftazure\.de)$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** botbuilder's own spelling of each setting, which Re-think does not read, and Re-think's. */
const BOTBUILDER_NAMES: readonly (readonly [string, string])[] = [
  ['MicrosoftAppId', 'MICROSOFT_APP_ID'],
  ['MicrosoftAppPassword', 'MICROSOFT_APP_PASSWORD'],
  ['MicrosoftAppType', 'MICROSOFT_APP_TYPE'],
  ['MicrosoftAppTenantId', 'MICROSOFT_APP_TENANT_ID'],
];

function readAuth(get: (name: string) => string | undefined, problems: string[]): BotAuth {
  // Set under botbuilder's names (as in its samples), they would be ignored without a word.
  for (const [theirs, ours] of BOTBUILDER_NAMES) {
    if (get(theirs) && !get(ours)) problems.push(`${theirs} is set, but Re-think reads ${ours}: set that instead.`);
  }
  const appId = get('MICROSOFT_APP_ID');
  const password = get('MICROSOFT_APP_PASSWORD');
  const tenantId = get('MICROSOFT_APP_TENANT_ID');
  const typed = get('MICROSOFT_APP_TYPE');
  // botbuilder compares the type without regard to case: so does Re-think.
  const type = typed?.toLowerCase() === 'singletenant' ? 'SingleTenant' : typed?.toLowerCase() === 'userassignedmsi' ? 'UserAssignedMSI' : (typed ?? (appId ? 'SingleTenant' : undefined));
  if (!appId) {
    // Any of these means a deployment meant to authenticate: never fall back to unauthenticated for it.
    if (password || tenantId || type) problems.push('MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID or MICROSOFT_APP_TYPE is set without MICROSOFT_APP_ID: set the app id too, or none of them for local use.');
    return { mode: 'none' };
  }
  if (!GUID.test(appId)) problems.push(`MICROSOFT_APP_ID must be the bot's app (client) id, a GUID (got "${appId}").`);
  if (!tenantId) problems.push('MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_ID (single-tenant and managed identity bots belong to one tenant).');
  else if (!GUID.test(tenantId)) problems.push(`MICROSOFT_APP_TENANT_ID must be a GUID (got "${tenantId}").`);
  if (type === 'SingleTenant') {
    if (!password) {
      problems.push(
        typed
          ? 'MICROSOFT_APP_PASSWORD (the client secret) is required when MICROSOFT_APP_TYPE is SingleTenant.'
          : 'MICROSOFT_APP_PASSWORD (the client secret) is required: MICROSOFT_APP_TYPE is not set, so SingleTenant is assumed. For a managed identity, set MICROSOFT_APP_TYPE=UserAssignedMSI.',
      );
    }
    return { mode: 'singleTenant', appId, password: password ?? '', tenantId: tenantId ?? '' };
  }
  if (type === 'UserAssignedMSI') {
    if (password) problems.push('MICROSOFT_APP_PASSWORD must not be set with a managed identity (MICROSOFT_APP_TYPE=UserAssignedMSI).');
    return { mode: 'managedIdentity', appId, tenantId: tenantId ?? '' };
  }
  problems.push(`MICROSOFT_APP_TYPE must be SingleTenant or UserAssignedMSI (got "${type ?? ''}"); multi-tenant bots are not supported.`);
  return { mode: 'none' };
}
