import { pino } from 'pino';
import { Figures, runSchedule } from './schedule.js';
const logger = pino({ level: 'debug' }, pino.destination('/tmp/reconcile-dbg2.jsonl'));
const f = new Figures();
await runSchedule(
  [
    { do: 'announce', prefix: '10.0.1.0/24', nextHop: '192.0.2.1', localPref: 100 },
    { do: 'pause', ms: 80 },
    { do: 'reject-during-reconcile', prefixes: ['10.0.1.0/24'], status: 'NEXTHOP_ADDRESS_INVALID' },
    { do: 'pause', ms: 30 },
  ],
  f,
  logger,
);
console.log(f);
