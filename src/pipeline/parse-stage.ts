/**
 * The first stage of the intent pipeline: an MQTT message on
 * `<prefix>/<device>/bgp/intent` becomes a message job and its valid intents.
 * Whatever cannot go further is answered here: a device the bridge does not
 * serve (UNKNOWN_DEVICE) and payloads or entries that do not parse
 * (INVALID_PAYLOAD, naming the field).
 */
import { map, type OperatorFunction } from 'rxjs';
import type { PayloadEntry } from '../intent/parse.js';
import { parseIntentPayload } from '../intent/parse.js';
import { destinationKey } from '../jet/model.js';
import type { InboundMessage } from '../mqtt/client.js';
import { BridgeCode, type IntentResult } from '../mqtt/results.js';
import type { StageContext } from './context.js';
import { refusedResult, type IntentWork, type OpenJobs } from './message-job.js';

/** A message and the device its topic names. */
export interface DeviceRequest {
  readonly msg: InboundMessage;
  readonly device: string;
}

/** Message → its valid intents, together; refused messages and entries are answered on the spot. */
export function parseIntent(ctx: StageContext, jobs: OpenJobs): OperatorFunction<DeviceRequest, IntentWork[]> {
  return map((request) => intentsOf(request, ctx, jobs));
}

/**
 * Opens the job of one message and returns its intents. The message is
 * acknowledged here, once the job holds it, not after its result: the MQTT
 * client reads nothing more from the broker until it is (see
 * src/mqtt/client.ts), so waiting for the result would serialise the bridge
 * and deadlock on the result's own PUBACK. OpenJobs may hold the
 * acknowledgement back while the backlog is too long.
 */
export function intentsOf(request: DeviceRequest, ctx: StageContext, jobs: OpenJobs): IntentWork[] {
  const { msg, device } = request;
  try {
    return openJob(request, ctx, jobs);
  } catch (error) {
    // Only a bug gets here; the publisher still gets an answer and the stream goes on.
    ctx.logger.error({ device, err: error }, 'could not take in an intent message');
    jobs.refuse(msg, device, `internal error: ${String(error)}`);
    return [];
  } finally {
    jobs.acknowledge(msg);
  }
}

function openJob({ msg, device }: DeviceRequest, ctx: StageContext, jobs: OpenJobs): IntentWork[] {
  const context = ctx.devices.get(device);
  const parsed = parseIntentPayload(msg.payload, ctx.limits);
  if (!parsed.ok) {
    const error =
      context === undefined ? unknownDeviceError(device, ctx) : `${BridgeCode.INVALID_PAYLOAD}: ${parsed.error}`;
    jobs.refuse(msg, device, error);
    return [];
  }
  const { entries } = parsed;
  const job = jobs.open(msg, device, parsed.id ?? messageId(entries), entries.length);
  if (context === undefined) {
    job.setError(unknownDeviceError(device, ctx));
    for (const entry of entries)
      job.settle(entry.index, entryResult(entry, BridgeCode.UNKNOWN_DEVICE, `device "${device}" is not configured`));
    return [];
  }
  const works: IntentWork[] = [];
  for (const entry of entries) {
    if (!('intent' in entry)) {
      job.settle(entry.index, entryResult(entry, BridgeCode.INVALID_PAYLOAD, entry.error));
      continue;
    }
    const { intent } = entry;
    const destination = destinationKey(intent);
    ctx.metrics?.intentReceived(device);
    works.push({ job, index: entry.index, intent, device, context, destination });
  }
  return works;
}

/** The id a result message echoes without a batch id: that of the intent when the message holds one. */
function messageId(entries: readonly PayloadEntry[]): string | undefined {
  const entry = entries.length === 1 ? entries[0]! : undefined;
  if (entry === undefined) return undefined;
  return 'intent' in entry ? entry.intent.id : entry.id;
}

function unknownDeviceError(device: string, ctx: StageContext): string {
  const known = [...ctx.devices.keys()].join(', ') || 'none';
  return `${BridgeCode.UNKNOWN_DEVICE}: device "${device}" is not configured (configured: ${known})`;
}

function entryResult(entry: PayloadEntry, status: string, error: string): IntentResult {
  if ('intent' in entry) return refusedResult(entry.intent, status, error);
  const result: IntentResult = {
    prefix: entry.prefix ?? '',
    // The action of an entry that did not parse is unknown; announce is the default.
    action: 'announce',
    status,
    added: 0,
    modified: 0,
    removed: 0,
    unchanged: false,
    error,
  };
  if (entry.id !== undefined) result.id = entry.id;
  return result;
}
