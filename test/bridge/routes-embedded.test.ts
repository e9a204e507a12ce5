/** The route scenarios against the embedded broker, where the bridge speaks MQTT 3.1.1. */
import { describeRouteScenarios } from './route-scenarios.js';

describeRouteScenarios('the embedded broker', () => ({ kind: 'embedded' }));
