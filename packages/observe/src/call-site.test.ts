import { describe, expect, it } from 'vitest';
import { captureCallSite } from './call-site.js';

describe('captureCallSite', () => {
  it('keeps application frames below the given function, innermost first', () => {
    function probe() {
      return captureCallSite(probe, 3);
    }
    function caller() {
      return probe();
    }
    const site = caller();
    expect(site.callSite).toMatch(/^caller .*call-site\.test\.ts:\d+:\d+\)$/);
    expect(site.stack.length).toBeLessThanOrEqual(3);
    expect(site.stack.join('\n')).not.toMatch(/node:|node_modules/);
  });
});
