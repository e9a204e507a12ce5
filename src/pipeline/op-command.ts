/**
 * Operational commands over MQTT (the 2018 demo apps' second app):
 * `<prefix>/<device>/op` with `{"id", "command": "show version", "format": "text"|"json"|"xml"}`
 * runs the command through JET (legacy ExecuteOpCommand, jnx OpCommandGet) and
 * answers on `<prefix>/<device>/op/result` or the MQTT 5 response topic. Only
 * commands that start with an allowed prefix (default `show `) reach the router.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DeviceSession } from '../jet/device.js';
import type { OpCommandFormat } from '../jet/model.js';
import type { InboundMessage } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import type { ReplyFn } from './context.js';

export interface OpDevice {
  session: DeviceSession;
  allowedCommands: readonly string[];
}

export interface OpResultMessage {
  id?: string;
  ok: boolean;
  device: string;
  command?: string;
  format?: OpCommandFormat;
  output?: string;
  error?: string;
  latencyMs: number;
}

const MAX_COMMAND_LENGTH = 512;

const opRequest = z.strictObject({
  id: z.string().max(256).optional(),
  command: z.string().min(1).max(MAX_COMMAND_LENGTH),
  format: z.enum(['text', 'json', 'xml']).default('text'),
});

/** Why a request is refused before it reaches the router, or undefined when it may go. */
export function opRequestProblem(command: string, allowed: readonly string[]): string | undefined {
  if (/[\r\n;|]/.test(command)) return 'command: line breaks, ";" and "|" are not allowed';
  if (!allowed.some((prefix) => command.startsWith(prefix))) {
    return `command: "${command}" is not allowed by policy (allowed prefixes: ${allowed.map((p) => JSON.stringify(p)).join(', ')})`;
  }
  return undefined;
}

function parseRequest(payload: Buffer): z.infer<typeof opRequest> | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { error: 'payload is not valid JSON' };
  }
  const parsed = opRequest.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return { error: `${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}` };
}

export function createOpHandler(deps: {
  devices: ReadonlyMap<string, OpDevice>;
  topics: Topics;
  reply: ReplyFn;
  logger: Logger;
}) {
  return async function handleOp(msg: InboundMessage, device: string): Promise<void> {
    const started = msg.receivedAt;
    const answer = (body: Omit<OpResultMessage, 'device' | 'latencyMs'>) =>
      deps.reply(
        msg,
        deps.topics.opResult(device),
        JSON.stringify({
          ...body,
          device,
          latencyMs: Math.round(performance.now() - started),
        } satisfies OpResultMessage),
      );

    const target = deps.devices.get(device);
    if (!target) return answer({ ok: false, error: `unknown device "${device}"` });
    const request = parseRequest(msg.payload);
    if ('error' in request) return answer({ ok: false, error: request.error });
    const { id, command, format } = request;
    const refused = opRequestProblem(command, target.allowedCommands);
    if (refused) return answer({ id, ok: false, command, format, error: refused });
    try {
      const output = await target.session.opCommand(command, format);
      return answer({ id, ok: true, command, format, output });
    } catch (err) {
      deps.logger.warn({ device, command, err: (err as Error).message }, 'operational command failed');
      return answer({ id, ok: false, command, format, error: (err as Error).message });
    }
  };
}
