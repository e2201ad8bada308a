#!/usr/bin/env node
// The `dyeline` executable: everything is in main(); this file only binds it
// to the process (argv, Ctrl-C, exit code).
import { main } from './main.js';

const controller = new AbortController();
// First Ctrl-C: stop the load early and still print the report; second: leave.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dyeline: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
