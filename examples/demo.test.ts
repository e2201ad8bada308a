import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';
import type { DemoRow } from './steps/index.js';

function row(rows: readonly DemoRow[], name: string): DemoRow {
  const found = rows.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`the demo has no row "${name}"`);
  return found;
}

describe('the demo (examples/demo.ts)', () => {
  it('routes by the tag, carries it to the last hop, and drops a forged shadow mark', async () => {
    const { rows, ok } = await runDemo();

    expect(row(rows, 'plain').answered).toEqual({ v1: 20 });
    expect(row(rows, 'user: admin').answered).toEqual({ v2: 20 });
    expect(row(rows, 'x-color: v2').answered).toEqual({ v2: 20 });
    expect(row(rows, 'x-canary: true').answered).toEqual({ v2: 20 });
    for (const each of rows) expect({ name: each.name, arrived: each.tagOk }).toEqual({ name: each.name, arrived: each.requests });

    const forged = row(rows, 'forged x-shadow: 1');
    expect(forged.expectedTag).toEqual({});
    expect(forged.note).toBe('shadow dropped 20/20');
    expect(row(rows, 'signed x-shadow: 1').expectedTag).toEqual({ shadow: true });
    expect(row(rows, 'tampered signature').note).toBe('signature refused 20/20');

    expect(rows.filter((each) => !each.ok)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('reports a failure when the gateway routes wrongly', async () => {
    const { rows, ok } = await runDemo({ pick: () => 'v1' });

    expect(ok).toBe(false);
    expect(row(rows, 'user: admin')).toMatchObject({ answered: { v1: 20 }, ok: false });
    // Routing is wrong, propagation is not: the tag still arrives.
    expect(row(rows, 'user: admin').tagOk).toBe(20);
    expect(row(rows, 'plain').ok).toBe(true);
  });
});
