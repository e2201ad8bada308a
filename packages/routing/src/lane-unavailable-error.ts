import { DyelineError, brandError } from '@dyeline/core';

/**
 * A colored request found no instance of its color and the router was built
 * with `force: true`, so it may not fall back to the base lane.
 */
export class LaneUnavailableError extends DyelineError {
  /** The destination host. */
  readonly host: string;
  /** The lane (color) that has no instance. */
  readonly color: string;

  constructor(host: string, color: string) {
    super('ERR_DYELINE_LANE_UNAVAILABLE', `no instance of ${host} in lane "${color}" and fallback is forced off`);
    this.host = host;
    this.color = color;
  }
}

/** True when `error` is a {@link LaneUnavailableError} from any copy of dyeline. */
export const isLaneUnavailableError = brandError(LaneUnavailableError, 'LaneUnavailableError');
