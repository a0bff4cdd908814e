import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_PROFILE_PATH, DEFAULT_UPLOAD_HOSTS, loadConfig } from '../../services/config';
import { loadProfile, nestedRepetition, ProfileError } from '../../services/profile/load';
import { checkCaseReference } from '../../services/rethink/validation';
import portsmouth from '../../services/profile/portsmouth.json';

const APP = '11111111-2222-4333-8444-555555555555';
const TENANT = '72f988bf-0000-4000-8000-00000000abcd';
const COSMOS = 'https://acct.documents.azure.com:443/';
/** The least a deployment sets. */
const DEPLOYED = { MICROSOFT_APP_ID: APP, MICROSOFT_APP_PASSWORD: 's', MICROSOFT_APP_TENANT_ID: TENANT, COSMOS_ENDPOINT: COSMOS };

describe('configuration from the environment', () => {
  test('an empty environment is local mode: no auth, the embedded store on 8081, port 3978 on this machine only', () => {
    expect(loadConfig({})).toMatchObject({ port: 3978, host: '127.0.0.1', auth: { mode: 'none' }, store: { kind: 'embedded', port: 8081 }, allowedTenantIds: undefined, databaseId: 'rethink' });
    // Chosen on purpose (a container, say), it listens where it is told; authenticated, on every interface.
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ ...DEPLOYED }).host).toBe('0.0.0.0');
  });

  test('single-tenant credentials, real Cosmos and a tenant allow-list are switched on by configuration alone', () => {
    const config = loadConfig({ MICROSOFT_APP_ID: APP, MICROSOFT_APP_PASSWORD: 'secret-value', MICROSOFT_APP_TENANT_ID: TENANT, COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/', COSMOS_KEY: 'k', ALLOWED_TENANT_IDS: `${TENANT}, ${APP}` });
    expect(config.auth).toEqual({ mode: 'singleTenant', appId: APP, password: 'secret-value', tenantId: TENANT });
    expect(config.store).toEqual({ kind: 'cosmos', endpoint: 'https://acct.documents.azure.com:443/', key: 'k' });
    expect(config.allowedTenantIds).toEqual([TENANT, APP]);
  });

  test('with real credentials and no allow-list, only the bot\'s own tenant is served', () => {
    expect(loadConfig(DEPLOYED).allowedTenantIds).toEqual([TENANT]);
  });

  test('ids pasted in upper case match the lower-case ids Teams sends', () => {
    const shouted = loadConfig({ ...DEPLOYED, MICROSOFT_APP_TENANT_ID: TENANT.toUpperCase(), ADMIN_IDS: ' ABCDEF01-2222-4333-8444-55555555AAAA ' });
    expect(shouted.allowedTenantIds).toEqual([TENANT.toLowerCase()]);
    expect(shouted.administrators).toEqual(['abcdef01-2222-4333-8444-55555555aaaa']);
    expect(loadConfig({ ALLOWED_TENANT_IDS: TENANT.toUpperCase() }).allowedTenantIds).toEqual([TENANT.toLowerCase()]);
  });

  test('a managed identity needs no secret', () => {
    expect(loadConfig({ MICROSOFT_APP_ID: APP, MICROSOFT_APP_TYPE: 'UserAssignedMSI', MICROSOFT_APP_TENANT_ID: TENANT, COSMOS_ENDPOINT: COSMOS }).auth).toEqual({ mode: 'managedIdentity', appId: APP, tenantId: TENANT });
  });

  test('every mistake is reported at once, clearly', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MICROSOFT_APP_ID: 'not-a-guid', MICROSOFT_APP_TYPE: 'MultiTenant', ALLOWED_TENANT_IDS: 'contoso', COSMOS_KEY: 'k', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT must be a port number/);
    expect(problems).toMatch(/MICROSOFT_APP_ID must be the bot's app \(client\) id/);
    expect(problems).toMatch(/MICROSOFT_APP_TENANT_ID is required/);
    expect(problems).toMatch(/MICROSOFT_APP_TYPE must be SingleTenant or UserAssignedMSI/);
    expect(problems).toMatch(/ALLOWED_TENANT_IDS holds "contoso"/);
    expect(problems).toMatch(/COSMOS_KEY is set but COSMOS_ENDPOINT is not/);
    expect(problems).toMatch(/LOG_LEVEL must be one of/);
  });

  test('the heap growing percent: 400 unless set, 0 for V8’s own, anything else outside 0–1000 refused', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(400);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '150' }).heapGrowingPercent).toBe(150);
    for (const bad of ['-1', '1001', '2.5', 'lots', '1e3']) {
      expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(`HEAP_GROWING_PERCENT must be a whole number from 0 (V8's own) to 1000 (got "${bad}")`);
    }
  });

  test('a deployment half set up is refused, never run unauthenticated or serving no one', () => {
    // Any one of the bot's credentials without its app id.
    for (const env of [{ MICROSOFT_APP_TYPE: 'UserAssignedMSI' }, { MICROSOFT_APP_TYPE: 'MultiTenant' }, { MICROSOFT_APP_TENANT_ID: TENANT }]) {
      expect(() => loadConfig(env)).toThrow(/is set without MICROSOFT_APP_ID: set the app id too, or none of them for local use/);
    }
    // An allow-list of no one.
    for (const list of [',', ' , ', ',,']) {
      expect(() => loadConfig({ ...DEPLOYED, ALLOWED_TENANT_IDS: list })).toThrow(/ALLOWED_TENANT_IDS is set but names no tenant/);
    }
    // An address this machine cannot listen on, found before the store is started.
    expect(() => loadConfig({ HOST: 'no-such-host.invalid' })).toThrow(/HOST must be an IP address to listen on, such as 0\.0\.0\.0 or 127\.0\.0\.1 \(got "no-such-host\.invalid"\)/);
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  test('uploads: with credentials, only to OneDrive and SharePoint over https unless UPLOAD_HOSTS says otherwise; locally, anywhere', () => {
    expect(loadConfig({}).uploads).toEqual({ hosts: undefined, httpsOnly: false });
    expect(loadConfig(DEPLOYED).uploads).toEqual({ hosts: DEFAULT_UPLOAD_HOSTS, httpsOnly: true });
    expect(loadConfig({ ...DEPLOYED, UPLOAD_HOSTS: '*.contoso.com, SharePoint.com ,.example.org' }).uploads).toEqual({ hosts: ['contoso.com', 'sharepoint.com', 'example.org'], httpsOnly: true });
    expect(loadConfig({ UPLOAD_HOSTS: '127.0.0.1' }).uploads).toEqual({ hosts: ['127.0.0.1'], httpsOnly: false });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ UPLOAD_HOSTS: ' , ' })).toEqual(['UPLOAD_HOSTS is set but names no host: list the hosts files may be uploaded to (such as sharepoint.com), separated by commas, or unset it.']);
    expect(problems({ UPLOAD_HOSTS: 'https://contoso.sharepoint.com/sites/x, sharepoint.com' })).toEqual(['UPLOAD_HOSTS holds "https://contoso.sharepoint.com/sites/x", which is not a host name (such as sharepoint.com).']);
    // One label would allow every host under it.
    expect(problems({ UPLOAD_HOSTS: 'com' })).toEqual(['UPLOAD_HOSTS holds "com", which is not a host name (such as sharepoint.com).']);
    expect(loadConfig({ UPLOAD_HOSTS: '::1, localhost' }).uploads.hosts).toEqual(['::1', 'localhost']);
  });

  test('a Cosmos DB connection string pasted as the endpoint is refused without its key being printed', () => {
    const secret = 'c2VjcmV0LWtleS12YWx1ZQ==';
    let error: unknown;
    try {
      loadConfig({ COSMOS_ENDPOINT: `AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=${secret};` });
    } catch (e) {
      error = e;
    }
    expect(String((error as Error).message)).toMatch(/COSMOS_ENDPOINT holds a connection string: set COSMOS_ENDPOINT to the account URI alone/);
    expect(String((error as Error).message)).not.toContain(secret);
    expect(() => loadConfig({ COSMOS_ENDPOINT: 'acct.documents.azure.com' })).toThrow(/COSMOS_ENDPOINT must be a URL such as https:\/\/my-account\.documents\.azure\.com:443\/ \(the value set is not one/);
  });

  test('a secret without an app id is refused rather than silently ignored', () => {
    expect(() => loadConfig({ MICROSOFT_APP_PASSWORD: 'x' })).toThrow(/without MICROSOFT_APP_ID/);
    expect(() => loadConfig({ MICROSOFT_APP_ID: APP, MICROSOFT_APP_TENANT_ID: TENANT, COSMOS_ENDPOINT: COSMOS })).toThrow(/MICROSOFT_APP_PASSWORD \(the client secret\) is required/);
  });

  test('what only a deployment sets is never run unauthenticated, and a deployment never runs on the embedded store', () => {
    // Without an app id anyone who reaches the port could act as anyone (an administrator too).
    expect(() => loadConfig({ COSMOS_ENDPOINT: COSMOS, COSMOS_KEY: 'k' })).toThrow(/COSMOS_ENDPOINT names an Azure Cosmos DB account, but MICROSOFT_APP_ID is not: set the bot's app id/);
    expect(() => loadConfig({ PANEL_APP_ID_URI: `api://rethink.example.org/${APP}` })).toThrow(/PANEL_APP_ID_URI is set, but MICROSOFT_APP_ID is not/);
    // The local emulator or another local store is still local use.
    for (const local of ['https://localhost:8081/', 'http://127.0.0.1:8081/', 'http://[::1]:8081/', 'https://cosmosdb:8081/', 'https://host.docker.internal:8081/']) expect(loadConfig({ COSMOS_ENDPOINT: local }).auth).toEqual({ mode: 'none' });
    // In any Azure cloud, and through a private endpoint (which keeps the account's name).
    for (const azure of ['https://acct.documents.azure.us:443/', 'https://acct.privatelink.documents.azure.com:443/']) expect(() => loadConfig({ COSMOS_ENDPOINT: azure })).toThrow(/names an Azure Cosmos DB account/);
    // The embedded store lives in one process's memory: a restart or a second instance would lose or split records.
    expect(() => loadConfig({ ...DEPLOYED, COSMOS_ENDPOINT: '' })).toThrow(/COSMOS_ENDPOINT is required with MICROSOFT_APP_ID: the embedded store is for local use only/);
  });
});

describe('settings a deployment gets slightly wrong', () => {
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
      return '';
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.message;
    }
  };

  test('a missing or wrong tenant id is reported once, under its own name, not again as ALLOWED_TENANT_IDS, which nobody set', () => {
    for (const tenant of [undefined, 'contoso.onmicrosoft.com']) {
      const env: Record<string, string> = { MICROSOFT_APP_ID: APP, MICROSOFT_APP_PASSWORD: 's', COSMOS_ENDPOINT: COSMOS, ...(tenant ? { MICROSOFT_APP_TENANT_ID: tenant } : {}) };
      const problems = problemsOf(env);
      expect(problems).toContain('MICROSOFT_APP_TENANT_ID');
      expect(problems).not.toContain('ALLOWED_TENANT_IDS');
    }
    expect(problemsOf({ ...DEPLOYED, ALLOWED_TENANT_IDS: 'contoso.onmicrosoft.com' })).toContain('ALLOWED_TENANT_IDS holds "contoso.onmicrosoft.com", which is not a tenant id (a GUID).');
  });

  test('PLAYGROUND_PORT must be a port to open: 0 (however written) would be chosen at random', () => {
    for (const zero of ['0', '00']) expect(problemsOf({ PLAYGROUND_PORT: zero })).toContain(`PLAYGROUND_PORT must be a port number between 1 and 65535`);
    expect(loadConfig({ PLAYGROUND_PORT: '41150' }).playgroundPort).toBe(41150);
  });

  test('every DEV_USER_ setting is refused with an app id, and DEV_USER_AAD_ID must be an object id', () => {
    expect(problemsOf({ ...DEPLOYED, DEV_USER_NAME: 'Local developer', DEV_USER_AAD_ID: '00000000-0000-4000-8000-00000000d0e5' })).toContain('DEV_USER_NAME, DEV_USER_AAD_ID are for local use only: unset them when MICROSOFT_APP_ID is set.');
    expect(problemsOf({ DEV_USER_ID: '29:me', DEV_USER_AAD_ID: 'me@example.org' })).toContain('DEV_USER_AAD_ID must be an Entra object id (a GUID) (got "me@example.org").');
    expect(problemsOf({ DEV_USER_ID: '29:me', DEV_USER_AAD_ID: '00000000-0000-4000-8000-00000000d0e5' })).toBe('');
  });

  test('MICROSOFT_APP_TYPE in any case, as botbuilder takes it', () => {
    expect(loadConfig({ ...DEPLOYED, MICROSOFT_APP_PASSWORD: '', MICROSOFT_APP_TYPE: 'UserAssignedMsi' }).auth).toEqual({ mode: 'managedIdentity', appId: APP, tenantId: TENANT });
    expect(loadConfig({ ...DEPLOYED, MICROSOFT_APP_TYPE: 'singletenant' }).auth).toMatchObject({ mode: 'singleTenant' });
  });

  test('no type and no secret: the message says single-tenant was assumed and names the managed identity setting', () => {
    expect(problemsOf({ ...DEPLOYED, MICROSOFT_APP_PASSWORD: '' })).toContain('MICROSOFT_APP_TYPE is not set, so SingleTenant is assumed. For a managed identity, set MICROSOFT_APP_TYPE=UserAssignedMSI.');
  });

  test('settings under botbuilder’s names are pointed out, not silently ignored', () => {
    const problems = problemsOf({ MicrosoftAppId: APP, MicrosoftAppPassword: 's', MicrosoftAppTenantId: TENANT });
    for (const [theirs, ours] of [['MicrosoftAppId', 'MICROSOFT_APP_ID'], ['MicrosoftAppPassword', 'MICROSOFT_APP_PASSWORD'], ['MicrosoftAppTenantId', 'MICROSOFT_APP_TENANT_ID']]) {
      expect(problems).toContain(`${theirs} is set, but Re-think reads ${ours}: set that instead.`);
    }
  });

  test('an Azure Cosmos DB account over plain http is refused; a local server over http is fine', () => {
    expect(problemsOf({ ...DEPLOYED, COSMOS_ENDPOINT: 'http://acct.documents.azure.com/' })).toContain('COSMOS_ENDPOINT names an Azure Cosmos DB account over http://: use https://');
    expect(loadConfig({ COSMOS_ENDPOINT: 'http://127.0.0.1:8081/' }).store).toMatchObject({ kind: 'cosmos' });
  });

  test('PANEL_APP_ID_URI must be api://<domain>/<app id> exactly, as the package asks Teams for it', () => {
    expect(loadConfig({ ...DEPLOYED, PANEL_APP_ID_URI: `api://rethink.example.org/${APP}` }).panel.appIdUri).toBe(`api://rethink.example.org/${APP}`);
    for (const wrong of [`api://rethink.example.org/${APP}/`, `api://${APP}`, 'api://rethink.example.org/rethink', `https://rethink.example.org/${APP}`]) {
      expect(problemsOf({ ...DEPLOYED, PANEL_APP_ID_URI: wrong })).toContain('PANEL_APP_ID_URI must be the side panel’s app id URI'.replace('’', "'"));
    }
  });

  test('npm start (local): the side panel acts as a development organiser unless DEV_USER_* say otherwise; nowhere else, and never with an app id', () => {
    expect(loadConfig({}, { local: true }).panel.developmentUser).toMatchObject({ id: '29:local-developer', name: 'Local developer', meetingRole: 'Organizer' });
    expect(loadConfig({ DEV_USER_ROLE: 'Attendee' }, { local: true }).panel.developmentUser).toMatchObject({ meetingRole: 'Attendee' });
    expect(loadConfig({}).panel.developmentUser).toBeUndefined();
    expect(loadConfig(DEPLOYED, { local: true }).panel.developmentUser).toBeUndefined();
  });

  test('PANEL_APP_ID_URI names the bot’s own app: with another app, or a managed-identity bot (which cannot expose an API), the panel is off and says why, and the bot still starts', () => {
    const other = '99999999-2222-4333-8444-555555555555';
    const elsewhere = loadConfig({ ...DEPLOYED, PANEL_APP_ID_URI: `api://rethink.example.org/${other}` }).panel;
    expect(elsewhere.appIdUri).toBeUndefined();
    expect(elsewhere.turnedOff).toContain(`PANEL_APP_ID_URI must end with the bot's own app id, ${APP}`);
    expect(loadConfig({ ...DEPLOYED, PANEL_APP_ID_URI: `api://rethink.example.org/${APP.toUpperCase()}` }).panel).toMatchObject({ appIdUri: expect.any(String) });
    const identity = { MICROSOFT_APP_ID: APP, MICROSOFT_APP_TENANT_ID: TENANT, COSMOS_ENDPOINT: COSMOS };
    const managed = loadConfig({ ...identity, MICROSOFT_APP_TYPE: 'UserAssignedMSI', PANEL_APP_ID_URI: `api://rethink.example.org/${APP}` }).panel;
    expect(managed.appIdUri).toBeUndefined();
    expect(managed.turnedOff).toContain('the bot is a managed identity');
  });
});

describe('the partnership profile', () => {
  const write = (content: unknown): string => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'profile-')), 'profile.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  test('the Portsmouth default loads: five stages, three strategies', () => {
    const profile = loadProfile(DEFAULT_PROFILE_PATH);
    expect(profile.stages.map((s) => s.title)).toEqual(['What has happened?', 'Thinking and feeling', 'Who has been affected, and how?', 'What is needed?', 'Agreeing actions']);
    expect(profile.strategies.map((s) => s.number)).toEqual([1, 2, 3]);
  });

  test('another partnership changes the texts without code', () => {
    const custom = { ...portsmouth, partnership: { ...portsmouth.partnership, name: 'Southampton SCP' }, retentionDays: 365 };
    expect(loadProfile(write(custom))).toMatchObject({ partnership: { name: 'Southampton SCP' }, retentionDays: 365 });
    // The publisher's pages are for the app package: a profile from before them still runs, but a wrong one is refused.
    const { websiteUrl, privacyUrl, termsOfUseUrl, publisherName, ...older } = portsmouth.partnership;
    expect([websiteUrl, privacyUrl, termsOfUseUrl, publisherName].every(Boolean)).toBe(true);
    expect(loadProfile(write({ ...portsmouth, partnership: older })).partnership).not.toHaveProperty('privacyUrl');
    expect(() => loadProfile(write({ ...portsmouth, partnership: { ...older, privacyUrl: 'http://example.org/privacy' } }))).toThrow(/profile\.partnership\.privacyUrl must be an https:\/\/ address/);
  });

  test('a broken profile is refused at start-up with every problem and where it is', () => {
    const broken = { ...portsmouth, stages: portsmouth.stages.slice(0, 4), retentionDays: -1, caseReference: { ...portsmouth.caseReference, pattern: '([' }, concernCategories: [{ id: 'a', label: 'A' }, { id: 'a', label: 'B' }] };
    let error: unknown;
    try {
      loadProfile(write(broken));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProfileError);
    const problems = (error as ProfileError).problems;
    expect(problems).toEqual(expect.arrayContaining(['profile.stages must hold exactly 5 entries', 'profile.retentionDays must be a whole number above 0', 'profile.caseReference.pattern is not a valid regular expression', 'profile.concernCategories has repeated ids']));
    expect(() => loadProfile(write('{ not json'))).toThrow(/cannot be read as JSON/);
  });

  test('a misspelt setting is refused, with the one meant, rather than ignored with its default used', () => {
    const misspelt = { ...portsmouth, retentionDay: 365, reminders: { ...portsmouth.reminders, requestWaitngDays: 5 }, partnership: { ...portsmouth.partnership, PrivacyUrl: 'https://example.org/p' } };
    let problems: readonly string[] = [];
    try {
      loadProfile(write(misspelt));
    } catch (e) {
      problems = (e as ProfileError).problems;
    }
    expect(problems).toEqual([
      'profile.partnership.PrivacyUrl is not a setting Re-think knows: did you mean profile.partnership.privacyUrl? (a note for people may be kept under a name starting with _)',
      'profile.reminders.requestWaitngDays is not a setting Re-think knows: did you mean profile.reminders.requestWaitingDays? (a note for people may be kept under a name starting with _)',
      'profile.retentionDay is not a setting Re-think knows: did you mean profile.retentionDays? (a note for people may be kept under a name starting with _)',
    ]);
    expect(() => loadProfile(write({ ...portsmouth, colour: 'blue' }))).toThrow(/profile\.colour is not a setting Re-think knows \(a note/);
    // Notes for the people who keep the file, and a JSON schema reference, are allowed.
    expect(loadProfile(write({ $schema: './profile.schema.json', _note: 'Agreed by the board, May 2026', ...portsmouth, reminders: { ...portsmouth.reminders, _why: 'three working days' } })).retentionDays).toBe(portsmouth.retentionDays);
  });

  test('the bank holidays are a UK nation or none, and closed days are real dates', () => {
    const problemsOf = (reminders: object): readonly string[] => {
      try {
        loadProfile(write({ ...portsmouth, reminders: { ...portsmouth.reminders, ...reminders } }));
        return [];
      } catch (e) {
        return (e as ProfileError).problems;
      }
    };
    expect(problemsOf({ bankHolidays: 'england' })).toEqual(['profile.reminders.bankHolidays must be one of "england-and-wales", "scotland", "northern-ireland", "none"']);
    expect(problemsOf({ closedDays: ['2027-06-07', '7/6/2027', '2027-02-30'] })).toEqual([
      'profile.reminders.closedDays[1] must be a date written YYYY-MM-DD, such as 2027-06-07',
      'profile.reminders.closedDays[2] must be a date written YYYY-MM-DD, such as 2027-06-07',
    ]);
    expect(problemsOf({ bankHolidays: 'scotland', closedDays: ['2027-06-07'] })).toEqual([]);
  });

  test('a file that is not JSON says on which line and column it broke, as an editor shows it', () => {
    expect(() => loadProfile(write('{\n  "retentionDays": 730,\n}\n'))).toThrow(/cannot be read as JSON: .*\(line 3, column 1\)/);
  });

  test('a case reference format that would refuse its own example is refused at start-up, since no Re-think could ever start', () => {
    const withFormat = (pattern: string, example: string) => write({ ...portsmouth, caseReference: { ...portsmouth.caseReference, pattern, example } });
    // A pattern written in small letters is matched whatever the case: references are kept in capitals.
    expect(loadProfile(withFormat('^[a-z]{2,6}-[0-9]{4}-[0-9]{3,6}$', 'pscp-2026-0042')).caseReference.pattern).toBe('^[a-z]{2,6}-[0-9]{4}-[0-9]{3,6}$');
    expect(() => loadProfile(withFormat('^[A-Z]{2,6}-[0-9]{4}$', 'PSCP-2026-0042'))).toThrow(/profile\.caseReference\.pattern must match the whole of profile\.caseReference\.example written in capitals/);
    // Anything like a date is refused as a possible date of birth.
    expect(() => loadProfile(withFormat('^PS/[0-9]{2}/[0-9]{2}/[0-9]{4}$', 'PS/12/03/2026'))).toThrow(/profile\.caseReference\.example looks like a date/);
    // Matching only part of the example is not enough: the whole value must be the reference.
    expect(() => loadProfile(withFormat('[A-Z]{4}-[0-9]{4}', 'PSCP-2026-0042'))).toThrow(/must match the whole of/);
    expect(loadProfile(withFormat('[A-Z]{4}-[0-9]{4}-[0-9]{4}', 'pscp-2026-0042')).caseReference.example).toBe('pscp-2026-0042');
    // Letters only reads as a name, and names are refused whatever the pattern.
    expect(() => loadProfile(withFormat('^[A-Z]{3,12}$', 'Northshire'))).toThrow(/profile\.caseReference\.example is letters only/);
    expect(() => loadProfile(withFormat('^[A-Z0-9-]{3,80}$', `NSCP-${'1'.repeat(70)}`))).toThrow(/longer than the 64 characters/);
  });

  test('a retention period longer than Cosmos DB can keep a record is refused at start-up', () => {
    expect(() => loadProfile(write({ ...portsmouth, retentionDays: 24_856 }))).toThrow(/profile\.retentionDays must be at most 24855 days/);
    expect(loadProfile(write({ ...portsmouth, retentionDays: 24_855 })).retentionDays).toBe(24_855);
  });

  test('a loose case reference format still never takes a name for a reference', () => {
    const loose = { caseReference: { pattern: '^[A-Z0-9 -]{4,20}$', example: 'NS-2026-42', hint: '' } };
    for (const name of ['Smith', 'Mohammed', 'John Smith', '"Jane Smith".']) expect(checkCaseReference(name, loose).ok).toBe(false);
    expect(checkCaseReference('ns-2026-42', loose)).toEqual({ ok: true, value: 'NS-2026-42' });
  });

  test.each([
    ['([A-Z0-9]+-?)+', true],
    ['^(\\w*-)*$', true],
    ['^(?:[A-Z]+[0-9]*){2,}$', true],
    ['^((AB)+C)+$', true],
    ['^(?<prefix>[A-Z]+)+$', true],
    ['^PSCP-[0-9]{4}-[0-9]{3,6}$', false],
    ['^(NSCP|NS)-[0-9]{4}-[0-9]+$', false],
    ['^([A-Z]{4}-){2}[0-9]+$', false],
    ['^(?:[A-Z]+)?-[0-9]+$', false],
    ['^[(+]+[0-9]+$', false],
    ['^(\\+?[A-Z])+$', false],
    // Each repeat begins at a fixed character: one way to split the text.
    ['^[A-Z]{2,5}(-[0-9]+)+$', false],
    ['^[A-Z]+(\\/[0-9]+)*$', false],
    // Optional, that character no longer fixes where a repeat begins.
    ['^(-?[0-9]+)+$', true],
    // Repeated alternatives that can match the same text.
    ['^(\\d|\\w)+$', true],
  ])('the pattern %s repeats a repeating group: %s', (pattern, nested) => {
    expect(nestedRepetition(pattern)).toBe(nested);
  });

  test('a pattern that repeats a repeating group is refused at start-up, with what to write instead', () => {
    const problems = (() => {
      try {
        loadProfile(write({ ...portsmouth, caseReference: { ...portsmouth.caseReference, pattern: '^([A-Z0-9]+-?)+$', example: 'PSCP-2026-0042' } }));
        return [];
      } catch (error) {
        return (error as ProfileError).problems;
      }
    })();
    expect(problems).toEqual([expect.stringMatching(/^profile\.caseReference\.pattern repeats a group that itself repeats.*can take minutes/)]);
  });
});
