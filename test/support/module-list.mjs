/**
 * `node --import ./test/support/module-list.mjs …`: appends the URL of every module the process loads (ES
 * modules, and the entry of each CommonJS package imported from one) to the file named by $VOSYNC_MODULE_LIST.
 */
import { register } from 'node:module';

register('./module-list-hooks.mjs', import.meta.url);
