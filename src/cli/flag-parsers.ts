/**
 * Parsers for command-line flag values. Each throws commander's
 * InvalidArgumentError, so a bad value ends the command with a message naming
 * the flag and exit code 2.
 */
import { InvalidArgumentError } from 'commander';

const BROKER_URL_SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];

/** A whole number of milliseconds, at least 1. */
export function parseMilliseconds(text: string): number {
  const ms = Number(text);
  if (!/^[0-9]+$/.test(text) || ms < 1)
    throw new InvalidArgumentError('expected a whole number of milliseconds, 1 or more');
  return ms;
}

/** A parser for a whole number in min..max. */
export function wholeNumberIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number ${min}..${max}`);
    return n;
  };
}

/** An MQTT broker URL: mqtt://, mqtts://, ws:// or wss:// (tcp:// and tls:// as mqtt.js reads them). */
export function parseBrokerUrl(text: string): string {
  let scheme: string;
  try {
    scheme = new URL(text).protocol;
  } catch {
    throw new InvalidArgumentError('expected a broker URL such as mqtt://127.0.0.1:1883');
  }
  if (!BROKER_URL_SCHEMES.includes(scheme))
    throw new InvalidArgumentError(`unsupported scheme ${scheme} (use mqtt:, mqtts:, ws: or wss:)`);
  return text;
}
