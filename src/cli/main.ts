#!/usr/bin/env node
/**
 * Entry point of the `tsbpf` executable.
 * @module
 */
import { runCli } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await runCli(process.argv.slice(2), processIo);
