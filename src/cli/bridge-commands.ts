/** `jetbridge run`, `validate` and `schema`: the bridge itself, its config check and the config's JSON Schema. */
import type { Command } from 'commander';
import { type Bridge, StartFailure, type StartFailureKind, startBridge } from '../bridge.js';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../config/json-schema.js';
import { createLogger } from '../logging.js';
import { loadConfigFile } from './config-file.js';
import { ExitCode, fail } from './exit.js';
import { parseMilliseconds } from './flag-parsers.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the bridge: MQTT intents in, JET requests out, results and events back to MQTT')
    .option('-c, --config <file>', 'config file', 'bridge.config.json')
    .option(
      '--drain-timeout <ms>',
      'on SIGTERM, how long in-flight batches may take to finish',
      parseMilliseconds,
      10_000,
    )
    .action(async (flags: { config: string; drainTimeout: number }) => {
      const config = loadConfigFile(flags.config);
      const logger = createLogger(config.log.level);
      // Listening before startup, so that a signal during it stops the bridge once started instead of killing it half-way.
      // Node passes the signal's name to the listener: resolve with nothing, so only a state failure is a failure.
      const stopRequested = new Promise<undefined>((resolve) => {
        const stop = () => resolve(undefined);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const bridge = await startOrExit(() => startBridge(config, logger));
      const failure = await Promise.race([stopRequested, bridge.failed]);
      logger.info('shutting down: no new intents, draining in-flight batches');
      await bridge.stop({ drainTimeoutMs: flags.drainTimeout });
      if (failure === undefined) process.exitCode = ExitCode.Ok;
      else fail(ExitCode.Unreachable, `stopped: the PostgreSQL state connection ended: ${failure.message}`);
    });
}

const START_FAILURE_EXIT: Record<StartFailureKind, number> = {
  config: ExitCode.Usage,
  unreachable: ExitCode.Unreachable,
  'in-use': ExitCode.InUse,
  stopped: ExitCode.Ok,
};

/** The started bridge; a start failure ends the command with its one-line reason and exit code. */
async function startOrExit(start: () => Promise<Bridge>): Promise<Bridge> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof StartFailure) fail(START_FAILURE_EXIT[error.kind], `cannot start: ${error.message}`);
    throw error;
  }
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a config file; prints every problem with the field it is in (exit code 2 when invalid)')
    .argument('[config]', 'config file', 'bridge.config.json')
    .action((file: string) => {
      const config = loadConfigFile(file);
      const devices = config.devices.map((d) => `${d.name} (${d.dialect} at ${d.address})`).join(', ');
      process.stdout.write(
        `${file} is valid: broker ${config.mqtt.urls.join(', ')}, topic prefix "${config.mqtt.topicPrefix}", devices ${devices}\n`,
      );
    });
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description(`print the JSON Schema of the config file (committed as ${CONFIG_SCHEMA_FILE})`)
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
