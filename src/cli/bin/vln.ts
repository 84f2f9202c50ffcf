#!/usr/bin/env node
/** `vln`: the vostools command, served by vosync (same as `vosync ln`). */
import { runAlias } from '../aliases.js';

void runAlias('vln');
