import { RELAY_DEFAULTS } from './relay.ts';
import { ServerOptionError } from './request-policy.ts';

export type RelayLimits = {
  -readonly [K in keyof typeof RELAY_DEFAULTS]?: number;
};

/**
 * Relay limits from `--relay-limit name=value` entries (or FORKLINE_RELAY_LIMITS,
 * comma-separated): any of RELAY_DEFAULTS, as a whole number above zero.
 * @throws ServerOptionError naming the entry that is not such a limit
 */
export function parseRelayLimits(entries: readonly string[]): RelayLimits {
  const limits: RelayLimits = {};
  for (const entry of entries) {
    const [name, value, extra] = entry.split('=');
    const refuse = (reason: string) =>
      new ServerOptionError('relay-limit', entry, reason);
    if (extra !== undefined || value === undefined)
      throw refuse('write it as name=value');
    if (!Object.hasOwn(RELAY_DEFAULTS, name!))
      throw refuse(`the limits are ${Object.keys(RELAY_DEFAULTS).join(', ')}`);
    const number = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1)
      throw refuse('a limit is a whole number above zero');
    limits[name as keyof RelayLimits] = number;
  }
  return limits;
}
