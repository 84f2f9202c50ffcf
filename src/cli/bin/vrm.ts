#!/usr/bin/env node
/** `vrm`: the vostools command, served by vosync (same as `vosync rm`). */
import { runAlias } from '../aliases.js';

void runAlias('vrm');
