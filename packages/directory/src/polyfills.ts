/**
 * The one place for runtime polyfills the libp2p stack needs on Node 20.
 *
 * libp2p 3 and its muxers call `Promise.withResolvers` (ES2024), which Node 20 lacks
 * (their packages declare Node >= 22). Load this module before anything imports libp2p:
 * `node --import @biospec/directory/polyfills …` for services, the first import of the CLI
 * entry point, and jest's `setupFiles`. On Node 22+ it does nothing.
 */
export {};

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseConstructor = Promise as PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };

if (typeof promiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    // A function expression, not an arrow: subclasses call it with their own `this`, as the spec allows.
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
