import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score';
import { DIRECTORY_TOPIC } from './descriptor.js';

/**
 * Gossipsub peer scoring for the directory topic. Descriptors are few (one per node per
 * refresh interval), so the delivery-rate terms gossipsub uses for busy topics (P3, P3b) are
 * off: a quiet topic would otherwise count against every honest mesh peer. What counts is
 * P4, invalid messages: each descriptor the directory rejects (see `Verdict`) adds one to the
 * sender's counter, which decays by 10% a second, and costs `-10 × counter²`. A peer earns at
 * most 10 points of credit (P1, P2, capped by `topicScoreCap`), so one bad descriptor cancels it
 * and a second stops gossip with that peer (below -10); four in a row (about -160) go below the
 * graylist threshold (-80), after which everything the peer sends is ignored until the counter
 * has decayed.
 */
export const DIRECTORY_TOPIC_SCORE: Partial<TopicScoreParams> = {
  topicWeight: 1,
  // P1: a little credit for staying in the mesh (0.01 a second), within the cap of topicScoreCap below.
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 3600,
  // P2: credit for being first to deliver a valid descriptor.
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 10,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 0,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.9,
};

/**
 * Peer score parameters. Loopback addresses are exempt from the IP-colocation penalty (P6):
 * many peers on 127.0.0.1 are a test or a demo on one machine, not a Sybil attack.
 */
export function directoryScoreParams(): Partial<PeerScoreParams> {
  return {
    topics: { [DIRECTORY_TOPIC]: DIRECTORY_TOPIC_SCORE as TopicScoreParams },
    topicScoreCap: 10,
    IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1']),
  };
}

/** gossipsub's defaults, stated so the documentation and the code cannot drift apart. */
export const DIRECTORY_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 20,
};
