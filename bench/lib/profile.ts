/**
 * Where the time went: the functions with the most self time in a V8 CPU
 * profile (`node --cpu-prof`), summed over every call site of the same
 * function, with the idle time left out of the percentages.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name (file:line)`, with the file relative to the repository or node_modules. */
  location: string;
  selfMs: number;
  /** Share of the non-idle time. */
  percent: number;
}

export interface ProfileSummary {
  /** Time with the thread busy (JS, GC, native), in ms. */
  busyMs: number;
  idleMs: number;
  top: SelfTime[];
}

function locationOf({ functionName, url, lineNumber }: ProfileNode['callFrame'], repoRoot: string): string {
  const name = functionName || '(anonymous)';
  if (url === '') return name;
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(repoRoot, '');
  return `${name} (${file}:${lineNumber + 1})`;
}

export function summarizeProfile(file: string, repoRoot: string, limit = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; it is charged to the sample, as DevTools does.
    const delta = profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (node === undefined) return;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    busyUs += delta;
    const location = locationOf(node.callFrame, repoRoot);
    selfUs.set(location, (selfUs.get(location) ?? 0) + delta);
  });
  const top = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([location, us]) => ({ location, selfMs: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, top };
}

export function formatProfile(name: string, summary: ProfileSummary): string {
  const lines = [`${name}: busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms; top self time:`];
  for (const entry of summary.top) {
    lines.push(
      `  ${entry.selfMs.toFixed(0).padStart(7)} ms ${entry.percent.toFixed(1).padStart(5)}%  ${entry.location}`,
    );
  }
  return lines.join('\n');
}
