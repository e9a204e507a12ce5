/**
 * The TLS file layout of the 2018 JET demo apps: one folder with the CA and a
 * certificate pair. The apps' own READMEs say `ca.crt` while the Go app reads
 * `CA.crt`, so folders prepared for either exist; the bridge and the emulator
 * accept both names.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The CA file names looked for, in order of preference. */
export const DEMO_CA_FILE_NAMES = ['ca.crt', 'CA.crt'] as const;

/** The CA file's name in `dir` (`ca.crt`, else `CA.crt`), or undefined when neither is there. */
export function demoCaFileName(dir: string): (typeof DEMO_CA_FILE_NAMES)[number] | undefined {
  return DEMO_CA_FILE_NAMES.find((name) => existsSync(join(dir, name)));
}
