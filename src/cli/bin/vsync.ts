#!/usr/bin/env node
/** `vsync`: the vostools command, served by vosync (same as `vosync sync`). */
import { runAlias } from '../aliases.js';

void runAlias('vsync');
