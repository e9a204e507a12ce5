/**
 * The bench's verdict: every row with its figure, its CPU per item and its
 * targets against references from the same run, printed as a table and kept
 * as a JSON record (from which the README's table is generated, see
 * readme-table.ts). Correctness checks (every result arrived and succeeded,
 * every route reached the emulator) must hold for the run to count.
 */
import { cpus } from 'node:os';
import type { CpuUse } from './metrics.js';
import { cpuPerItemUs, type Check, type RowResult, type TargetResult } from './row.js';
import type { Sizes } from './sizes.js';

export interface BenchRecord {
  date: string;
  mode: 'full' | 'quick';
  command: string;
  /** The commit the bench ran on, and whether the tree had changes on top. */
  commit?: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  settings: { debounceMs: number; sizes: Sizes };
  rows: RowResult[];
  targets: TargetResult[];
  checks: Check[];
}

export interface RecordContext {
  mode: BenchRecord['mode'];
  command: string;
  commit?: string;
  debounceMs: number;
  sizes: Sizes;
  loadBefore: number[];
}

export function benchRecord(context: RecordContext, rows: RowResult[], targets: TargetResult[]): BenchRecord {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    mode: context.mode,
    command: context.command,
    ...(context.commit !== undefined && { commit: context.commit }),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: context.loadBefore,
    },
    settings: { debounceMs: context.debounceMs, sizes: context.sizes },
    rows,
    targets,
    checks: rows.flatMap((row) => row.checks),
  };
}

/** One line of a table: a row's scenario, figure and cost, then a target and its verdict. */
export interface TableLine {
  scenario: string;
  figure: string;
  cost: string;
  target: string;
  result: string;
}

/** The row's cost: its subject's CPU per item. */
export function costText(row: RowResult): string {
  const us = cpuPerItemUs(row);
  return Number.isFinite(us) ? `${row.subject} ${us.toFixed(1)} us/${row.unit}` : '';
}

/** A line per row, and one more per target past its first; references say so. */
export function tableLines(record: Pick<BenchRecord, 'rows' | 'targets'>): TableLine[] {
  const referenced = new Set(record.targets.flatMap((t) => (t.reference === undefined ? [] : [t.reference])));
  const lines: TableLine[] = [];
  for (const row of record.rows) {
    const targets = record.targets.filter((t) => t.row === row.id);
    const first = { scenario: `${row.id}: ${row.title}`, figure: row.figure, cost: costText(row) };
    if (targets.length === 0) {
      lines.push({ ...first, target: referenced.has(row.id) ? 'reference' : '', result: '' });
      continue;
    }
    targets.forEach((target, i) => {
      const verdict = `${target.pass ? 'PASS' : 'FAIL'} ${target.shown}`;
      lines.push({
        ...(i === 0 ? first : { scenario: '', figure: '', cost: '' }),
        target: target.text,
        result: verdict,
      });
    });
  }
  return lines;
}

function textTable(lines: TableLine[]): string {
  const header: TableLine = { scenario: 'row', figure: 'figure', cost: 'CPU/item', target: 'target', result: 'result' };
  const all = [header, ...lines];
  const keys: (keyof TableLine)[] = ['scenario', 'figure', 'cost', 'target'];
  const widths = keys.map((key) => Math.max(...all.map((line) => line[key].length)));
  const format = (line: TableLine) =>
    [...keys.map((key, i) => line[key].padEnd(widths[i]!)), line.result].join(' | ').trimEnd();
  return [format(header), '-'.repeat(widths.reduce((a, b) => a + b, 0) + 20), ...lines.map(format)].join('\n');
}

/** One line per row: wall time, each process's share of a core, and its CPU us per item. */
export function cpuLines(rows: readonly RowResult[]): string[] {
  return rows.flatMap((row) => {
    if (row.cpu === undefined) return [];
    const { wallMs, cpuMs }: CpuUse = row.cpu;
    const shares = Object.entries(cpuMs).map(([proc, used]) => `${proc} ${((100 * used) / wallMs).toFixed(0)}%`);
    const perItem = Object.entries(cpuMs).map(([proc, used]) => `${proc} ${((1000 * used) / row.count).toFixed(1)}`);
    return [
      `  ${row.id.padEnd(13)} ${String(wallMs).padStart(6)} ms: ${shares.join(', ')}; us/${row.unit}: ${perItem.join(', ')}`,
    ];
  });
}

export function formatReport(record: BenchRecord): string {
  const failed = record.checks.filter((c) => !c.pass);
  const passed = record.targets.filter((t) => t.pass).length;
  const lines = [textTable(tableLines(record)), ''];
  lines.push(
    `targets met: ${passed} of ${record.targets.length}${record.mode === 'quick' ? ' (quick run: small counts, targets not asserted)' : ''}`,
  );
  lines.push(
    failed.length === 0
      ? 'correctness: every result arrived and succeeded; every route reached the emulator'
      : 'CORRECTNESS FAILURES:',
  );
  for (const check of failed) lines.push(`  ${check.name}: expected ${check.expected}, got ${check.actual}`);
  lines.push(
    '',
    'CPU during each row (share of one core; the machine may be shared), and CPU us per item:',
    ...cpuLines(record.rows),
  );
  return lines.join('\n');
}
