/**
 * `@biospec/privacy/preset-names`: the names of the policy presets (POLICY_PRESETS in policy.ts),
 * apart from the presets so that the CLI can list them in `biospec node init --help` without
 * loading the policy schema (zod).
 */
export const POLICY_PRESET_NAMES = ['default', 'focus-like', 'mii-like', 'shrine-like'] as const;

export type PolicyPresetName = (typeof POLICY_PRESET_NAMES)[number];
