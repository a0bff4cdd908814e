import fs from 'fs';
import { execFileSync } from 'child_process';
import os from 'os';
import path from 'path';
import zlib from 'zlib';
import JSZip from 'jszip';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';

// @microsoft/app-manifest requires strip-bom, which is ES-module only: plain Node 20 loads it with
// require(esm), but Jest's module loader cannot. This stand-in does the same thing (drops a
// leading byte-order mark); jest.mock is hoisted above the imports.
jest.mock('strip-bom', () => ({
  __esModule: true,
  default: (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text),
}));

interface BuildResult {
  outFile: string;
  manifest: unknown;
}
interface PackageModule {
  buildPackage(options: { appId: string; ssoAppId?: string; outFile?: string; manifestDir?: string; profilePath?: string }): Promise<BuildResult>;
}
// manifest/package.js is a plain CommonJS script (run by `npm run package`), so it has no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPackage } = require('../../manifest/package.js') as PackageModule;

interface Command {
  title: string;
  description: string;
}
interface Manifest {
  manifestVersion: string;
  $schema: string;
  id: string;
  bots: { botId: string; scopes: string[]; commandLists: { scopes: string[]; commands: Command[] }[] }[];
}

const APP_ID = '3f2b8c1e-7d4a-4e59-9b6c-0a1d2e3f4a5b';
const COMMANDS = ['start', 'status', 'list', 'help'];
const SCOPES = ['personal', 'groupChat', 'team'];

interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  pixels: Uint8Array;
}

/** Reads the IHDR size of a PNG. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes an 8-bit RGBA, non-interlaced PNG whose rows all use filter type 0 (as manifest/icons.js writes). */
function decodePng(png: Buffer): Png {
  const { width, height } = pngSize(png);
  expect(png[24]).toBe(8); // bit depth
  expect(png[25]).toBe(6); // RGBA
  expect(png[28]).toBe(0); // not interlaced
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString('ascii', offset + 4, offset + 8) === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0); // filter type 0
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, pixels };
}

describe('Teams app package', () => {
  let dir: string;
  let zip: JSZip;
  let manifest: Manifest;

  const realFetch = globalThis.fetch;
  beforeAll(async () => {
    // The validator fetches a schema the package does not carry: in these tests that fails, rather than reach the internet.
    globalThis.fetch = async (input) => {
      throw new Error(`The manifest tests send nothing off this machine, but something fetched ${String(input)}`);
    };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rethink-manifest-'));
    const outFile = path.join(dir, 'rethink.zip');
    const result = await buildPackage({ appId: APP_ID, outFile });
    expect(result.outFile).toBe(outFile);
    zip = await JSZip.loadAsync(fs.readFileSync(outFile));
    const manifestFile = zip.file('manifest.json');
    if (!manifestFile) throw new Error('manifest.json is missing from the package');
    manifest = JSON.parse(await manifestFile.async('string')) as Manifest;
  });

  afterAll(() => {
    globalThis.fetch = realFetch;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function entry(name: string): Promise<Buffer> {
    const file = zip.file(name);
    if (!file) throw new Error(`${name} is missing from the package`);
    return file.async('nodebuffer');
  }

  it('holds exactly manifest.json, color.png and outline.png at the root', () => {
    const names = Object.values(zip.files)
      .filter((f) => !f.dir)
      .map((f) => f.name)
      .sort();
    expect(names).toEqual(['color.png', 'manifest.json', 'outline.png']);
  });

  it('validates against the Teams manifest schema it names, read from the package (never fetched)', async () => {
    const version = /^https:\/\/developer\.microsoft\.com\/json-schemas\/teams\/(v1\.\d+)\/MicrosoftTeams\.schema\.json$/.exec(String(manifest.$schema))?.[1];
    expect(version).toBe(`v${manifest.manifestVersion}`);
    // A version the package does not carry fails here (and building the package failed first, on the fetch).
    const file = path.join(path.dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams', version ?? '', 'MicrosoftTeams.schema.json');
    expect(fs.existsSync(file)).toBe(true);
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1];
    await expect(AppManifestUtils.validateAgainstSchema(manifest as unknown as AppManifest, schema)).resolves.toEqual([]);
  });

  it('uses the given app id for the app and the bot, with no placeholders left', async () => {
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0]?.botId).toBe(APP_ID);
    expect((await entry('manifest.json')).toString('utf8')).not.toContain('${{');
  });

  it('names the partnership of the profile as publisher, with its pages and its five steps', async () => {
    const portsmouth = manifest as unknown as { developer: Record<string, string>; description: { full: string } };
    expect(portsmouth.developer).toEqual({ name: 'Portsmouth SCP', websiteUrl: 'https://www.portsmouthscp.org.uk/', privacyUrl: 'https://www.portsmouthscp.org.uk/privacy', termsOfUseUrl: 'https://www.portsmouthscp.org.uk/terms-of-use' });
    expect(portsmouth.description.full).toContain('following the Portsmouth Safeguarding Children Partnership model: “What has happened?”, “Thinking and feeling”, “Who has been affected, and how?”, “What is needed?” and “Agreeing actions”. Everyone');

    // Another partnership: only its profile differs. A name with quotes stays valid JSON.
    const profile = JSON.parse(fs.readFileSync(path.join(__dirname, '../../services/profile/portsmouth.json'), 'utf8')) as { partnership: Record<string, string>; stages: { title: string }[] };
    delete profile.partnership.publisherName;
    profile.partnership = { ...profile.partnership, name: 'Solent "Together" Partnership', shortName: 'Solent SP', websiteUrl: 'https://solent.example.org/', privacyUrl: 'https://solent.example.org/privacy', termsOfUseUrl: 'https://solent.example.org/terms' };
    profile.stages[0] = { ...profile.stages[0], title: 'What happened?' } as { title: string };
    const profilePath = path.join(dir, 'solent.json');
    fs.writeFileSync(profilePath, JSON.stringify(profile));
    const solent = (await buildPackage({ appId: APP_ID, outFile: path.join(dir, 'solent.zip'), profilePath })).manifest as { developer: Record<string, string>; description: { full: string } };
    expect(solent.developer).toEqual({ name: 'Solent SP', websiteUrl: 'https://solent.example.org/', privacyUrl: 'https://solent.example.org/privacy', termsOfUseUrl: 'https://solent.example.org/terms' });
    expect(solent.description.full).toContain('following the Solent "Together" Partnership model: “What happened?”, “Thinking and feeling”');
    expect(JSON.stringify(solent)).not.toContain('Portsmouth');

    fs.writeFileSync(profilePath, JSON.stringify({ ...profile, partnership: { ...profile.partnership, privacyUrl: 'http://solent.example.org/privacy', termsOfUseUrl: '' } }));
    await expect(buildPackage({ appId: APP_ID, outFile: path.join(dir, 'bad.zip'), profilePath })).rejects.toMatchObject({
      message: expect.stringContaining('lacks what the app package needs'),
      details: ['partnership.termsOfUseUrl is missing', 'partnership.privacyUrl must be an https:// address'],
    });
    fs.writeFileSync(profilePath, JSON.stringify({ ...profile, partnership: { ...profile.partnership, shortName: 'The Solent Safeguarding Partnership Board' } }));
    await expect(buildPackage({ appId: APP_ID, outFile: path.join(dir, 'bad.zip'), profilePath })).rejects.toMatchObject({
      details: [expect.stringContaining('partnership.shortName is the publisher\'s name in Teams, at most 32 characters')],
    });
  });

  it('offers start, status, list and help in personal, group chat and team scopes', () => {
    const bot = manifest.bots[0];
    if (!bot) throw new Error('no bot');
    expect([...bot.scopes].sort()).toEqual([...SCOPES].sort());
    for (const scope of SCOPES) {
      const titles = bot.commandLists.filter((l) => l.scopes.includes(scope)).flatMap((l) => l.commands.map((c) => c.title));
      expect(titles).toEqual(expect.arrayContaining(COMMANDS));
    }
  });

  it('adds a configurable tab to meetings (chat, details, side panel, stage) with SSO and the consent the meeting features need', () => {
    const m = manifest as unknown as {
      configurableTabs: { configurationUrl: string; context: string[]; meetingSurfaces: string[] }[];
      webApplicationInfo: { id: string; resource: string };
      validDomains: string[];
      authorization: { permissions: { resourceSpecific: { name: string }[] } };
    };
    const [tab] = m.configurableTabs;
    expect(tab?.configurationUrl).toBe('https://rethink.example.org/panel/config.html');
    expect([...(tab?.context ?? [])].sort()).toEqual(['meetingChatTab', 'meetingDetailsTab', 'meetingSidePanel', 'meetingStage']);
    expect(tab?.meetingSurfaces).toEqual(['sidePanel', 'stage']);
    expect(m.webApplicationInfo).toEqual({ id: APP_ID, resource: `api://rethink.example.org/${APP_ID}` });
    expect(m.validDomains).toEqual(['rethink.example.org']);
    expect(m.authorization.permissions.resourceSpecific.map((p) => p.name).sort()).toEqual(['ChannelMeeting.ReadBasic.Group', 'ChannelMeetingParticipant.Read.Group', 'ChannelMeetingStage.Write.Group', 'MeetingStage.Write.Chat', 'OnlineMeeting.ReadBasic.Chat', 'OnlineMeetingParticipant.Read.Chat']);
  });

  it('has a 192x192 colour icon and a 32x32 outline icon', async () => {
    expect(pngSize(await entry('color.png'))).toEqual({ width: 192, height: 192 });
    expect(pngSize(await entry('outline.png'))).toEqual({ width: 32, height: 32 });
  });

  it('draws the outline icon in white on transparent only', async () => {
    const { width, height, pixels } = decodePng(await entry('outline.png'));
    let visible = 0;
    for (let i = 0; i < width * height * 4; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a === 0) continue;
      visible++;
      expect([r, g, b]).toEqual([255, 255, 255]);
    }
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(width * height); // some of it is transparent
  });

  it('rejects an app id that is not a GUID', async () => {
    await expect(buildPackage({ appId: 'not-a-guid', outFile: path.join(dir, 'bad.zip') })).rejects.toThrow(/not a GUID/);
    expect(fs.existsSync(path.join(dir, 'bad.zip'))).toBe(false);
  });

  it('refuses a side panel sign-in app other than the bot: Teams grants the meeting permissions to webApplicationInfo’s app, and the bot uses them', async () => {
    const other = '99999999-2222-4333-8444-555555555555';
    await expect(buildPackage({ appId: APP_ID, ssoAppId: other, outFile: path.join(dir, 'two-apps.zip') })).rejects.toThrow(/must be the bot's own app/);
    expect(fs.existsSync(path.join(dir, 'two-apps.zip'))).toBe(false);
    const same = await buildPackage({ appId: APP_ID, ssoAppId: APP_ID.toUpperCase(), outFile: path.join(dir, 'one-app.zip') });
    expect(same.manifest).toMatchObject({ webApplicationInfo: { id: APP_ID } });
  });
});

test('npm run package says which partnership’s profile the package was built from', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rethink-package-'));
  const portsmouth = JSON.parse(fs.readFileSync(path.join(__dirname, '../../services/profile/portsmouth.json'), 'utf8')) as { partnership: Record<string, unknown> };
  const northshire = path.join(dir, 'northshire.json');
  fs.writeFileSync(northshire, JSON.stringify({ ...portsmouth, partnership: { ...portsmouth.partnership, name: 'Northshire Safeguarding Children Partnership', shortName: 'Northshire SCP', publisherName: 'Northshire SCP' } }));
  const run = (...extra: string[]) =>
    execFileSync(process.execPath, [path.join(__dirname, '../../manifest/package.js'), '--app-id', '00000000-0000-4000-8000-000000000abc', '--domain', 'example.org', '--out', path.join(dir, 'rethink.zip'), ...extra], { encoding: 'utf8', env: { ...process.env, PARTNERSHIP_PROFILE: '' } });
  try {
    expect(run()).toMatch(/, for Portsmouth SCP \(profile .*portsmouth\.json\)\.\n$/);
    expect(run('--profile', northshire)).toMatch(/, for Northshire SCP \(profile .*northshire\.json\)\.\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
