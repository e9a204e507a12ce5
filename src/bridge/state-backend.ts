/**
 * Opens the state backend the config names: PostgreSQL when `state.url` is set,
 * else the SQLite files at `state.path` (the embedded default). A backend that
 * cannot be opened is a start failure naming the setting.
 */
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/schema.js';
import type { Topics } from '../mqtt/topics.js';
import { SqliteState, type StateBackend } from '../state/backend.js';
import { PostgresState, redactedUrl } from '../state/postgres.js';
import { errorText, StartFailure } from './lifecycle.js';

/**
 * `onLost` is called once if the PostgreSQL connection ends while the bridge
 * runs: nothing can be recorded from then on.
 */
export async function openStateBackend(
  config: BridgeConfig,
  topics: Topics,
  logger: Logger,
  onLost: (error: Error) => void,
): Promise<StateBackend> {
  const { url, path } = config.state;
  if (url !== undefined) {
    const state = await PostgresState.open({ url, onLost }).catch((error: unknown) => {
      throw new StartFailure('unreachable', `state.url: ${errorText(error)}`, { cause: error });
    });
    logger.info({ url: redactedUrl(url) }, 'state in PostgreSQL');
    return state;
  }
  // A bridge that is just stopping releases the inbox file within moments; another running one never does.
  const state = await SqliteState.open(path, (topic) => topics.parseInbound(topic)?.device, {
    busyTimeoutMs: 1000,
  }).catch((error: unknown) => {
    const reason = errorText(error);
    throw new StartFailure(/in use/.test(reason) ? 'in-use' : 'config', `state.path: ${reason}`, { cause: error });
  });
  const { setAside, adopted } = state.notes;
  if (setAside)
    logger.error(
      setAside,
      'the inbox file was unreadable (a machine crash?); moved it aside and started with an empty inbox',
    );
  if (adopted > 0) logger.info({ count: adopted }, 'moved pending requests from the state file into the inbox file');
  return state;
}
