// Figures as the console table and as docs/benchmarks.md: each weft figure beside its peer, with a ratio and
// whether weft meets its target.
import type { Summary } from './stats.js';

export interface Figure {
  metric: string;
  unit: string;
  better: 'lower' | 'higher';
  weft: Summary | null;
  peer?: { name: string; value: Summary | null };
  target?: { text: string; met: boolean | null };
  note?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  method: string;
  figures: Figure[];
  /** Set when the scenario could not run to the end: why. */
  error?: string;
  seconds: number;
}

export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function cell(s: Summary | null | undefined, unit: string): string {
  if (!s) return '–';
  const spread = s.n > 1 ? ` (${fmt(s.min)}–${fmt(s.max)}, n=${s.n})` : '';
  return `${fmt(s.median)} ${unit}${spread}`;
}

function ratio(f: Figure): string {
  const w = f.weft?.median;
  const p = f.peer?.value?.median;
  if (w === undefined || p === undefined || p === 0) return '–';
  const r = w / p;
  // Two significant digits for the tiny ratios against documented multi-second peers.
  return `${Math.abs(r) < 0.1 ? r.toPrecision(2) : r.toFixed(2)}×`;
}

function verdict(f: Figure): string {
  if (!f.target) return '';
  if (f.target.met === null) return `${f.target.text}: not measured`;
  return `${f.target.text}: ${f.target.met ? 'met' : '**MISSED**'}`;
}

export function printScenario(r: ScenarioResult): void {
  console.log(`\n== ${r.id}. ${r.title} (${r.seconds.toFixed(0)} s)`);
  if (r.error) console.log(`   FAILED: ${r.error}`);
  for (const f of r.figures) {
    const peer = f.peer ? `   ${f.peer.name}: ${cell(f.peer.value, f.unit)}   weft/peer ${ratio(f)}` : '';
    console.log(`  ${f.metric}: weft ${cell(f.weft, f.unit)}${peer}`);
    if (f.target) console.log(`     target ${verdict(f).replace(/\*\*/g, '')}`);
    if (f.note) console.log(`     ${f.note}`);
  }
}

export interface ReportHeader {
  date: string;
  mode: string;
  machine: Record<string, string>;
  versions: Record<string, string>;
}

export function markdown(h: ReportHeader, results: ScenarioResult[]): string {
  const lines = [
    '# weft benchmarks',
    '',
    `Written by \`npm run bench${h.mode === 'quick' ? ' -- --quick' : ''}\` on ${h.date} (${h.mode} mode). ` +
      'Each cell shows the median, then min–max over the repeated runs (n). The ratio is weft ÷ peer, ' +
      'so below 1 is better for weft where lower is better (times, CPU, memory) and above 1 where higher is better (rates). ' +
      "Where a figure is named p50/p99 of single samples (scenarios 2, 2b, 7), the value is that percentile over n samples and the range is the samples' min–max.",
    '',
    '| machine | |',
    '| --- | --- |',
    ...Object.entries(h.machine).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '| version | |',
    '| --- | --- |',
    ...Object.entries(h.versions).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Summary',
    '',
    '| scenario | figure | weft | peer | ratio | target |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    for (const f of r.figures) {
      const peer = f.peer ? `${f.peer.name}: ${cell(f.peer.value, f.unit)}` : '';
      lines.push(
        `| ${r.id} | ${f.metric} | ${cell(f.weft, f.unit)} | ${peer} | ${ratio(f)} | ${verdict(f)} |`,
      );
    }
    if (r.error) lines.push(`| ${r.id} | **failed**: ${r.error.replace(/\|/g, '/')} | | | | |`);
  }
  for (const r of results) {
    lines.push('', `## ${r.id}. ${r.title}`, '', r.method.trim(), '');
    for (const f of r.figures.filter((x) => x.note)) lines.push(`- ${f.metric}: ${f.note}`);
  }
  return lines.join('\n') + '\n';
}
