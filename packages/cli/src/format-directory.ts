import { DROP_REASONS, type DirectorySnapshot } from '@biospec/directory';

/** A duration for people: "4 s", "3 min", "2 h", "5 d". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** The snapshot as `biospec directory` prints it: a header, one block per node, the dropped descriptors. */
export function formatDirectory(snapshot: DirectorySnapshot, now: number): string {
  const { owner } = snapshot;
  const lines = [
    `directory as seen by ${owner.role} ${owner.id} (peer ${owner.peerId}), written ${ago(now - Date.parse(snapshot.writtenAt))} ago; a node is stale after ${ago(snapshot.staleAfterMs)} without a descriptor`,
  ];
  if (owner.addresses.length > 0) lines.push(`  listening on ${owner.addresses.join(', ')}`);
  if (snapshot.entries.length === 0) lines.push('no nodes seen yet');
  for (const e of snapshot.entries) {
    const d = e.descriptor;
    const state = e.stale ? 'STALE' : 'live';
    lines.push(
      `${e.nodeId}  ${d.name} (${d.institution})  ${d.endpoint}  ${state}, seen ${ago(now - e.lastSeenAt)} ago  epoch ${d.dataEpoch}  ${d.software.name} ${d.software.version}`,
    );
    lines.push(`  keys: ${d.jwks.keys.map((k) => k.kid).join(', ')} (signed by ${e.signedBy}, trusted ${e.trust === 'pinned' ? 'by pin' : 'on first use'})`);
    if (d.catalogue) lines.push(`  catalogue: ${d.catalogue.donors.display}; material: ${d.catalogue.materialTypes.join(', ') || 'none reported'}`);
    lines.push(`  policy: ${d.policy.text}`);
    for (const note of e.notes) lines.push(`  note: ${note}`);
  }
  const dropped = DROP_REASONS.filter((r) => snapshot.stats.dropped[r] > 0).map((r) => `${r} ${snapshot.stats.dropped[r]}`);
  lines.push(`descriptors accepted ${snapshot.stats.accepted}; dropped: ${dropped.join(', ') || 'none'}`);
  return lines.join('\n');
}
