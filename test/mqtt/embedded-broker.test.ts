import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_BROKER_PROTOCOL_VERSION, isListening, startEmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { freePort } from '../helpers/ports.js';
import { quietLogger } from './support.js';

const HOST = '127.0.0.1';

describe('startEmbeddedBroker', () => {
  it('listens on the port it reports, and frees it on close', async () => {
    const broker = await startEmbeddedBroker({ host: HOST, port: 0, logger: quietLogger });
    expect(await isListening(HOST, broker.port)).toBe(true);
    await broker.close();
    expect(await isListening(HOST, broker.port)).toBe(false);
  });

  it('disconnects its clients on close', async () => {
    const broker = await startEmbeddedBroker({ host: HOST, port: 0, logger: quietLogger });
    const client = await mqtt.connectAsync(`mqtt://${HOST}:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await broker.close();
    await closed;
    expect(client.connected).toBe(false);
    await client.endAsync(true);
  });

  it('says which port it cannot listen on', async () => {
    const broker = await startEmbeddedBroker({ host: HOST, port: 0, logger: quietLogger });
    try {
      await expect(startEmbeddedBroker({ host: HOST, port: broker.port, logger: quietLogger })).rejects.toThrow(
        `embedded MQTT broker cannot listen on ${HOST}:${broker.port}`,
      );
    } finally {
      await broker.close();
    }
  });

  it('refuses MQTT 5, which is why the bridge uses 3.1.1 against it', async () => {
    expect(EMBEDDED_BROKER_PROTOCOL_VERSION).toBe(4);
    const broker = await startEmbeddedBroker({ host: HOST, port: 0, logger: quietLogger });
    try {
      const attempt = mqtt.connectAsync(
        `mqtt://${HOST}:${broker.port}`,
        { protocolVersion: 5, reconnectPeriod: 0 },
        false,
      );
      await expect(attempt).rejects.toThrow(/unacceptable protocol version/i);
    } finally {
      await broker.close();
    }
  });
});

describe('isListening', () => {
  it('is false for a port nobody listens on', async () => {
    expect(await isListening(HOST, await freePort())).toBe(false);
  });
});
