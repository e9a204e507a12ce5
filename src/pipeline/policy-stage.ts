/**
 * The policy stage: an intent goes on only when its device's route policy
 * allows it (POLICY_DENIED, with the policy's reason, otherwise) and the
 * device's intent rate has room for it (RATE_LIMITED otherwise). Policy runs
 * first so a refused intent does not spend a token.
 */
import { map, type MonoTypeOperatorFunction } from 'rxjs';
import { BridgeCode } from '../mqtt/results.js';
import type { StageContext } from './context.js';
import { refusedResult, type IntentWork } from './message-job.js';

/** The intents of one message → those that may go on. */
export function applyPolicy(ctx: StageContext): MonoTypeOperatorFunction<IntentWork[]> {
  return map((works) => works.filter((work) => admit(work, ctx)));
}

/** Whether the intent may go on; a refused one is settled here. */
export function admit(work: IntentWork, ctx: StageContext): boolean {
  const { intent, context, device } = work;
  try {
    const verdict = context.policy.check(intent);
    if (!verdict.ok) {
      work.job.settle(work.index, refusedResult(intent, BridgeCode.POLICY_DENIED, verdict.reason));
      return false;
    }
    if (context.rateLimit !== undefined && !context.rateLimit.take()) {
      const error = `device ${device} is over its intent rate limit; send it again later`;
      work.job.settle(work.index, refusedResult(intent, BridgeCode.RATE_LIMITED, error));
      return false;
    }
    return true;
  } catch (error) {
    ctx.logger.error({ device, err: error }, 'policy check failed');
    work.job.settle(
      work.index,
      refusedResult(intent, BridgeCode.POLICY_DENIED, `policy check failed: ${String(error)}`),
    );
    return false;
  }
}
