#!/usr/bin/env node
/**
 * The `jetbridge` command: `run` (the bridge), `emulator` (a JET emulator),
 * `validate` (a config file), `schema` (the config's JSON Schema), and the MQTT client tools `send`, `watch`,
 * `routes` and `apply`. Exit codes are in src/cli/exit.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './cli/client-commands.js';
import { CliExit, ExitCode } from './cli/exit.js';
import { registerRunCommand, registerSchemaCommand, registerValidateCommand } from './cli/bridge-commands.js';
import { registerFleetCommand } from './cli/fleet-command.js';
import { registerEmulatorCommand } from './emulator/main.js';
import { packageVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('jetbridge')
    .description('MQTT-to-JET bridge for Juniper routers, with a JET emulator')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  registerRunCommand(program);
  registerEmulatorCommand(program);
  registerValidateCommand(program);
  registerSchemaCommand(program);
  registerClientCommands(program);
  registerFleetCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CliExit) {
      process.stderr.write(`jetbridge: ${err.message}\n`);
      process.exitCode = err.code;
    } else if (err instanceof CommanderError) {
      // commander already printed help or the usage error
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    } else {
      process.stderr.write(`jetbridge: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

await main(process.argv);
