/**
 * The flat form of a router's JET notification, for devices configured with
 * `notify.normalize: true`.
 *
 * A router publishes `{"jet-event": {"event-id", "hostname", "time",
 * "severity", "facility", "attributes": {...}}}`; the flat form lifts the
 * attributes beside the header fields and adds the router's topic:
 * `{"eventId", "hostname", "time", "severity", "facility", ...attributes,
 * "topic"}`, which is easier to match on in Node-RED or a rule engine. An
 * attribute named like a header field (`eventId`, `hostname`, `time`,
 * `severity`, `facility`, `topic`) is shadowed by it.
 *
 * A payload that is not a `jet-event` becomes a `MalformedNotification`
 * instead, still JSON, so subscribers of a normalized topic can always parse
 * what they get and still see what the router sent.
 */
import { z } from 'zod';
import { describeValue, issueLines, issueMessage } from '../intent/issues.js';

export interface NormalizedNotification {
  eventId: string;
  hostname?: string;
  time?: string;
  severity?: string;
  facility?: string;
  /** The router topic it came from, e.g. `/junos/events/kernel/route/add/inet/10.1.0.0_24`. */
  topic: string;
  [attribute: string]: unknown;
}

/** Published in place of a normalized event when the router's payload is not one. */
export interface MalformedNotification {
  malformed: true;
  topic: string;
  /** Why it is not a `jet-event`. */
  error: string;
  /** The payload as UTF-8 text. */
  raw: string;
}

export type NormalizeResult = { ok: true; event: NormalizedNotification } | { ok: false; error: string };

const jetEventSchema = z.object({
  'jet-event': z.looseObject({
    'event-id': z.string().min(1),
    hostname: z.string().optional(),
    time: z.string().optional(),
    severity: z.string().optional(),
    facility: z.string().optional(),
    attributes: z
      .record(z.string(), z.unknown(), { error: (issue) => `expected an object, got ${describeValue(issue.input)}` })
      .optional(),
  }),
});

/** Parses a router notification and flattens it; says why when it is not a `jet-event`. */
export function normalizeNotification(topic: string, payload: Buffer): NormalizeResult {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = jetEventSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) return { ok: false, error: issueLines(parsed.error.issues).join('; ') };
  const { 'event-id': eventId, hostname, time, severity, facility, attributes } = parsed.data['jet-event'];
  const header = { eventId, hostname, time, severity, facility };
  // Spread first for the documented key order, again last so that an attribute cannot overwrite a header field.
  return { ok: true, event: { ...header, ...attributes, ...header, topic } };
}

/** The stand-in for a payload that normalize could not read. */
export function malformedNotification(topic: string, payload: Buffer, error: string): MalformedNotification {
  return { malformed: true, topic, error, raw: payload.toString('utf8') };
}
