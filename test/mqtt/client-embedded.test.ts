import { afterAll, beforeAll } from 'vitest';
import {
  EMBEDDED_BROKER_PROTOCOL_VERSION,
  startEmbeddedBroker,
  type EmbeddedBroker,
} from '../../src/mqtt/embedded-broker.js';
import { describeClientContract, type BrokerUnderTest } from './client-contract.js';
import { quietLogger } from './support.js';

const HOST = '127.0.0.1';
let broker: EmbeddedBroker;

const underTest: BrokerUnderTest = {
  get url() {
    return `mqtt://${HOST}:${broker.port}`;
  },
  async restart() {
    await broker.close();
    broker = await startEmbeddedBroker({ host: HOST, port: broker.port, logger: quietLogger });
  },
};

beforeAll(async () => {
  broker = await startEmbeddedBroker({ host: HOST, port: 0, logger: quietLogger });
});
afterAll(() => broker?.close());

describeClientContract('the embedded broker', EMBEDDED_BROKER_PROTOCOL_VERSION, () => underTest);
