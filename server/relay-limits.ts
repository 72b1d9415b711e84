import type { CreationLimits } from './creation-limit.ts';
import { RELAY_DEFAULTS } from './relay.ts';
import { ServerOptionError } from './request-policy.ts';

export type RelayLimits = {
  -readonly [K in keyof typeof RELAY_DEFAULTS]?: number;
};

/**
 * The limits on creating logs (`POST /api/logs`, server/creation-limit.ts), by the
 * names `--relay-limit` takes them: a team behind one address (an office's NAT)
 * may need more than 20 logs at once.
 */
const CREATION_LIMITS = {
  logCreationBurst: 'burst',
  logCreationRefillMs: 'refillMs',
  logCreationsPerWindow: 'maxPerWindow',
  logCreationWindowMs: 'windowMs',
} as const satisfies Record<string, keyof CreationLimits>;

/**
 * Relay limits from `--relay-limit name=value` entries (or FORKLINE_RELAY_LIMITS,
 * comma-separated): any of RELAY_DEFAULTS, or of the log creation limits
 * (CREATION_LIMITS), as a whole number above zero.
 * @throws ServerOptionError naming the entry that is not such a limit
 */
export function parseRelayLimits(entries: readonly string[]): {
  relay: RelayLimits;
  creation: CreationLimits;
} {
  const relay: RelayLimits = {};
  const creation: CreationLimits = {};
  const names = [
    ...Object.keys(RELAY_DEFAULTS),
    ...Object.keys(CREATION_LIMITS),
  ];
  for (const entry of entries) {
    const [name, value, extra] = entry.split('=');
    const refuse = (reason: string) =>
      new ServerOptionError('relay-limit', entry, reason);
    if (extra !== undefined || value === undefined)
      throw refuse('write it as name=value');
    if (!names.some((known) => known === name))
      throw refuse(`the limits are ${names.join(', ')}`);
    const number = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1)
      throw refuse('a limit is a whole number above zero');
    if (Object.hasOwn(CREATION_LIMITS, name!))
      creation[CREATION_LIMITS[name as keyof typeof CREATION_LIMITS]] = number;
    else relay[name as keyof RelayLimits] = number;
  }
  return { relay, creation };
}
