/** Loader hooks of module-list.mjs (they run on the loader's own thread). */
import fs from 'node:fs';
import process from 'node:process';

export async function load(url, context, next) {
  fs.appendFileSync(process.env.VOSYNC_MODULE_LIST, url + '\n');
  return next(url, context);
}
