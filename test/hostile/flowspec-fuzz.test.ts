/**
 * Hostile FlowSpec intents: random and malformed `flowspec` / `then` objects
 * never crash the parser; whatever the policy admits stays inside it (allowed
 * destinations and actions, the largest rate limit), and whatever the bridge
 * would send is a flow route the router accepts, in both dialects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KnownTables, Rejection, RouteValidator } from '../../src/emulator/validation.js';
import { parseIntentPayload } from '../../src/intent/parse.js';
import { compilePolicy } from '../../src/intent/policy.js';
import { intentToPaths } from '../../src/intent/route-key.js';
import { BgpRouteUpdateRequest } from '../../src/gen/bgp_route_service.js';
import { RouteUpdateRequest } from '../../src/gen/jnx_routing_bgp_service.js';
import { jnxCodec, legacyCodec } from '../../src/jet/codec/index.js';
import type { BgpPath } from '../../src/jet/model.js';

const policy = compilePolicy({
  tables: ['inetflow.0', 'inet6flow.0'],
  flowspec: { actions: ['discard', 'rateLimit'], destinations: ['203.0.113.0/24 le 32'], maxRateLimit: 1_000_000 },
});
const validator = new RouteValidator(new KnownTables());

const anything = fc.oneof(
  fc.integer({ min: -10, max: 70_000 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('udp', 'tcp', '1-5', '>=1024', '<0', '9-3', '65536', null, true, [], {}),
);
/** Mostly sound values with hostile ones mixed in, so that some intents pass and reach the checks. */
const mostly = <T>(sound: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: sound }, { weight: 1, arbitrary: anything });
const prefix = fc.oneof(
  fc.constantFrom(
    '203.0.113.0/24',
    '203.0.113.7/32',
    '198.51.100.0/24',
    '0.0.0.0/0',
    '2001:db8::/32',
    '203.0.113.1/24',
  ),
  fc.string({ maxLength: 20 }),
);
const flowspec = fc.record(
  {
    destination: mostly(fc.constantFrom('203.0.113.0/24', '203.0.113.7/32', '198.51.100.0/24')).chain((d) =>
      fc.oneof(fc.constant(d), prefix),
    ),
    source: prefix,
    protocols: fc.array(mostly(fc.constantFrom('udp', 'tcp', 6, 17, '1-5')), { minLength: 1, maxLength: 4 }),
    destinationPorts: fc.array(mostly(fc.integer({ min: 0, max: 65535 })), { minLength: 1, maxLength: 4 }),
    packetLengths: fc.array(mostly(fc.constantFrom('>=400', '0-100', 1500)), { minLength: 1, maxLength: 3 }),
    dscp: fc.array(mostly(fc.integer({ min: 0, max: 63 })), { minLength: 1, maxLength: 3 }),
    tcpFlags: fc.array(fc.constantFrom('syn', 'ack', 'xmas', 'fin'), { minLength: 1, maxLength: 3 }),
    fragment: fc.array(fc.constantFrom('is-fragment', 'not-a-fragment', 'dont-fragment'), {
      minLength: 1,
      maxLength: 2,
    }),
  },
  { requiredKeys: ['destination'] },
);
const randomThen = fc.record(
  {
    discard: mostly(fc.boolean()),
    rateLimit: mostly(fc.integer({ min: -1, max: 2 ** 33 })),
    markDscp: fc.integer({ min: -1, max: 70 }),
    redirect: fc.constantFrom('target:65000:1', '65000:1', 'target:x:y'),
    sample: fc.boolean(),
  },
  { requiredKeys: [] },
);
const then = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom({ discard: true }, { rateLimit: 500_000 }, { rateLimit: 5_000_000 }, { markDscp: 10 }),
  },
  { weight: 1, arbitrary: randomThen },
);
const intent = fc.record(
  {
    action: fc.constantFrom('announce', 'withdraw', 'explode'),
    flowspec,
    then,
    table: fc.constantFrom('inetflow.0', 'inet.0', 'inet6flow.0'),
  },
  { requiredKeys: ['flowspec'] },
);

/** Through the dialect's bytes and back, as the router would read it. */
function onTheWire(path: BgpPath) {
  const legacy = legacyCodec.decodePath(
    BgpRouteUpdateRequest.decode(BgpRouteUpdateRequest.encode({ bgpRoutes: [legacyCodec.encodePath(path)] }).finish())
      .bgpRoutes[0]!,
  );
  const jnx = jnxCodec.decodePath(
    RouteUpdateRequest.decode(RouteUpdateRequest.encode({ routes: [jnxCodec.encodePath(path)] }).finish()).routes[0]!,
  );
  return [legacy, jnx];
}

describe('hostile FlowSpec intents', () => {
  it('never crash, and nothing outside the policy or malformed for the router gets through', () => {
    let admitted = 0;
    fc.assert(
      fc.property(fc.array(intent, { minLength: 1, maxLength: 5 }), (intents) => {
        const parsed = parseIntentPayload(JSON.stringify(intents));
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        for (const entry of parsed.entries) {
          if (!('intent' in entry)) continue;
          const verdict = policy.check(entry.intent);
          if (!verdict.ok) continue;
          admitted += 1;
          const { flowspec: match, attributes, action } = entry.intent;
          expect(match?.destination).toMatch(/^203\.0\.113\.\d+\/(2[4-9]|3[0-2])$/);
          if (action === 'announce') {
            expect(attributes.then?.markDscp).toBeUndefined();
            expect(attributes.then?.redirect).toBeUndefined();
            expect(attributes.then?.rateLimit ?? 0).toBeLessThanOrEqual(1_000_000);
            for (const path of intentToPaths('r1', entry.intent)) {
              for (const wire of onTheWire(path)) {
                const checked = validator.path(wire);
                expect(checked instanceof Rejection ? checked.message : '').toBe('');
                expect((checked as BgpPath).prefix).toBe(path.prefix);
              }
            }
          }
        }
      }),
      // One admissible intent among the random ones, so the checks below always run at least once.
      {
        numRuns: 400,
        examples: [[[{ flowspec: { destination: '203.0.113.0/24', protocols: ['udp'] }, then: { discard: true } }]]],
      },
    );
    expect(admitted).toBeGreaterThan(0);
  });
});
