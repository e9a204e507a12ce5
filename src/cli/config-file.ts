/** Loading the bridge's config file for a command, with failures as usage errors (exit code 2). */
import { ConfigError, loadConfig } from '../config/load.js';
import type { BridgeConfig } from '../config/schema.js';
import { ExitCode, fail } from './exit.js';

/** The validated config in `file`; a missing or invalid file stops the command with exit code 2. */
export function loadConfigFile(file: string): BridgeConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    // loadConfig reports an unreadable file as a ConfigError too; name the usual cause plainly.
    if (err instanceof ConfigError && err.problems.some((p) => p.endsWith('(ENOENT)')))
      fail(ExitCode.Usage, `config file ${file} not found`);
    if (err instanceof ConfigError) fail(ExitCode.Usage, err.message);
    throw err;
  }
}
