import { describe, expect, it } from 'vitest';
import { main } from './main.js';

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env });
  return { code, stdout, stderr };
}

describe('dyeline (main)', () => {
  it('prints help for the command and each subcommand', async () => {
    expect(await run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^dyeline — /) as unknown });
    expect((await run(['load', '--help'])).stdout).toMatch(/--sign-key-file/);
    expect((await run(['audit', '-h'])).stdout).toMatch(/audit snapshot --config/);
    // No command at all is a usage error, with the help to fix it.
    expect(await run([])).toMatchObject({ code: 2, stdout: expect.stringMatching(/Usage:/) as unknown });
  });

  it('exits 2 with a clear message on bad input', async () => {
    expect(await run(['lode'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "lode"/) as unknown });
    expect((await run(['load'])).stderr).toMatch(/expected one <url>, got none/);
    expect((await run(['load', 'http://x', '--connections', '1.5'])).stderr).toMatch(/--connections must be an integer/);
    expect((await run(['load', 'http://x', '--header', 'novalue'])).stderr).toMatch(/--header takes key:value/);
    expect((await run(['load', 'http://x'], { DYELINE_SIGN_KEY: 'k'.repeat(32) })).stderr).toMatch(/needs its id/);
    expect((await run(['load', 'http://x', '--color', 'a b'])).stderr).toMatch(/load: color must be/);
    expect((await run(['audit', 'snapshot'])).stderr).toMatch(/--config <file> is required/);
    expect((await run(['audit', 'bogus', '--config', 'x'])).stderr).toMatch(/unknown subcommand "bogus"/);
    const missing = await run(['audit', 'snapshot', '--config', '/nonexistent/audit.yaml', '--out', '/tmp/x']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/invalid config: \(file\): cannot read/) as unknown });
  });
});
