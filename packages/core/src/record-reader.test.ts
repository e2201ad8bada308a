import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRecordReader } from './record-reader.js';

const join = (value: unknown): string | undefined => (Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value));

describe('compileRecordReader', () => {
  it('reads each name in order, normalizing what is not a string', () => {
    const read = compileRecordReader(['x-color', 'x-user', 'set-cookie', 'x-none'], join);
    expect(read({ 'x-color': 'blue', 'set-cookie': ['a=1', 'b=2'], 'x-user': 'ann' })).toEqual(['blue', 'ann', 'a=1, b=2', undefined]);
    // Another record, another shape: the same answers as a plain lookup.
    expect(read({ 'x-user': 'bob', other: 'x' })).toEqual([undefined, 'bob', undefined, undefined]);
  });

  it('takes any name as data, never as code', () => {
    const names = ['"]; throw new Error("injected"); //', "a'b", 'x\\y\n'];
    const read = compileRecordReader(names, join);
    expect(read(Object.fromEntries(names.map((name, i) => [name, `v${i}`])))).toEqual(['v0', 'v1', 'v2']);
  });

  it('falls back to plain lookups where code generation from strings is disallowed', () => {
    const source = fileURLToPath(new URL('./record-reader.ts', import.meta.url));
    const script = `import(${JSON.stringify(source)}).then(({ compileRecordReader }) => {
      const read = compileRecordReader(['a', 'b'], (v) => v.join('+'));
      process.stdout.write(JSON.stringify(read({ a: 'x', b: ['y', 'z'] })));
    });`;
    const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('["x","y+z"]');
  });
});
