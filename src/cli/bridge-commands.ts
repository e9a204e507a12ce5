/** `jetbridge run` and `jetbridge validate`: the bridge itself and its config check. */
import type { Command } from 'commander';
import { startBridge } from '../bridge.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../logging.js';
import { ExitCode, fail } from './exit.js';

function load(file: string) {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) fail(ExitCode.Usage, `invalid config ${file}:\n${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') fail(ExitCode.Usage, `config file ${file} not found`);
    throw err;
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the bridge: MQTT intents in, JET requests out, results and events back to MQTT')
    .option('-c, --config <file>', 'config file', 'bridge.config.json')
    .option('--drain-timeout <ms>', 'on SIGTERM, how long in-flight batches may take to finish', '10000')
    .action(async (flags: { config: string; drainTimeout: string }) => {
      const config = load(flags.config);
      const logger = createLogger(config.log.level);
      const bridge = await startBridge(config, logger);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      logger.info('shutting down: no new intents, draining in-flight batches');
      await bridge.stop({ drainTimeoutMs: Number(flags.drainTimeout) });
      process.exitCode = ExitCode.Ok;
    });
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a config file; prints every problem with the field it is in (exit code 2 when invalid)')
    .argument('[config]', 'config file', 'bridge.config.json')
    .action((file: string) => {
      const config = load(file);
      const devices = config.devices.map((d) => `${d.name} (${d.dialect} at ${d.address})`).join(', ');
      process.stdout.write(`${file} is valid: broker ${config.mqtt.url}, topic prefix "${config.mqtt.topicPrefix}", devices ${devices}\n`);
    });
}
