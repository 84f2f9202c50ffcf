/**
 * What a benchmark reports: named figures, each with the baseline measured in the same run, the ratio to it,
 * and the target it is held to. Rendering as a Markdown table and as JSON lives here too.
 */

export interface Baseline {
  label: string;
  value: number;
  unit: string;
}

export interface Target {
  /** How the target reads, e.g. "≥ 1,000 files/s". */
  text: string;
  met: boolean;
}

export interface Figure {
  /** Stable key, e.g. `upload.filesPerSecond`; tests and JSON consumers use it. */
  key: string;
  label: string;
  /** Undefined when the figure could not be measured in this run (`note` says why). */
  value: number | undefined;
  unit: string;
  baseline?: Baseline;
  /** vosync ÷ baseline (for rates) or vosync ÷ baseline (for times): `ratioMeaning` says which reading is good. */
  ratio?: number;
  ratioMeaning?: string;
  target?: Target;
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  figures: Figure[];
  /** Set-up facts and findings worth printing next to the figures. */
  notes: string[];
  seconds: number;
  /** The machine's 1-minute load average when the benchmark started and ended (others' work skews timings). */
  load?: { start: number; end: number };
}

/** A bound for a figure: `atLeast(1000, 'files/s')` reads "≥ 1,000 files/s". */
export function atLeast(bound: number, unit = ''): (v: number) => Target {
  return (v) => ({ text: `≥ ${fmt(bound)}${unit ? ' ' + unit : ''}`, met: v >= bound });
}

export function atMost(bound: number, unit = ''): (v: number) => Target {
  return (v) => ({ text: `≤ ${fmt(bound)}${unit ? ' ' + unit : ''}`, met: v <= bound });
}

export function below(bound: number, unit = ''): (v: number) => Target {
  return (v) => ({ text: `< ${fmt(bound)}${unit ? ' ' + unit : ''}`, met: v < bound });
}

export function equalTo(bound: number): (v: number) => Target {
  return (v) => ({ text: `= ${fmt(bound)}`, met: v === bound });
}

/** Builds a figure, applying the target to the value (and nothing when the value is missing). */
export function figure(f: {
  key: string;
  label: string;
  value: number | undefined;
  unit: string;
  baseline?: Baseline;
  ratioMeaning?: string;
  target?: (v: number) => Target;
  /** The target applies to the ratio rather than the value. */
  ratioTarget?: (r: number) => Target;
  note?: string;
}): Figure {
  const out: Figure = { key: f.key, label: f.label, value: f.value, unit: f.unit };
  if (f.baseline) {
    out.baseline = f.baseline;
    if (f.value !== undefined && f.baseline.value > 0) out.ratio = f.value / f.baseline.value;
    if (f.ratioMeaning) out.ratioMeaning = f.ratioMeaning;
  }
  if (f.value !== undefined && f.target) out.target = f.target(f.value);
  if (out.ratio !== undefined && f.ratioTarget) out.target = f.ratioTarget(out.ratio);
  if (f.note) out.note = f.note;
  return out;
}

/** Numbers as people read them: thousands separated, 3 significant digits below 100. */
export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** One Markdown table per benchmark, then its notes. */
export function toMarkdown(results: BenchResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const load = r.load ? `, load average ${r.load.start.toFixed(1)} → ${r.load.end.toFixed(1)}` : '';
    lines.push(`### ${r.title} (\`${r.name}\`, ${r.seconds.toFixed(0)} s${load})`, '');
    lines.push('| Figure | vosync | Baseline (same run) | Ratio | Target | Met |');
    lines.push('|---|---|---|---|---|---|');
    for (const f of r.figures) {
      const value = f.value === undefined ? '—' : `${fmt(f.value)} ${f.unit}`.trim();
      const base = f.baseline
        ? `${f.baseline.label}: ${fmt(f.baseline.value)} ${f.baseline.unit}`.trim()
        : '';
      const ratio =
        f.ratio === undefined ? '' : `${fmt(f.ratio)}×${f.ratioMeaning ? ` (${f.ratioMeaning})` : ''}`;
      const target = f.target?.text ?? '';
      const met = f.target ? (f.target.met ? 'yes' : '**no**') : '';
      const label = f.note ? `${f.label} — ${f.note}` : f.label;
      lines.push(
        `| ${cell(label)} | ${cell(value)} | ${cell(base)} | ${cell(ratio)} | ${cell(target)} | ${met} |`,
      );
    }
    if (r.notes.length > 0) {
      lines.push('');
      for (const n of r.notes) lines.push(`- ${n}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Plain-text lines for the terminal while the run goes on. */
export function toText(r: BenchResult): string {
  const load = r.load ? `, load ${r.load.start.toFixed(1)} → ${r.load.end.toFixed(1)}` : '';
  const out = [`== ${r.title} (${r.seconds.toFixed(1)} s${load})`];
  for (const f of r.figures) {
    let line = `  ${f.label}: ${f.value === undefined ? '—' : `${fmt(f.value)} ${f.unit}`}`;
    if (f.baseline) line += ` | ${f.baseline.label}: ${fmt(f.baseline.value)} ${f.baseline.unit}`;
    if (f.ratio !== undefined) line += ` | ratio ${fmt(f.ratio)}×`;
    if (f.target) line += ` | target ${f.target.text}: ${f.target.met ? 'met' : 'MISSED'}`;
    if (f.note) line += ` (${f.note})`;
    out.push(line);
  }
  for (const n of r.notes) out.push(`  - ${n}`);
  return out.join('\n');
}
