import type { Logger } from 'pino';

/** What a fault stops: the service this process runs, when it runs one, and the logger to tell it with. */
interface Guarded {
  logger?: Logger;
  stop: () => Promise<void>;
}

let guarded: Guarded | undefined;

export interface ProcessGuardOptions {
  /** How long a running service may take to stop after a fault before the process exits anyway. Default 3 s. */
  graceMs?: number;
  exit?: (code: number) => void;
}

/**
 * From now on an unhandled rejection or an uncaught exception is a bug that ends the process:
 * it is logged as one pino line at level fatal (`logger`, or the one it makes at the first fault), with the error, the running service (see
 * {@link guardService}) is given `graceMs` to stop (closing its databases), and the process
 * exits with code 1. Without this, Node 20 would print a bare stack (uncaught exception) or
 * exit without closing anything (unhandled rejection).
 */
export function installProcessGuards(logger: Logger | (() => Logger), options: ProcessGuardOptions = {}): void {
  let made: Logger | undefined;
  const fallback = () => (made ??= typeof logger === 'function' ? logger() : logger);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? 3000;
  let faulted = false;
  const onFault = (kind: string) => (err: unknown) => {
    const log = guarded?.logger ?? fallback();
    log.fatal({ err }, `${kind}: stopping`);
    if (faulted) return;
    faulted = true;
    process.exitCode = 1;
    const stop = guarded?.stop;
    if (stop === undefined) {
      exit(1);
      return;
    }
    const timer = setTimeout(() => exit(1), graceMs);
    const done = () => {
      clearTimeout(timer);
      exit(1);
    };
    stop().then(done, (stopErr: unknown) => {
      log.error({ err: stopErr }, 'cannot stop cleanly');
      done();
    });
  };
  process.on('unhandledRejection', onFault('unhandled rejection'));
  process.on('uncaughtException', onFault('uncaught exception'));
}

/** Tells the process guards which service runs here: a fault stops it first, and is logged with its logger when given. */
export function guardService(stop: () => Promise<void>, logger?: Logger): void {
  guarded = logger === undefined ? { stop } : { stop, logger };
}
