/**
 * Replay of the programmed state after a router lost it. When Initialize
 * answers a fresh SUCCESS instead of SUCCESS_STATE_REBOUND, the routes this
 * client had programmed are gone (purge timeout, router restart); the bridge
 * re-sends them all before any new work, so the router again holds what
 * publishers asked for.
 */
import type { Logger } from 'pino';
import type { DeviceSession } from '../jet/device.js';
import type { BgpPath } from '../jet/model.js';
import { sendInJetRequests } from '../pipeline/jet-requests.js';
import type { ProgrammedPaths } from './programmed.js';

export interface ReplayFailure {
  path: BgpPath;
  status: string;
  jetStatus: number;
}

export interface ReplaySummary {
  requests: number;
  replayed: number;
  /** Paths the router refused; they are dropped from the programmed state. */
  failed: ReplayFailure[];
}

/** Refused paths named in the log line; the rest are counted. */
const LOGGED_FAILURES = 20;

/**
 * Re-sends every programmed path with Update, at most 1000 per request. A reply
 * that stops part-way confirms the paths before the failure; the refused path
 * is dropped from `programmed` (the router does not hold it, so a later
 * announce must add it again) and the rest go again in a new request.
 * DeviceUnavailableError propagates: the session runs its hooks again when the
 * device comes back.
 */
export async function replayProgrammed(session: DeviceSession, programmed: ProgrammedPaths): Promise<ReplaySummary> {
  // A snapshot, since refused paths leave the programmed state while the replay runs.
  const paths = Array.from(programmed.allPaths());
  const summary: ReplaySummary = { requests: 0, replayed: 0, failed: [] };
  await sendInJetRequests(paths, (chunk: BgpPath[]) => session.oper('update', chunk), {
    pathOf: (path) => path,
    confirmed: (done) => {
      summary.replayed += done.length;
    },
    refused: (path, outcome) => {
      summary.failed.push({ path, status: outcome.status, jetStatus: outcome.code });
      programmed.remove(path);
    },
    requested: () => {
      summary.requests += 1;
    },
  });
  return summary;
}

/**
 * Hooks the replay into a session: after every successful Initialize, a
 * rebound session keeps its routes and a fresh one gets the programmed state
 * back. The session runs the hook before it resumes queued work.
 */
export function replayOnReinitialize(session: DeviceSession, programmed: ProgrammedPaths, logger: Logger): void {
  const device = session.device;
  session.onInitialized(async (rebound) => {
    if (rebound) {
      logger.info({ device, paths: programmed.size }, 'session rebound: the router kept the programmed routes');
      return;
    }
    if (programmed.size === 0) return;
    logger.warn({ device, paths: programmed.size }, 'the router lost the programmed routes: replaying them');
    const summary = await replayProgrammed(session, programmed);
    if (summary.failed.length > 0) {
      const refused = summary.failed.slice(0, LOGGED_FAILURES).map(({ path, status }) => ({
        route: `${path.table}|${path.prefix}/${path.length}`,
        nextHops: path.nextHops,
        status,
      }));
      logger.error({ device, refusedCount: summary.failed.length, refused }, 'the router refused replayed routes; they are no longer programmed');
    }
    logger.info({ device, replayed: summary.replayed, requests: summary.requests }, 'replay done');
  });
}
