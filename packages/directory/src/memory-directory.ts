import { BiospecError } from '@biospec/protocol';
import { createDirectoryCore, type CoreHooks, type Receive } from './directory-core.js';
import type { Directory, DirectoryOptions } from './directory.js';
import type { Verdict } from './directory-state.js';

/**
 * A network in one process: every directory attached to the bus receives what any other
 * broadcasts, asynchronously, in order. For services' tests that need a directory but no sockets.
 */
export interface MemoryBus {
  /** Sends raw bytes to every member but `from`, as a misbehaving peer could; resolves once all have judged them. */
  inject(data: Uint8Array | string, from?: string): Promise<Verdict[]>;
  /** Verdicts members gave to what each sender passed on, per sender: what gossipsub's scoring would see. */
  verdictsFrom(sender: string): Verdict[];
  members(): string[];
}

interface BusInternals extends MemoryBus {
  /** Joins the bus; the newcomer and every member already there hand each other what they hold, as libp2p peers sync. */
  attach(id: string, receive: Receive, hooks: CoreHooks): Promise<() => void>;
}

export function createMemoryBus(): MemoryBus {
  const members = new Map<string, { receive: Receive; hooks: CoreHooks }>();
  const verdicts = new Map<string, Verdict[]>();
  const bus: BusInternals = {
    async attach(id, receive, hooks) {
      if (members.has(id)) throw new BiospecError('ALREADY_EXISTS', `bus member ${id} is already attached`);
      const others = [...members];
      members.set(id, { receive, hooks });
      for (const [otherId, other] of others) {
        for (const token of other.hooks.tokens()) await receive(token, otherId);
        for (const token of hooks.tokens()) await other.receive(token, id);
      }
      return () => {
        members.delete(id);
      };
    },
    async inject(data, from = 'injector') {
      const receivers = [...members].filter(([id]) => id !== from);
      // The next macrotask, like a message from the network: never inside the sender's own call.
      await new Promise((resolve) => setImmediate(resolve));
      const results = await Promise.all(receivers.map(([, member]) => member.receive(data, from)));
      const list = verdicts.get(from) ?? [];
      list.push(...results);
      verdicts.set(from, list);
      return results;
    },
    verdictsFrom: (sender) => [...(verdicts.get(sender) ?? [])],
    members: () => [...members.keys()],
  };
  return bus;
}

let nextMember = 0;

/** A directory on a {@link MemoryBus}: the same behaviour as the libp2p one, without a network. */
export async function createMemoryDirectory(options: DirectoryOptions & { bus: MemoryBus; peerId?: string }): Promise<Directory> {
  const bus = options.bus as BusInternals;
  const peerId = options.peerId ?? `memory-${++nextMember}`;
  return createDirectoryCore(options, async (receive, _state, hooks) => {
    const detach = await bus.attach(peerId, receive, hooks);
    return {
      peerId,
      contact: () => undefined,
      async broadcast(token) {
        await bus.inject(token, peerId);
      },
      async stop() {
        detach();
      },
    };
  });
}
