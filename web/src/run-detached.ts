/**
 * Starts an event handler's async work, which React does not await. Each handler shows the
 * failures it expects (the API's refusals, a network that is down) on the page itself; anything
 * else is a bug, reported as an uncaught error (`window.reportError`: the console, and the
 * browser tests' page errors) rather than dropped as a rejection nobody handles.
 */
export function runDetached(work: () => Promise<unknown>): void {
  work().catch((error: unknown) => window.reportError(error));
}
