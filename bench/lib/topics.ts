/** The MQTT topics of the bench; the load generator subscribes to every reply topic once, at the start. */
export const TOPICS = {
  ceiling: 'bench/ceiling',
  oneWay: 'bench/one-way',
  echoRequest: 'bench/echo/request',
  echoReply: 'bench/echo/reply',
  baselineIntent: 'base/r1/bgp/intent',
  baselineResult: 'base/r1/bgp/result',
  bridgeResults: 'jet/+/bgp/result',
} as const;

export const REPLY_TOPICS = [TOPICS.ceiling, TOPICS.echoReply, TOPICS.baselineResult, TOPICS.bridgeResults];
