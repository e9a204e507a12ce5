/**
 * The route policy's FlowSpec rules, the `flowspec` section of a device's
 * policy:
 *
 *   "policy": {"tables": ["inet.0", "inetflow.0"],
 *              "flowspec": {"actions": ["discard", "rateLimit"],
 *                           "destinations": ["203.0.113.0/24 le 32"],
 *                           "maxRateLimit": 10000000}}
 *
 * `actions` lists the actions an announce may use (default: all five);
 * `destinations` are route filters the match's destination must fall in (a
 * match without a destination selects traffic to anywhere and is refused
 * when the list is given; default: any destination); `maxRateLimit` is the
 * largest `rateLimit` in bits per second (default: none). A withdraw is
 * checked for its destination only. The table rule is the policy's `tables`,
 * which holds no flow table by default: FlowSpec is off until it is listed.
 */
import { z } from 'zod';
import { FLOW_ACTIONS, type FlowActionName } from '../jet/flowspec.js';
import type { Intent } from './intent.js';
import { UINT32_MAX } from './syntax.js';

export const flowPolicyConfigSchema = z.strictObject({
  actions: z.array(z.enum(FLOW_ACTIONS)).default([...FLOW_ACTIONS]),
  destinations: z.array(z.string()).optional(),
  maxRateLimit: z.int().min(1).max(UINT32_MAX).optional(),
});

export type FlowPolicyConfig = z.output<typeof flowPolicyConfigSchema>;

/** A compiled route filter, as policy.ts makes them. */
export interface DestinationFilter {
  text: string;
  /** Whether `prefix/length` (canonical) falls in the filter. */
  matches(prefix: string, length: number): boolean;
}

export type FlowVerdict = { ok: true } | { ok: false; reason: string };

export interface FlowPolicy {
  check(intent: Intent): FlowVerdict;
}

const ALLOWED = { ok: true } as const;

function listed(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}

/**
 * Compiles the rules; `filterOf` compiles one destination entry (policy.ts's
 * route filters) and throws an Error naming the entry when it is malformed.
 */
export function compileFlowPolicy(
  config: FlowPolicyConfig | undefined,
  filterOf: (text: string) => DestinationFilter,
): FlowPolicy {
  const actions = new Set<FlowActionName>(config?.actions ?? FLOW_ACTIONS);
  const destinations = config?.destinations?.map(filterOf);
  const maxRateLimit = config?.maxRateLimit;
  return {
    check(intent: Intent): FlowVerdict {
      const destination = intent.flowspec?.destination;
      if (destinations !== undefined) {
        const entries = listed(destinations.map((f) => f.text));
        if (destination === undefined) {
          return {
            ok: false,
            reason: `a flow route without a destination matches traffic to anywhere; the policy allows flow destinations ${entries} only`,
          };
        }
        const slash = destination.lastIndexOf('/');
        const [prefix, length] = [destination.slice(0, slash), Number(destination.slice(slash + 1))];
        if (!destinations.some((f) => f.matches(prefix, length))) {
          return {
            ok: false,
            reason: `flow destination ${destination} is not in the allowed flow destinations (${entries})`,
          };
        }
      }
      if (intent.action === 'withdraw') return ALLOWED;
      const then = intent.attributes.then ?? {};
      for (const name of FLOW_ACTIONS) {
        if (then[name] !== undefined && !actions.has(name)) {
          return {
            ok: false,
            reason: `flow action ${name} is not allowed by policy (allowed: ${listed([...actions])})`,
          };
        }
      }
      if (maxRateLimit !== undefined && then.rateLimit !== undefined && then.rateLimit > maxRateLimit) {
        return {
          ok: false,
          reason: `rateLimit ${then.rateLimit} exceeds the policy's maxRateLimit of ${maxRateLimit} bits per second`,
        };
      }
      return ALLOWED;
    },
  };
}
