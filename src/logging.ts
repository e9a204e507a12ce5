/**
 * One pino logger for the process: JSON lines, or pretty-printed when stderr is a
 * terminal. The level comes from the config, overridden by JETBRIDGE_LOG_LEVEL.
 */
import pino, { type Logger } from 'pino';

export function createLogger(level: string, pretty = process.stderr.isTTY): Logger {
  const options = { level: process.env.JETBRIDGE_LOG_LEVEL ?? level, base: undefined };
  if (pretty)
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'HH:MM:ss.l' } },
    });
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
