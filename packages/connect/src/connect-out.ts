import { EventEmitter } from 'node:events';
import { status as GrpcStatus, type ChannelCredentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import {
  BiospecError,
  NodeConnectServiceClient,
  toGrpcError,
  type ConnectRequest,
  type ConnectResponse,
  type CountStreamRequest,
  type CountStreamResponse,
  type RelayedCall,
} from '@biospec/protocol';
import type { SigningKey } from '@biospec/trust';
import { createBackoff } from './backoff.js';
import type { ConnectLog } from './connect-links.js';
import { isConnectNonce, signConnectProof } from './connect-proof.js';

/**
 * The coordinator's queries on one accepted link, shaped as the node's CountStream server reads
 * a call: `data` for each query, `cancelled` when the link is gone, `write` for each answer,
 * `end` when the node has answered everything and is stopping.
 */
export interface LinkQueries {
  on(event: 'data', listener: (request: CountStreamRequest) => void): this;
  on(event: 'cancelled' | 'error' | 'end', listener: () => void): this;
  write(response: CountStreamResponse): boolean;
  end(): void;
  getPeer(): string;
}

/** A unary NodeService call the node answers over its link: the encoded request in, the encoded response out. */
export type RelayedHandler = (request: Buffer, context: { deadline?: Date }) => Promise<Buffer>;

export interface ConnectOutOptions {
  /** host:port of the coordinator's connect listener (its `nodeConnect.listen`). */
  coordinator: string;
  credentials: ChannelCredentials;
  nodeId: string;
  signingKey: SigningKey;
  /** The coordinator ids this node answers (`coordinatorIds`): it proves itself to no other. */
  coordinatorIds: readonly string[];
  /** HTTP/2 keepalive of this connection: a ping every `timeMs`, the connection dropped when one is not answered within `timeoutMs`. */
  keepalive: { timeMs: number; timeoutMs: number };
  backoff: { initialMs: number; maxMs: number };
  /** Largest message accepted from the coordinator (queries are small). */
  maxMessageBytes: number;
  /** Serves the queries of each accepted link exactly as a CountStream call. */
  serveQueries: (queries: LinkQueries) => void;
  /** Unary NodeService calls answered over the link, by full method path. */
  relayed?: Readonly<Record<string, RelayedHandler>>;
  /** From dialling to acceptance, at most this long; default 15 s. */
  handshakeTimeoutMs?: number;
  log?: ConnectLog;
  /** Told every change of state. */
  onStatus?: (status: ConnectOutStatus) => void;
  /** Uniform in [0, 1), for the backoff's jitter; default Math.random. */
  random?: () => number;
}

/** Where a node's connection to its coordinator stands. */
export interface ConnectOutStatus {
  /** The address it dials. */
  coordinator: string;
  /** `connected` once the coordinator accepted its proof; `retrying` while it waits to dial again. */
  state: 'connecting' | 'connected' | 'retrying' | 'stopped';
  /** When it entered this state (ISO 8601). */
  since: string;
  /** The coordinator id it proved itself to, while connected. */
  coordinatorId?: string;
  /** Failed attempts since the last connection that held. */
  failures: number;
  /** Why the last attempt or connection ended. */
  lastError?: string;
  /** While retrying: the wait before the next attempt. */
  retryInMs?: number;
  /** Connections accepted since start. */
  connections: number;
}

export interface ConnectOut {
  status(): ConnectOutStatus;
  /** Stops dialling; waits up to `graceMs` for the link to end once its queries are answered, then cuts it. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;
/** A connection that held this long counts as a success: the next failure waits from the initial backoff again. */
const STABLE_MS = 10_000;

/** A relayed call's refusal, as the unary call would have ended. */
function relayError(id: number, reason: unknown) {
  const refused = toGrpcError(reason);
  return { callResult: { id, error: { code: refused.code, message: refused.details, reason: refused.reason, retryAfterMs: refused.retryAfterMs ?? 0 } } };
}

/**
 * Keeps a node connected to its coordinator without any inbound port: dials, proves who it is
 * by signing the coordinator's challenge with the node key, then serves the coordinator's queries
 * over that call. After any failure (refused, dropped, unanswered keepalive ping, no challenge in
 * time) it dials again after a capped exponential backoff with jitter.
 */
export function startConnectOut(options: ConnectOutOptions): ConnectOut {
  const backoff = createBackoff({ ...options.backoff, ...(options.random ? { random: options.random } : {}) });
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  let status: ConnectOutStatus = { coordinator: options.coordinator, state: 'connecting', since: new Date().toISOString(), failures: 0, connections: 0 };
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  interface Attempt {
    call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
    /** The coordinator id this attempt signed a proof for. */
    provedTo: string | undefined;
    accepted: boolean;
  }
  let current: Attempt | undefined;
  let callEnded: (() => void) | undefined;

  const setStatus = (next: Omit<ConnectOutStatus, 'coordinator' | 'since' | 'connections' | 'failures'>) => {
    status = { coordinator: options.coordinator, since: new Date().toISOString(), connections: status.connections, failures: backoff.failures(), ...next };
    options.onStatus?.(status);
  };

  function dial() {
    if (stopped) return;
    setStatus({ state: 'connecting', ...(status.lastError ? { lastError: status.lastError } : {}) });
    const client = new NodeConnectServiceClient(options.coordinator, options.credentials, {
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.keepalive_time_ms': options.keepalive.timeMs,
      'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      // Each attempt dials afresh: the retry schedule is this module's, not a shared channel's.
      'grpc.use_local_subchannel_pool': 1,
    });
    const call = client.connect();
    const attempt: Attempt = { call, provedTo: undefined, accepted: false };
    current = attempt;
    let acceptedAt = 0;
    let queries: (EventEmitter & LinkQueries) | undefined;
    let linkOpen = true;
    let failure: string | undefined;
    const fail = (why: string) => {
      failure ??= why;
      call.cancel();
    };
    const handshake = setTimeout(() => fail(`no challenge and acceptance within ${handshakeTimeoutMs} ms`), handshakeTimeoutMs);

    const relay = (request: RelayedCall) => {
      const handler = options.relayed?.[request.method];
      const deadline = request.timeoutMs > 0 ? new Date(Date.now() + request.timeoutMs) : undefined;
      const answer = handler
        ? handler(request.request, deadline ? { deadline } : {}).then(
            (response): ConnectRequest => ({ callResult: { id: request.id, response } }),
            (reason: unknown) => relayError(request.id, reason),
          )
        : Promise.resolve(relayError(request.id, new BiospecError('NOT_FOUND', `${request.method} is not offered over connect-out`)));
      answer.then(
        (message) => {
          if (linkOpen) call.write(message);
        },
        (err: unknown) => options.log?.warn({ err }, 'connect-out: cannot answer a relayed call'),
      );
    };

    call.on('data', (message: ConnectResponse) => {
      if (attempt.accepted) {
        if (message.query !== undefined) queries!.emit('data', message.query);
        else if (message.call !== undefined) relay(message.call);
        return;
      }
      if (attempt.provedTo === undefined && message.challenge !== undefined) {
        const { nonce, coordinatorId } = message.challenge;
        if (!options.coordinatorIds.includes(coordinatorId)) {
          fail(`the coordinator says it is ${coordinatorId}, which this node does not answer (coordinatorIds: ${options.coordinatorIds.join(', ')})`);
        } else if (!isConnectNonce(nonce)) {
          fail('the coordinator sent a malformed challenge');
        } else {
          attempt.provedTo = coordinatorId;
          call.write({ proof: { token: signConnectProof({ nodeId: options.nodeId, coordinatorId, nonce }, options.signingKey) } });
        }
        return;
      }
      if (attempt.provedTo !== undefined && message.accepted?.nodeId === options.nodeId) {
        clearTimeout(handshake);
        attempt.accepted = true;
        acceptedAt = Date.now();
        status = { ...status, connections: status.connections + 1 };
        setStatus({ state: 'connected', coordinatorId: attempt.provedTo });
        options.log?.info({ coordinator: options.coordinator, coordinatorId: attempt.provedTo }, 'connect-out: connected; answering queries over this connection');
        queries = Object.assign(new EventEmitter(), {
          write: (response: CountStreamResponse) => (linkOpen ? call.write({ answer: response }) : false),
          end: () => {
            if (linkOpen) call.end();
          },
          getPeer: () => call.getPeer(),
        }) as EventEmitter & LinkQueries;
        options.serveQueries(queries);
        return;
      }
      fail('the coordinator broke the connect protocol');
    });
    // 'status' reports every end, so 'error' needs no handling beyond being listened to.
    call.on('error', () => undefined);
    call.on('status', (end: StatusObject) => {
      clearTimeout(handshake);
      linkOpen = false;
      // The coordinator has gone: queries of this link still waiting are dropped, not counted.
      queries?.emit('cancelled');
      client.close();
      if (current === attempt) current = undefined;
      const why = failure ?? (end.code === GrpcStatus.OK ? 'the coordinator ended the connection' : `${GrpcStatus[end.code]}: ${end.details}`);
      if (stopped) {
        setStatus({ state: 'stopped' });
        callEnded?.();
        return;
      }
      if (attempt.accepted && Date.now() - acceptedAt >= STABLE_MS) backoff.reset();
      const retryInMs = backoff.next();
      setStatus({ state: 'retrying', lastError: why, retryInMs });
      options.log?.warn(
        { coordinator: options.coordinator, reason: why, retryInMs, failures: backoff.failures() },
        attempt.accepted ? 'connect-out: connection to the coordinator lost; dialling again' : 'connect-out: cannot connect to the coordinator; dialling again',
      );
      retryTimer = setTimeout(dial, retryInMs);
    });
  }

  dial();
  return {
    status: () => status,
    stop(graceMs = 2000) {
      stopped = true;
      clearTimeout(retryTimer);
      const attempt = current;
      if (attempt === undefined) {
        setStatus({ state: 'stopped' });
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const cut = setTimeout(() => attempt.call.cancel(), attempt.accepted ? graceMs : 0);
        callEnded = () => {
          clearTimeout(cut);
          resolve();
        };
      });
    },
  };
}
