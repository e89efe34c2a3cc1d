/**
 * Resolves after SIGINT or SIGTERM, once `stop` has finished; rejects when `stop` fails, so
 * the command ends with that error (exit code 1) instead of an unhandled rejection.
 */
export function waitForShutdown(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stop().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
