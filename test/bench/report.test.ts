import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  markdownTable,
  README,
  readRecord,
  replaceTable,
  TABLE_END,
  TABLE_START,
  tableIn,
} from '../../bench/lib/readme-table.js';
import { benchRecord, formatReport, tableLines } from '../../bench/lib/report.js';
import type { RowResult, TargetResult } from '../../bench/lib/row.js';
import { QUICK_SIZES } from '../../bench/lib/sizes.js';

const rows: RowResult[] = [
  {
    id: 'echo',
    title: 'echo',
    figure: '10 msg/s',
    count: 100,
    unit: 'msg',
    subject: 'echo',
    cpu: { wallMs: 1000, cpuMs: { echo: 2 } },
    checks: [],
  },
  {
    id: 'single',
    title: 'single | burst',
    figure: '9 intents/s',
    count: 100,
    unit: 'intent',
    subject: 'bridge',
    cpu: { wallMs: 1000, cpuMs: { bridge: 5 } },
    checks: [{ row: 'single', name: 'single results', expected: 'all', actual: '1 not SUCCESS', pass: false }],
  },
];
const targets: TargetResult[] = [
  { name: 'a', row: 'single', reference: 'echo', text: 'CPU <= 2x echo', value: 2.5, shown: '2.5x', pass: false },
  { name: 'b', row: 'single', text: 'limit', value: 1, shown: '1', pass: true },
];
const record = benchRecord(
  { mode: 'quick', command: 'npm run bench -- --quick', debounceMs: 50, sizes: QUICK_SIZES, loadBefore: [1, 2, 3] },
  rows,
  targets,
);

describe('bench report', () => {
  it('shows each target of a row on a line of its own, and marks the rows others refer to', () => {
    const lines = tableLines(record);
    expect(lines.map((l) => [l.scenario, l.target, l.result])).toEqual([
      ['echo: echo', 'reference', ''],
      ['single: single | burst', 'CPU <= 2x echo', 'FAIL 2.5x'],
      ['', 'limit', 'PASS 1'],
    ]);
    expect(lines[1]!.cost).toBe('bridge 50.0 us/intent');
  });

  it('collects the rows’ correctness checks and prints the failures', () => {
    expect(record.checks).toHaveLength(1);
    expect(formatReport(record)).toContain('single results: expected all, got 1 not SUCCESS');
  });
});

describe('README table', () => {
  it('replaces exactly the text between its markers', () => {
    const readme = `# x\n${TABLE_START}\nold\n${TABLE_END}\nafter\n`;
    const table = markdownTable(record);
    const written = replaceTable(readme, table);
    expect(tableIn(written)).toBe(table);
    expect(written.endsWith(`${TABLE_END}\nafter\n`)).toBe(true);
    expect(table).toContain('single: single \\| burst');
  });

  it('says what is missing when the README has no markers', () => {
    expect(() => replaceTable('# x\n', 'table')).toThrow(/bench-table/);
  });

  it('is, in the README, the table of the committed reference run', () => {
    expect(tableIn(readFileSync(README, 'utf8'))).toBe(markdownTable(readRecord()));
  });
});
