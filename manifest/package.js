'use strict';
/**
 * Builds the Teams app package (manifest/build/rethink.zip) for sideloading or upload to the
 * Teams admin centre.
 *
 *   npm run package -- --app-id <guid>
 *   MICROSOFT_APP_ID=<guid> npm run package
 *   npm run package -- --app-id <guid> --out <path/to/file.zip>
 *   npm run package -- --app-id <guid> --profile <partnership profile.json>   (or PARTNERSHIP_PROFILE)
 *
 * Replaces ${{MICROSOFT_APP_ID}} in manifest.json with the bot's Microsoft App ID, and the
 * partnership's name, pages and five steps with those in its profile (the one the app runs with, so
 * a profile and settings are all that differ between partnerships). Validates
 * the result against the Teams manifest schema bundled in @microsoft/app-manifest (offline),
 * and zips manifest.json, color.png and outline.png at the root of the package.
 *
 * Without an app id it uses a clearly fake placeholder and warns: that package validates but
 * will not reach a real bot.
 */
const fs = require('fs');
const path = require('path');
const JSZip = require('jszip');
const { AppManifestUtils } = require('@microsoft/app-manifest');

const MANIFEST_DIR = __dirname;
const DEFAULT_OUT_FILE = path.join(MANIFEST_DIR, 'build', 'rethink.zip');
const PLACEHOLDER = '${{MICROSOFT_APP_ID}}';
const DOMAIN_PLACEHOLDER = '${{APP_DOMAIN}}';
const SSO_PLACEHOLDER = '${{SSO_APP_ID}}';
const LOCAL_PLACEHOLDER_DOMAIN = 'rethink.example.org';
const DOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;
const LOCAL_PLACEHOLDER_APP_ID = '00000000-0000-4000-8000-000000000000';
const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ICONS = ['color.png', 'outline.png'];
const DEFAULT_PROFILE = path.join(__dirname, '..', 'services', 'profile', 'portsmouth.json');
const PAGES = ['websiteUrl', 'privacyUrl', 'termsOfUseUrl'];

class PackageError extends Error {
  constructor(message, details = []) {
    super(message);
    this.name = 'PackageError';
    this.details = details;
  }
}

/**
 * What the package takes from the partnership profile: its names, its pages and its five steps' titles.
 * The app checks the whole profile when it starts; this checks what the package needs.
 */
function partnershipOf(profilePath = DEFAULT_PROFILE) {
  let profile;
  try {
    profile = JSON.parse(fs.readFileSync(profilePath, 'utf8'));
  } catch (error) {
    throw new PackageError(`The partnership profile ${profilePath} can't be read as JSON (${error.message}).`);
  }
  const p = (profile && profile.partnership) || {};
  const given = (key) => typeof p[key] === 'string' && p[key].trim() !== '';
  const titles = Array.isArray(profile.stages) ? profile.stages.map((s) => s && s.title).filter((t) => typeof t === 'string' && t.trim() !== '') : [];
  const publisher = given('publisherName') ? p.publisherName.trim() : typeof p.shortName === 'string' ? p.shortName.trim() : '';
  const problems = [
    ...['name', 'shortName', ...PAGES].filter((key) => !given(key)).map((key) => `partnership.${key} is missing`),
    ...(publisher.length > 32 ? [`partnership.${given('publisherName') ? 'publisherName' : 'shortName'} is the publisher's name in Teams, at most 32 characters (set partnership.publisherName)`] : []),
    ...PAGES.filter((key) => given(key) && !p[key].startsWith('https://')).map((key) => `partnership.${key} must be an https:// address`),
    ...(titles.length === 5 ? [] : ['stages must give the five steps, each with a title']),
  ];
  if (problems.length > 0) throw new PackageError(`The partnership profile ${profilePath} lacks what the app package needs.`, problems);
  return {
    PARTNERSHIP_NAME: p.name,
    PARTNERSHIP_SHORT_NAME: publisher,
    PARTNERSHIP_WEBSITE_URL: p.websiteUrl,
    PARTNERSHIP_PRIVACY_URL: p.privacyUrl,
    PARTNERSHIP_TERMS_URL: p.termsOfUseUrl,
    STAGES: `${titles.slice(0, -1).map((t) => `“${t.trim()}”`).join(', ')} and “${titles[titles.length - 1].trim()}”`,
  };
}

/** Replaces every placeholder (app id, domain, the partnership's own texts) in the manifest text and parses the result. */
function renderManifest(templateText, appId, domain = LOCAL_PLACEHOLDER_DOMAIN, ssoAppId = appId, partnership = partnershipOf()) {
  if (!GUID_PATTERN.test(appId)) {
    throw new PackageError(`The app id "${appId}" is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).`);
  }
  if (!GUID_PATTERN.test(ssoAppId)) {
    throw new PackageError(`The SSO app id "${ssoAppId}" is not a GUID.`);
  }
  // Teams grants the meeting permissions (resource-specific consent) to webApplicationInfo's app, and
  // the bot is what asks for roles and receives the meeting's end: another app there leaves the bot
  // none, and Re-thinks in meetings could not be moved on or closed.
  if (ssoAppId.toLowerCase() !== appId.toLowerCase()) {
    throw new PackageError(
      `The side panel's sign-in app (${ssoAppId}) must be the bot's own app (${appId}): Teams gives the meeting permissions to that app, and the bot makes those calls. ` +
        'Use one app registration for both (a single-tenant bot that exposes api://<domain>/<bot app id>; see infra/README.md), or leave out --sso-app-id and SSO_APP_ID.',
    );
  }
  if (!DOMAIN_PATTERN.test(domain)) {
    throw new PackageError(`The domain "${domain}" is not a host name such as rethink.example.org (no https://, no path).`);
  }
  let text = templateText.split(PLACEHOLDER).join(appId).split(DOMAIN_PLACEHOLDER).join(domain).split(SSO_PLACEHOLDER).join(appId);
  // Inside JSON strings: a partnership name with quotes in it must stay valid JSON.
  for (const [key, value] of Object.entries(partnership)) text = text.split(`\${{${key}}}`).join(JSON.stringify(value).slice(1, -1));
  const leftover = text.match(/\$\{\{[^}]*\}\}/g);
  if (leftover) {
    throw new PackageError(`manifest.json has placeholders this script does not fill: ${[...new Set(leftover)].join(', ')}`);
  }
  return JSON.parse(text);
}

/**
 * Builds the package. Resolves to { outFile, manifest }; rejects with a PackageError (with
 * `details` listing schema errors) if the app id or the manifest is invalid.
 *
 * @param {{ appId: string, outFile?: string, manifestDir?: string, profilePath?: string }} options
 */
async function buildPackage(options) {
  const { appId, domain, ssoAppId, outFile = DEFAULT_OUT_FILE, manifestDir = MANIFEST_DIR, profilePath = DEFAULT_PROFILE } = options;
  const template = fs.readFileSync(path.join(manifestDir, 'manifest.json'), 'utf8');
  const manifest = renderManifest(template, appId, domain, ssoAppId, partnershipOf(profilePath));

  const errors = await AppManifestUtils.validateAgainstSchema(manifest);
  if (errors.length > 0) {
    throw new PackageError(`manifest.json does not match its schema (${manifest.$schema}).`, errors);
  }
  for (const icon of ICONS) {
    if (!fs.existsSync(path.join(manifestDir, icon))) {
      throw new PackageError(`${icon} is missing from ${manifestDir}. Run "node manifest/icons.js" to draw the icons.`);
    }
  }

  const zip = new JSZip();
  // A fixed date keeps the zip byte-for-byte the same for the same inputs.
  const date = new Date('2020-01-01T00:00:00Z');
  zip.file('manifest.json', JSON.stringify(manifest, null, 2) + '\n', { date });
  for (const icon of ICONS) zip.file(icon, fs.readFileSync(path.join(manifestDir, icon)), { date });
  const content = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });

  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, content);
  return { outFile, manifest };
}

function parseArgs(argv) {
  const args = { appId: undefined, domain: undefined, ssoAppId: undefined, outFile: undefined, profilePath: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline !== undefined ? inline : argv[++i];
      if (v === undefined || v === '') throw new PackageError(`${flag} needs a value.`);
      return v;
    };
    if (flag === '--app-id') args.appId = value();
    else if (flag === '--domain') args.domain = value();
    else if (flag === '--sso-app-id') args.ssoAppId = value();
    else if (flag === '--out') args.outFile = path.resolve(value());
    else if (flag === '--profile') args.profilePath = path.resolve(value());
    else if (flag === '--help' || flag === '-h') args.help = true;
    else throw new PackageError(`Unknown argument "${arg}". Use --app-id <guid>, --domain <host> and, optionally, --profile <file.json> and --out <file.zip>.`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log('Usage: npm run package -- [--app-id <guid>] [--domain <host>] [--sso-app-id <guid>] [--profile <file.json>] [--out <file.zip>]\n' +
      'The app id can also come from MICROSOFT_APP_ID, the domain where the app is served (for the meeting side panel) from APP_DOMAIN,\n' +
      'and the partnership profile from PARTNERSHIP_PROFILE (the Portsmouth default otherwise).');
    return;
  }
  let appId = args.appId || process.env.MICROSOFT_APP_ID;
  if (!appId) {
    appId = LOCAL_PLACEHOLDER_APP_ID;
    console.warn(
      `Warning: no app id given (--app-id <guid> or MICROSOFT_APP_ID), so using the fake local placeholder ${LOCAL_PLACEHOLDER_APP_ID}.\n` +
        'This package will not reach a real bot: do not upload it to Teams.',
    );
  }
  let domain = args.domain || process.env.APP_DOMAIN;
  if (!domain) {
    domain = LOCAL_PLACEHOLDER_DOMAIN;
    console.warn(`Warning: no domain given (--domain <host> or APP_DOMAIN), so using ${LOCAL_PLACEHOLDER_DOMAIN}: the meeting side panel will not load from this package.`);
  }
  // The side panel signs in with the bot's own app registration (it must expose an API, which a
  // managed identity can't: such a bot runs without the panel). Given, it must be the bot's id.
  const ssoAppId = (args.ssoAppId || process.env.SSO_APP_ID || appId).trim();
  const profilePath = args.profilePath || (process.env.PARTNERSHIP_PROFILE ? path.resolve(process.env.PARTNERSHIP_PROFILE) : DEFAULT_PROFILE);
  const { outFile } = await buildPackage({ appId: appId.trim(), domain: domain.trim(), ssoAppId, outFile: args.outFile, profilePath });
  const shown = path.relative(process.cwd(), outFile);
  // Which partnership it is for: a package built without --profile is Portsmouth's, whoever deploys it.
  const profile = JSON.parse(fs.readFileSync(profilePath, 'utf8'));
  const publisher = profile.partnership?.publisherName ?? profile.partnership?.shortName ?? '';
  console.log(`Wrote ${shown && !shown.startsWith('..') ? shown : outFile} (app id ${appId.trim()}), for ${publisher} (profile ${path.relative(process.cwd(), profilePath) || profilePath}).`);
}

module.exports = { buildPackage, renderManifest, PackageError, LOCAL_PLACEHOLDER_APP_ID, DEFAULT_OUT_FILE };

if (require.main === module) {
  main().catch((err) => {
    if (err instanceof PackageError) {
      console.error(`Could not build the Teams app package: ${err.message}`);
      for (const detail of err.details) console.error(`  - ${detail}`);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  });
}
