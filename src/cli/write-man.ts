/** `npm run man` (and the build): writes vosync(1) to dist/man/vosync.1 from the program's help. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../util/version.js';
import { manPage } from './man-page.js';
import { buildProgram } from './program.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'man', 'vosync.1');
// SOURCE_DATE_EPOCH (reproducible builds) fixes the page's date.
const epoch = Number(process.env['SOURCE_DATE_EPOCH']);
const date = (Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date())
  .toISOString()
  .slice(0, 10);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, manPage(buildProgram(), VERSION, date));
process.stdout.write(`wrote ${file}\n`);
