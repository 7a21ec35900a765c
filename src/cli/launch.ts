#!/usr/bin/env node
/**
 * The `tsbpf` executable as built (dist/cli/tsbpf.js): starts the pool worker threads a
 * `run ... --workers N` asks for (cli/pool-prespawn.ts), then loads the command line (the bundle of
 * cli/main.ts beside it, tsbpf-main.js), so that the threads boot while it loads.
 * @module
 */
import { prespawnPoolWorkers } from './pool-prespawn.js';

prespawnPoolWorkers(process.argv.slice(2), new URL('./pool-thread.js', import.meta.url));
await import(new URL('./tsbpf-main.js', import.meta.url).href);
