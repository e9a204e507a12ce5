/**
 * `npm run test:convergence -- --runs N --seed S [--only K] [--log FILE]`:
 * runs N random convergence schedules from seed S (a random seed, printed,
 * when none is given) and prints the figures; exits 1 when any diverged.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { runSuite } from './suite.js';

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`not an integer: ${text}`);
  return value;
}

const program = new Command('test:convergence')
  .option('--runs <n>', 'schedules to run', integer, 100)
  .option('--seed <s>', 'seed of the schedule sequence (default: random)', integer)
  .option('--only <k>', 'run only the k-th schedule (0-based) of the sequence', integer)
  .option('--log <file>', 'write the bridge and emulator debug log here')
  .parse();
const flags = program.opts<{ runs: number; seed?: number; only?: number; log?: string }>();
const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
const logger = flags.log ? pino({ level: 'debug' }, pino.destination(flags.log)) : undefined;
process.stdout.write(`convergence: ${flags.runs} schedules, seed ${seed}\n`);

const report = await runSuite({
  runs: flags.runs,
  seed,
  ...(flags.only !== undefined && { only: flags.only }),
  ...(logger && { logger }),
  onDivergence(index, steps, error) {
    process.stdout.write(
      `\nschedule ${index} diverged (replay: --seed ${seed} --runs ${flags.runs} --only ${index}):\n`,
    );
    process.stdout.write(`${JSON.stringify(steps)}\n${error.message}\n`);
  },
  onProgress(done, figures) {
    if (done % 50 === 0)
      process.stdout.write(
        `  ${done} schedules, ${figures.intents} intents, ${figures.faults} faults, ${figures.divergences} divergences\n`,
      );
  },
});
const { figures } = report;
process.stdout.write(
  `schedules ${figures.schedules}, intents ${figures.intents}, faults injected ${figures.faults}, divergences ${figures.divergences} (seed ${seed}, ${report.seconds.toFixed(0)} s)\n`,
);
process.stdout.write(`answers: ${JSON.stringify(Object.fromEntries(figures.statuses))}\n`);
process.exit(figures.divergences > 0 ? 1 : 0);
