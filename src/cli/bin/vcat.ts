#!/usr/bin/env node
/** `vcat`: the vostools command, served by vosync (same as `vosync cat`). */
import { runAlias } from '../aliases.js';

void runAlias('vcat');
