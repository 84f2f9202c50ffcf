#!/usr/bin/env node
/** `vmv`: the vostools command, served by vosync (same as `vosync mv`). */
import { runAlias } from '../aliases.js';

void runAlias('vmv');
