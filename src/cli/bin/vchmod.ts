#!/usr/bin/env node
/** `vchmod`: the vostools command, served by vosync (same as `vosync chmod`). */
import { runAlias } from '../aliases.js';

void runAlias('vchmod');
