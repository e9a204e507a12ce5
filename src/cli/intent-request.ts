/**
 * Shapes what `send` and `apply` publish so that its reply can be recognised.
 *
 * The bridge echoes a single intent's `id` at the top of its result message,
 * and every intent's `id` in its entry of `results` (in the order sent); the
 * `{"intents": [...]}` envelope itself takes no `id`. So a request's
 * correlation id is the id of its first intent, generated when the intent has
 * none. MQTT 5 carries it as correlation data; over MQTT 3.1.1 it is how the
 * reply is told apart on the shared result topic (see replyIds).
 */
import { ExitCode, fail } from './exit.js';

/** A payload ready to publish on an intent topic, and the id its reply will carry. */
export interface IntentRequest {
  payload: Record<string, unknown>;
  correlationId: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The intent with an `id`: its own, else `newId()`. `field` names its id in errors. */
function withId(
  intent: Record<string, unknown>,
  newId: () => string,
  field: string,
): Record<string, unknown> & { id: string } {
  if (intent.id === undefined) return { ...intent, id: newId() };
  if (typeof intent.id !== 'string' || intent.id.length === 0)
    return fail(ExitCode.Usage, `${field} must be a non-empty string`);
  return { ...intent, id: intent.id };
}

/**
 * Turns parsed JSON (one intent, an array of intents, or `{"intents": [...]}`)
 * into a request. `what` names the input in errors (`the intent`, a file name).
 * Fails with a usage error when the shape leaves nothing to correlate by.
 */
export function intentRequest(parsed: unknown, newId: () => string, what: string): IntentRequest {
  const list = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Object.hasOwn(parsed, 'intents')
      ? parsed.intents
      : undefined;
  if (list === undefined) {
    if (!isObject(parsed))
      fail(ExitCode.Usage, `${what}: expected an intent object, an array of intents, or {"intents": [...]}`);
    const intent = withId(parsed, newId, `${what}: id`);
    return { payload: intent, correlationId: intent.id };
  }
  const beside = isObject(parsed) ? Object.keys(parsed).find((key) => key !== 'intents') : undefined;
  if (beside !== undefined)
    return fail(ExitCode.Usage, `${what}: ${JSON.stringify(beside)} is not allowed next to "intents"`);
  if (!Array.isArray(list)) return fail(ExitCode.Usage, `${what}: "intents" must be an array`);
  const [first, ...rest] = list as unknown[];
  if (first === undefined) return fail(ExitCode.Usage, `${what} holds no intents`);
  if (!isObject(first)) return fail(ExitCode.Usage, `${what}: intents[0] must be an intent object`);
  const head = withId(first, newId, `${what}: intents[0].id`);
  return { payload: { intents: [head, ...rest] }, correlationId: head.id };
}

/**
 * The ids a reply can be matched by: the result message's own `id` (a single
 * intent, or a Get query), then the first result's (a list of intents).
 */
export function replyIds(reply: unknown): string[] {
  if (!isObject(reply)) return [];
  const ids: string[] = [];
  if (typeof reply.id === 'string') ids.push(reply.id);
  const first: unknown = Array.isArray(reply.results) ? reply.results[0] : undefined;
  if (isObject(first) && typeof first.id === 'string') ids.push(first.id);
  return ids;
}
