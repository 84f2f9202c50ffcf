#!/usr/bin/env node
/** `vtag`: the vostools command, served by vosync (same as `vosync tag`). */
import { runAlias } from '../aliases.js';

void runAlias('vtag');
