#!/usr/bin/env node
/** `vcp`: the vostools command, served by vosync (same as `vosync cp`). */
import { runAlias } from '../aliases.js';

void runAlias('vcp');
