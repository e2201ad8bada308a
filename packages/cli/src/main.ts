import { isAuditConfigError } from './audit-config-error.js';
import { isAuditProbeError } from './audit-probe-error.js';
import { auditCommand } from './audit-command.js';
import { EXIT } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { loadCommand } from './load-command.js';
import { isUsageError } from './usage-error.js';

/** `dyeline --help` */
export const MAIN_HELP = `dyeline — stress-test tools for dyed (tagged) traffic

Usage:
  dyeline load <url> [options]                       signed, tagged load (autocannon)
  dyeline audit --config <audit.yaml> -- <command>   production must not change while <command> runs
  dyeline audit snapshot --config <f> --out <s.json>
  dyeline audit check --config <f> --before <s.json>
  dyeline <command> --help

Exit codes: 0 ok · 1 failed (errors over threshold, production changed)
            2 bad flags or config · 3 a target could not be read`;

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/**
 * The `dyeline` command: runs `argv` (without `node` and the script) and
 * returns the exit code. Never throws: errors are printed to `io.stderr`.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(`${MAIN_HELP}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === 'load') return await loadCommand(rest, io);
    if (command === 'audit') return await auditCommand(rest, io);
    io.stderr(`dyeline: unknown command "${command}"\n\n${MAIN_HELP}\n`);
    return EXIT.usage;
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr(`dyeline ${error.message}\nRun "dyeline ${command} --help" for the options.\n`);
      return EXIT.usage;
    }
    if (isAuditConfigError(error)) {
      io.stderr(`dyeline audit: invalid config: ${error.message}\n`);
      return EXIT.usage;
    }
    if (isAuditProbeError(error)) {
      io.stderr(`dyeline audit: cannot measure, so cannot vouch for isolation: ${error.message}\n`);
      return EXIT.unmeasured;
    }
    io.stderr(`dyeline ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
