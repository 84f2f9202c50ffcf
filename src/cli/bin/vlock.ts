#!/usr/bin/env node
/** `vlock`: the vostools command, served by vosync (same as `vosync lock`). */
import { runAlias } from '../aliases.js';

void runAlias('vlock');
