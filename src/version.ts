/**
 * jetbridge's own version, read from package.json, so `--version` and the build
 * info metric say what was installed. The file is found by walking up from this
 * module, which runs from src/ under tsx and from dist/src/ when built.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return file;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in ${start} or above`);
  }
}

/** The `version` of jetbridge's package.json. */
export function packageVersion(): string {
  const file = findPackageJson(path.dirname(fileURLToPath(import.meta.url)));
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${file} has no "version"`);
  return version;
}
