/** Whether a file consent answer's upload URL is somewhere Re-think may send a file (see Config.uploads). */
import type { Config } from '../services/config';

export function mayUploadTo(url: string, policy: Config['uploads']): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'https:' && (policy.httpsOnly || target.protocol !== 'http:')) return false;
  // Credentials in the address are never Teams' way of naming an upload session.
  if (target.username || target.password) return false;
  if (!policy.hosts) return true;
  // An IPv6 address comes in brackets.
  const host = target.hostname.toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
  return policy.hosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}
