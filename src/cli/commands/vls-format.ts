/**
 * vls's long-listing layout, column for column (vostools `vls.py`), so scripts that cut or awk its output
 * keep working: permissions (11, left), creator (' ' + 20), read group and write group (' ' + 15 each, the
 * GMS prefix removed), lock (' ' + 8), size (12, right, then ' '), date (`%b %d %H:%M ` this year, else
 * `%b %d  %Y `, local time), name (`name -> target` for links).
 */
import { GMS_PREFIX } from '../../vospace/gms.js';
import { permissionString, type NodeInfo } from '../../vospace/node.js';
import { PROP } from '../../vospace/xml.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface VlsColumns {
  /** -l: all columns including the creator. */
  long: boolean;
  /** -g: the same columns without the creator (when -l is absent). */
  group: boolean;
  /** -h: sizes in B/K/M/G/T. */
  human: boolean;
}

/** `CN=Test User,OU=…` → `test_user`; a plain name stays; missing → `unknown_000` (vos `get_info`). */
export function vlsCreator(creator: string | undefined): string {
  if (!creator) return 'unknown_000';
  const m = /CN=([^,]*)/i.exec(creator);
  if (m) return (m[1] ?? '').trim().toLowerCase().replace(/ /g, '_');
  return creator;
}

/** The raw group property as vls shows it: `NONE` when absent, prefixes removed. */
export function vlsGroup(info: NodeInfo, prop: string): string {
  const raw = info.properties[prop];
  if (raw === undefined || raw.trim() === '') return 'NONE';
  return raw.split(GMS_PREFIX).join('');
}

/** Python's `'%.0f' % x`: round half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The size column: `%12s ` of the byte count, or of `<n><unit>` with -h (0 stays `0`). */
export function vlsSize(size: number, human: boolean): string {
  let text = String(Math.trunc(size));
  if (human && size > 0) {
    const units = ['B', 'K', 'M', 'G', 'T'];
    const scale = Math.trunc(Math.log(size) / Math.log(1024));
    const unit = units[scale];
    if (unit !== undefined) text = `${roundHalfEven(size / 1024 ** scale)}${unit}`;
  }
  return text.padStart(12) + ' ';
}

const two = (n: number) => String(n).padStart(2, '0');

/** The date column in local time; `now` decides whether the year or the time of day is shown. */
export function vlsDate(epochMs: number | undefined, now: number): string {
  // vos truncates dates to whole seconds before formatting.
  const d = new Date(Math.floor((epochMs ?? 0) / 1000) * 1000);
  const month = MONTHS[d.getMonth()];
  if (d.getFullYear() !== new Date(now).getFullYear()) {
    return `${month} ${two(d.getDate())}  ${d.getFullYear()} `;
  }
  return `${month} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())} `;
}

/** The name column: links show `name -> target`. */
export function vlsName(info: NodeInfo, name = info.name): string {
  return info.kind === 'link' ? `${name} -> ${info.target ?? ''}` : name;
}

/** One vls output line (without the newline). With neither -l nor -g it is just the name. */
export function vlsLine(info: NodeInfo, cols: VlsColumns, now: number, name = info.name): string {
  if (!cols.long && !cols.group) return vlsName(info, name);
  let line = permissionString(info).padEnd(11);
  if (cols.long) line += ' ' + vlsCreator(info.creator).padEnd(20);
  line += ' ' + vlsGroup(info, PROP.groupread).padEnd(15);
  line += ' ' + vlsGroup(info, PROP.groupwrite).padEnd(15);
  line += ' ' + (info.locked ? 'LOCKED' : '').padEnd(8);
  line += vlsSize(info.size, cols.human);
  line += vlsDate(info.date, now);
  return line + vlsName(info, name);
}
