import { launchChromium } from './chromium.js';
import type { EngineLauncher, EngineName } from './engine.js';
import { launchFirefox } from './firefox.js';
import { launchWebKit } from './webkit.js';

export type { BrowserSession, EngineLauncher, EngineName, LaunchOptions } from './engine.js';

/** Every engine the suite runs. Adding one: write its launcher, add it here and add a 3-line test file. */
export const ENGINES: Readonly<Record<EngineName, EngineLauncher>> = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
};
