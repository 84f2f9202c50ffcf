#!/usr/bin/env node
/** `vmkdir`: the vostools command, served by vosync (same as `vosync mkdir`). */
import { runAlias } from '../aliases.js';

void runAlias('vmkdir');
