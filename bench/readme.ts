/**
 * `npm run bench:readme`: regenerates the README's performance table from
 * bench/results/reference-run.json (the record `npm run bench -- --record`
 * writes). `--check` only says whether the README's table matches the record.
 */
import { parseArgs } from 'node:util';
import { markdownTable, README, readRecord, REFERENCE_RUN, tableIn, writeReadmeTable } from './lib/readme-table.js';
import { readFileSync } from 'node:fs';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const record = readRecord();
if (values.check) {
  const same = tableIn(readFileSync(README, 'utf8')) === markdownTable(record);
  process.stdout.write(same ? 'README table matches the record\n' : `README table differs from ${REFERENCE_RUN}\n`);
  process.exit(same ? 0 : 1);
}
writeReadmeTable(record);
process.stdout.write(`README table regenerated from ${REFERENCE_RUN}\n`);
