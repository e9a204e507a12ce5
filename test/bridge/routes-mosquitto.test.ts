/** The route scenarios against a Mosquitto broker of this file's own, over MQTT 5. */
import { afterAll, beforeAll } from 'vitest';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { describeRouteScenarios } from './route-scenarios.js';

let mosquitto: RunningMosquitto;
beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(() => mosquitto?.stop());

describeRouteScenarios('Mosquitto', () => ({ kind: 'mosquitto', url: mosquitto.url }));
