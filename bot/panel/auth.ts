/**
 * Who is calling the side panel's API: the Teams SSO token, checked against Microsoft Entra's
 * signing keys (issuer, audience = the app's id URI, the access_as_user scope, issued to a Teams client, expiry, tenant on the allow-list). Without an
 * app id (local use) the page runs outside Teams as the development identity set in configuration.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

export type PanelAuth =
  | { readonly mode: 'entra'; readonly audience: string; readonly keys: JWTVerifyGetKey; readonly allowedTenantIds: readonly string[] | undefined }
  | { readonly mode: 'development'; readonly user: PanelUser };

export interface PanelUser {
  readonly aadObjectId: string;
  readonly name: string;
  readonly tenantId: string;
  /** Local use only: the Teams id and meeting role it acts with. */
  readonly teamsUserId?: string;
  readonly meetingRole?: string;
  readonly development: boolean;
}

/**
 * `reason`: why it was refused, for the log (never the token): the operator sees what is wrong with
 * the set-up (audience, issuer, scope, tenant, the keys out of reach) where the person sees only
 * "could not be checked".
 */
export type AuthOutcome = { ok: true; user: PanelUser } | { ok: false; status: 401 | 403 | 503; message: string; reason: AuthRefusal; tenantId?: string };

export type AuthRefusal = 'noToken' | 'expired' | 'audience' | 'issuer' | 'tenantNotAllowed' | 'scope' | 'client' | 'noUser' | 'signature' | 'invalid' | 'keysUnavailable';

const NOT_CHECKED = 'Your sign-in could not be checked. Please reopen the panel.';

/** Entra's keys for every tenant, fetched and cached by jose. */
export const entraKeys = (): JWTVerifyGetKey => createRemoteJWKSet(new URL('https://login.microsoftonline.com/common/discovery/v2.0/keys'));

/**
 * The clients a panel token may have been issued to: Teams on the desktop and mobile, and on the web.
 * Another app a person consented to could otherwise obtain a token for the panel's scope and act as them.
 */
const TEAMS_CLIENTS: readonly string[] = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];

const claim = (payload: Record<string, unknown>, name: string): string => (typeof payload[name] === 'string' ? (payload[name] as string) : '');

export async function authenticate(header: string | undefined, auth: PanelAuth): Promise<AuthOutcome> {
  if (auth.mode === 'development') return { ok: true, user: auth.user };
  // The scheme's name is case-insensitive (RFC 7235).
  const token = /^Bearer +(.+)$/i.exec(header ?? '')?.[1];
  if (!token) return { ok: false, status: 401, message: 'Please open Re-think from Teams: it signs you in.', reason: 'noToken' };
  const refused = (reason: AuthRefusal, tenantId?: string): AuthOutcome => ({ ok: false, status: 401, message: NOT_CHECKED, reason, ...(tenantId ? { tenantId } : {}) });
  try {
    // A v1 token's audience is the id URI; a v2 token's (as Teams' SSO guide sets up) is the app's id, its last part.
    const audiences = [auth.audience, auth.audience.split('/').pop() ?? auth.audience];
    const { payload } = await jwtVerify(token, auth.keys, { audience: audiences, algorithms: ['RS256'], clockTolerance: 60 });
    const tenantId = claim(payload, 'tid');
    const issuers = [`https://login.microsoftonline.com/${tenantId}/v2.0`, `https://sts.windows.net/${tenantId}/`];
    if (!tenantId || !issuers.includes(claim(payload, 'iss'))) return refused('issuer', tenantId);
    if (auth.allowedTenantIds && !auth.allowedTenantIds.includes(tenantId)) return { ok: false, status: 403, message: 'The side panel is not available to your organisation. You can still take part using the Re-think card in the meeting chat.', reason: 'tenantNotAllowed', tenantId };
    // A person's token for the panel's scope (Teams SSO), not an app's own token for the same audience.
    if (!claim(payload, 'scp').split(' ').includes('access_as_user') || claim(payload, 'idtyp') === 'app') return refused('scope', tenantId);
    // The client it was issued to: `azp` in a v2 token, `appid` in a v1.
    if (!TEAMS_CLIENTS.includes(claim(payload, 'azp') || claim(payload, 'appid'))) return refused('client', tenantId);
    const aadObjectId = claim(payload, 'oid');
    if (!aadObjectId) return refused('noUser', tenantId);
    return { ok: true, user: { aadObjectId, name: claim(payload, 'name'), tenantId, development: false } };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, status: 401, message: 'Your sign-in has expired. Please reopen the panel.', reason: 'expired' };
    if (error instanceof errors.JWTClaimValidationFailed) return refused(error.claim === 'aud' ? 'audience' : 'invalid');
    if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) return refused('signature');
    // Entra's keys out of reach (a timeout, the network, an error page where the keys should be): nothing is wrong with the person's sign-in.
    const keysOutOfReach = error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.constructor === errors.JOSEError;
    if (keysOutOfReach) return { ok: false, status: 503, message: 'Your sign-in can’t be checked just now. Please try again in a minute.', reason: 'keysUnavailable' };
    return refused('invalid');
  }
}
