/**
 * Teams SSO tokens for the side panel, minted here with a local signing key that the app is told to
 * trust in place of Microsoft Entra's (no traffic leaves this machine).
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { PanelAuth } from '../../bot/panel/auth';
import { TENANT, type TestUser } from './activities';

export const AUDIENCE = 'api://rethink.test/00000000-0000-4000-8000-0000000000bb';

export interface MintOptions {
  audience?: string;
  tenant?: string;
  expiresIn?: string | number;
  key?: KeyLike;
  appOnly?: boolean;
  /** The client the token was issued to (Teams on the web, by default). */
  client?: string;
}

export interface TeamsSso {
  readonly panelAuth: PanelAuth;
  mint(user: TestUser, overrides?: MintOptions): Promise<string>;
}

export async function teamsSso(): Promise<TeamsSso> {
  const keys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test', alg: 'RS256' };
  return {
    panelAuth: { mode: 'entra', audience: AUDIENCE, keys: createLocalJWKSet({ keys: [jwk] }), allowedTenantIds: [TENANT] },
    mint: (user, overrides = {}) => {
      const tenant = overrides.tenant ?? TENANT;
      const audience = overrides.audience ?? AUDIENCE;
      // As Entra issues them: a v1 token is for the id URI, from sts.windows.net; a v2 token for the app's id.
      const issuer = audience.startsWith('api://') ? `https://sts.windows.net/${tenant}/` : `https://login.microsoftonline.com/${tenant}/v2.0`;
      // Teams SSO gives a user's token for the app's one scope; an app's own token has roles, and no scope.
      // And names the client it was issued to: `appid` in a v1 token, `azp` in a v2.
      const client = { [audience.startsWith('api://') ? 'appid' : 'azp']: overrides.client ?? '5e3ce6c0-2b1f-4285-8d4b-75ee78787346' };
      return new SignJWT({ oid: user.aadObjectId, name: user.name, tid: tenant, ...client, ...(overrides.appOnly ? { idtyp: 'app', roles: ['Panel.Read'] } : { scp: 'access_as_user' }) })
        .setProtectedHeader({ alg: 'RS256', kid: 'test' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(overrides.expiresIn ?? '10m')
        .sign(overrides.key ?? keys.privateKey);
    },
  };
}
