/** Where an offered file may be uploaded: the address a file consent answer gives, checked before anything is sent. */
import { mayUploadTo } from '../../bot/uploadTarget';
import { DEFAULT_UPLOAD_HOSTS } from '../../services/config';

const deployed = { hosts: DEFAULT_UPLOAD_HOSTS, httpsOnly: true };
const local = { hosts: undefined, httpsOnly: false };

test.each([
  ['a OneDrive upload session', 'https://contoso-my.sharepoint.com/personal/megan_contoso_com/_api/v2.0/drive/items/01ABC/uploadSession?guid=1', true],
  ['SharePoint in a government cloud', 'https://contoso-my.sharepoint.us/personal/x/_api/v2.0/uploadSession', true],
  ['the cloud’s own name with a trailing dot', 'https://contoso-my.sharepoint.com./upload', true],
  ['plain http, even to SharePoint', 'http://contoso-my.sharepoint.com/upload', false],
  ['a look-alike host', 'https://contoso-my.sharepoint.com.example.org/upload', false],
  ['a host that only ends in the same letters', 'https://evilsharepoint.com/upload', false],
  ['credentials in the address', 'https://user:pass@contoso-my.sharepoint.com/upload', false],
  ['this machine', 'http://127.0.0.1:8080/upload/x', false],
  ['not a URL', 'contoso-my.sharepoint.com/upload', false],
  ['another scheme', 'file:///etc/passwd', false],
])('deployed: %s → %s', (_name, url, allowed) => {
  expect(mayUploadTo(url, deployed)).toBe(allowed);
});

test('locally, with no hosts set, any http or https address (the tests’ own stand-ins), and nothing else', () => {
  expect(mayUploadTo('http://127.0.0.1:8080/upload/x', local)).toBe(true);
  expect(mayUploadTo('https://contoso-my.sharepoint.com/upload', local)).toBe(true);
  expect(mayUploadTo('file:///etc/passwd', local)).toBe(false);
  expect(mayUploadTo('ftp://127.0.0.1/upload', local)).toBe(false);
  expect(mayUploadTo('http://127.0.0.1:8080/upload/x', { hosts: ['sharepoint.com'], httpsOnly: false })).toBe(false);
  expect(mayUploadTo('http://[::1]:8080/upload/x', { hosts: ['::1'], httpsOnly: false })).toBe(true);
});
