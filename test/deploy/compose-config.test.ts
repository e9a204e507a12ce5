/**
 * deploy/compose/bridge.config.json is the bridge's configuration inside
 * docker-compose: it must pass the same schema `jetbridge run` applies, and
 * point at the compose services rather than at embedded stand-ins.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

describe('deploy/compose/bridge.config.json', () => {
  // As in the image, which sets the state path through the environment.
  const config = loadConfig('deploy/compose/bridge.config.json', {
    JETBRIDGE_STATE_PATH: '/var/lib/jetbridge/state.db',
  });

  it('uses the mosquitto service, not an embedded broker, with a fixed client id for a persistent session', () => {
    expect(config.mqtt).toMatchObject({
      url: 'mqtt://mosquitto:1883',
      embeddedBroker: false,
      clientId: 'jetbridge-compose',
    });
  });

  it('drives r1 on the jet-emulator service, with the emulator in the bridge turned off', () => {
    expect(config.devices.map((d) => [d.name, d.address, d.username, d.password.value])).toEqual([
      ['r1', 'jet-emulator:32767', 'jet', 'jet'],
    ]);
    expect(config.devices[0]?.notify?.url).toBe('mqtt://mosquitto:1883');
    expect(config.emulator.enabled).toBe(false);
  });

  it('serves /metrics, /healthz and /readyz on every interface at 9464, where the healthcheck looks', () => {
    expect(config.http).toEqual({ enabled: true, host: '0.0.0.0', port: 9464 });
  });

  it('keeps its state in the volume', () => {
    expect(config.state.path).toBe('/var/lib/jetbridge/state.db');
  });
});
