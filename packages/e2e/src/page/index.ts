/** Types of what the page hands back, for the Node-side tests. */
export type { CloseInfo, Received } from './socket-probe.js';
export type { EchoVerdict } from './scenarios.js';
export type { CodecReport } from './codec-scenario.js';
