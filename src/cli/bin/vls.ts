#!/usr/bin/env node
/** `vls`: the vostools command, served by vosync (same as `vosync ls`). */
import { runAlias } from '../aliases.js';

void runAlias('vls');
