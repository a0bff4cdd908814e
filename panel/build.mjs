// Bundles the side panel page into panel/build/ (served by the app at /panel/).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'build');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { panel: path.join(here, 'src', 'main.ts'), config: path.join(here, 'src', 'config.ts') },
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['chrome110', 'edge110', 'safari16'],
  outdir: out,
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src', 'panel.css'), path.join(out, 'panel.css'));
for (const page of ['index.html', 'config.html']) copyFileSync(path.join(here, page), path.join(out, page));
