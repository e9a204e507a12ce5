/** Which device a client command addresses: -d, the positional argument, or the config's only device. */
import { describe, expect, it } from 'vitest';
import { chooseDevice } from '../../src/cli/broker-flags.js';
import { CliExit, ExitCode } from '../../src/cli/exit.js';

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliExit);
    expect((error as CliExit).code).toBe(ExitCode.Usage);
    return (error as CliExit).message;
  }
  throw new Error('accepted');
}

describe('chooseDevice', () => {
  it('takes -d, else the positional argument, else the only configured device', () => {
    expect(chooseDevice('r2', undefined, ['r1'])).toBe('r2');
    expect(chooseDevice(undefined, 'r3', ['r1'])).toBe('r3');
    expect(chooseDevice(undefined, undefined, ['r1'])).toBe('r1');
    expect(chooseDevice('r1', 'r1', [])).toBe('r1');
  });

  it('refuses two different devices', () => {
    expect(usageError(() => chooseDevice('r1', 'r2', []))).toBe('two devices given: r2 and -d r1; give one');
  });

  it('asks which device when the config has none or several, listing them', () => {
    expect(usageError(() => chooseDevice(undefined, undefined, []))).toBe('which device? give -d <name>');
    expect(usageError(() => chooseDevice(undefined, undefined, ['r1', 'r2']))).toBe(
      'which device? give -d <name> (the config has r1, r2)',
    );
  });
});
