/**
 * Entry of the page bundle. Exposes one function, `wstsE2E.call(name, argJson)`, that runs a scenario
 * and always resolves to a JSON string: `{ ok: true, value }` or `{ ok: false, error }`. Strings are the
 * one result type CDP, WebDriver BiDi and classic WebDriver all hand back unchanged.
 */
import * as scenarios from './scenarios.js';

type ScenarioName = keyof typeof scenarios;

async function call(name: string, argJson: string): Promise<string> {
  try {
    const scenario = (scenarios as Record<string, unknown>)[name];
    if (typeof scenario !== 'function') throw new Error(`no scenario named ${name}`);
    const value: unknown = await (scenario as (arg: unknown) => Promise<unknown>)(JSON.parse(argJson));
    return JSON.stringify({ ok: true, value });
  } catch (error) {
    return JSON.stringify({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

declare global {
  // eslint-disable-next-line no-var
  var wstsE2E: { call: typeof call; scenarios: readonly ScenarioName[] };
}

globalThis.wstsE2E = { call, scenarios: Object.keys(scenarios) as ScenarioName[] };
