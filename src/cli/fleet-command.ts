/** `jetbridge fleet`: the live bridges of a fleet and the devices each owns, read from the shared database. */
import type { Command } from 'commander';
import { readFleet, type FleetBridge } from '../fleet/leases.js';
import { CliExit, ExitCode } from './exit.js';

interface FleetFlags {
  stateUrl: string;
  json?: boolean;
}

export function registerFleetCommand(program: Command): void {
  program
    .command('fleet')
    .description('list the live bridges of a fleet (PostgreSQL state) and the devices each owns')
    .requiredOption('--state-url <url>', 'the fleet database (postgres://...)')
    .option('--json', 'print JSON: [{"id", "owned": [...]}]')
    .action(async (flags: FleetFlags) => {
      let fleet: FleetBridge[];
      try {
        fleet = await readFleet(flags.stateUrl);
      } catch (error) {
        throw new CliExit(ExitCode.Unreachable, `cannot read the fleet database: ${(error as Error).message}`);
      }
      process.stdout.write(flags.json ? `${JSON.stringify(fleet)}\n` : describeFleet(fleet));
    });
}

/** One line per live bridge: its client id and the devices it owns. */
export function describeFleet(fleet: readonly FleetBridge[]): string {
  if (fleet.length === 0) return 'no live bridges\n';
  const width = Math.max(...fleet.map((b) => b.id.length));
  return fleet
    .map((b) => `${b.id.padEnd(width)}  ${b.owned.length > 0 ? b.owned.join(', ') : '(no devices)'}\n`)
    .join('');
}
