// Bundles the side panel page into panel/build/ (served by the app at /panel/).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'build');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['chrome110', 'edge110', 'safari16'],
  outfile: path.join(out, 'panel.js'),
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src', 'panel.css'), path.join(out, 'panel.css'));
copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
