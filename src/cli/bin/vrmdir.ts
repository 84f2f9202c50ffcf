#!/usr/bin/env node
/** `vrmdir`: the vostools command, served by vosync (same as `vosync rmdir`). */
import { runAlias } from '../aliases.js';

void runAlias('vrmdir');
