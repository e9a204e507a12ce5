/**
 * The README's performance table, generated from the committed record of a
 * full run (bench/results/reference-run.json), so that every figure in the
 * README can be traced to a file and checked. `npm run bench -- --record`
 * writes the record and the table; `npm run bench:readme` regenerates the
 * table from the record alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableLines, type BenchRecord } from './report.js';
import { REPO_ROOT } from './stack.js';

export const REFERENCE_RUN = join(REPO_ROOT, 'bench/results/reference-run.json');
export const README = join(REPO_ROOT, 'README.md');

export const TABLE_START =
  '<!-- bench-table: generated from bench/results/reference-run.json by npm run bench:readme -->';
export const TABLE_END = '<!-- /bench-table -->';

/** Markdown cells cannot hold a bare `|`. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The table and a line saying which run it shows. */
export function markdownTable(record: BenchRecord): string {
  const { machine } = record;
  const passed = record.targets.filter((t) => t.pass).length;
  const about =
    `${record.mode} run of ${record.date.slice(0, 16).replace('T', ' ')} UTC, commit ${record.commit ?? 'unknown'}: ` +
    `\`${record.command}\`, ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, ` +
    `load average before ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}; ` +
    `targets met: ${passed} of ${record.targets.length}.`;
  const lines = [
    '| row | figure | CPU/item | target | result |',
    '| --- | --- | --- | --- | --- |',
    ...tableLines(record).map(
      (line) =>
        `| ${cell(line.scenario)} | ${cell(line.figure)} | ${cell(line.cost)} | ${cell(line.target)} | ${cell(line.result)} |`,
    ),
  ];
  return [about, '', ...lines].join('\n');
}

/** `readme` with the text between the table markers replaced by `table`. */
export function replaceTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`the README has no generated table to replace: it needs the lines\n${TABLE_START}\n${TABLE_END}`);
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}

/** The table between the markers of `readme`, as replaceTable writes it. */
export function tableIn(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  return start < 0 || end < start ? undefined : readme.slice(start + TABLE_START.length + 1, end - 1);
}

export function readRecord(file = REFERENCE_RUN): BenchRecord {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
}

export function writeReadmeTable(record: BenchRecord, readme = README): void {
  writeFileSync(readme, replaceTable(readFileSync(readme, 'utf8'), markdownTable(record)));
}
