import { DEFAULT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import type { ProfileName } from '@biospec/synthetic';

/** Generous enough for someone exploring the demo by hand; production keeps SHRINE's defaults. */
export const DEMO_RATE_LIMITS = [
  { limit: 60, windowSeconds: 60 },
  { limit: 1000, windowSeconds: 36000 },
];

const DEMO_POLICY: DisclosurePolicy = {
  ...DEFAULT_POLICY,
  budget: { epsilon: 50, windowDays: 30 },
  rateLimits: DEMO_RATE_LIMITS,
};

/** One demo institution: a profile for its synthetic catalogue and its own disclosure policy. */
export interface DemoSite {
  id: string;
  name: string;
  profile: ProfileName;
  prefix: string;
  policy: DisclosurePolicy;
}

export const DEMO_SITES: readonly DemoSite[] = [
  { id: 'northbridge-uh', name: 'Northbridge University Hospital Biobank', profile: 'university-hospital', prefix: 'NUH', policy: DEMO_POLICY },
  {
    id: 'lakeside-heart',
    name: 'Lakeside Heart Centre Biobank',
    profile: 'cardiology-centre',
    prefix: 'LHC',
    policy: { ...DEMO_POLICY, rounding: 5, noise: { mechanism: 'shrine', bin: 5, sigma: 6.5, clamp: 10 } },
  },
  {
    id: 'riverside-pop',
    name: 'Riverside Population Biobank',
    profile: 'population-biobank',
    prefix: 'RPB',
    policy: { ...DEMO_POLICY, noise: { mechanism: 'none' } },
  },
];


/**
 * The sites as `biospec demo` runs them: the population biobank, which releases exact figures,
 * holds every answer until its steward releases it (policy `release: "hold"`), so the steward's
 * page has questions to release or decline. Tests that compare figures use {@link DEMO_SITES}.
 */
export const DEMO_SITES_WITH_HOLD: readonly DemoSite[] = DEMO_SITES.map((site) =>
  site.id === 'riverside-pop' ? { ...site, policy: { ...site.policy, release: 'hold' } } : site,
);
