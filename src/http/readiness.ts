/**
 * When the bridge is ready to serve intents: connected to the broker, and every
 * device session either freshly initialized (`ready`) or reattached to the
 * routes it had programmed (`rebound`). `/readyz` answers from this; the
 * per-device detail tells an operator which part is not there yet.
 */
import type { DeviceState, DeviceStatus } from '../jet/device.js';

const SERVING_STATES: ReadonlySet<DeviceState> = new Set(['ready', 'rebound']);

export interface DeviceReadiness {
  state: DeviceState;
  /** ISO 8601 time the device entered its state. */
  since: string;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  detail: {
    mqtt: { connected: boolean };
    devices: Record<string, DeviceReadiness>;
  };
}

/** Readiness from the broker link and each device's latest status. */
export function assessReadiness(mqttConnected: boolean, devices: ReadonlyMap<string, DeviceStatus>): ReadinessReport {
  const detail: ReadinessReport['detail'] = { mqtt: { connected: mqttConnected }, devices: {} };
  let ready = mqttConnected;
  for (const [name, status] of devices) {
    const device: DeviceReadiness = { state: status.state, since: status.since.toISOString() };
    if (status.error !== undefined) device.error = status.error;
    detail.devices[name] = device;
    if (!SERVING_STATES.has(status.state)) ready = false;
  }
  return { ready, detail };
}
