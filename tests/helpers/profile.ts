/** The shipped partnership profile with some settings changed, as a partnership would change them, in a file of its own. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PROFILE_PATH } from '../../services/config';

export interface ProfileFile {
  readonly path: string;
  remove(): void;
}

/** `change` gets the shipped profile (parsed) and returns the one to write. */
export function profileFile(change: (shipped: Record<string, unknown> & { reminders: object }) => object): ProfileFile {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rethink-profile-'));
  const file = path.join(dir, 'profile.json');
  fs.writeFileSync(file, JSON.stringify(change(JSON.parse(fs.readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as Record<string, unknown> & { reminders: object })));
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
