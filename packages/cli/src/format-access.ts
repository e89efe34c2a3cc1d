import { FederatedAvailabilityResponse, SiteStatus, siteStatusToJSON } from '@biospec/protocol';
import { stateLabel, type AccessRequest, type AccessRequestView, type GrantedDetail, type MembershipView } from '@biospec/access';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const status = (s: SiteStatus) => siteStatusToJSON(s).replace(/^SITE_STATUS_/, '').toLowerCase().replace('_', ' ');

/**
 * The availability table: per site, each published collection with its released total and the
 * material types whose figure is not below threshold, then the contact and access conditions.
 */
export function formatAvailability(response: FederatedAvailabilityResponse): string {
  const lines = [`availability ${response.queryHash.slice(0, 12)}  ${response.canonicalQueryJson}`];
  for (const site of response.sites) {
    lines.push('', `${site.nodeId} (${site.nodeName}): ${status(site.status)}${site.message ? ` - ${site.message}` : ''}${site.total ? `, ${site.total.display} available` : ''}`);
    if (site.collections.length === 0) continue;
    const rows = [['COLLECTION', 'NAME', 'AVAILABLE', 'BY MATERIAL']];
    for (const c of site.collections) {
      const materials = c.materials
        .filter((m) => m.figure?.value !== undefined && m.figure.value > 0)
        .map((m) => `${m.key.material_type} ${m.figure!.display}`)
        .join('; ');
      rows.push([c.collectionId, c.name, c.total?.display ?? '', materials || '-']);
    }
    lines.push(table(rows));
    for (const c of site.collections.filter((x) => x.contactName || x.contactEmail || x.accessConditions)) {
      lines.push(`  ${c.collectionId}: contact ${[c.contactName, c.contactEmail && `<${c.contactEmail}>`].filter(Boolean).join(' ')}${c.accessConditions ? `; access: ${c.accessConditions}` : ''}`);
    }
  }
  lines.push('', `total available: ${response.total?.display ?? 'no site answered'}`);
  return lines.join('\n');
}

export function formatRequestList(requests: readonly AccessRequest[]): string {
  if (requests.length === 0) return 'no access requests';
  return table([
    ['ID', 'STATE', 'TITLE', 'SITES', 'UPDATED'],
    ...requests.map((r) => [r.id, stateLabel(r.state), r.title, r.sites.map((s) => `${s.nodeId}:${stateLabel(s.state)}`).join(', '), r.updatedAt]),
  ]);
}

/** A request with its sites, timeline, comments, grants and deliveries, as a person reads it. */
export function formatRequest(view: AccessRequestView): string {
  const r = view.request;
  const lines = [
    `${r.id}  ${r.title}`,
    `state: ${stateLabel(r.state)}`,
    `researcher: ${view.researcher.name ?? view.researcher.personId}${view.researcher.email ? ` <${view.researcher.email}>` : ''}`,
    `purpose: ${r.purpose}   ethics: ${r.ethicsReference || '-'}`,
    `from: ${r.origin.kind} result ${r.origin.queryHash.slice(0, 12)}${r.origin.bundle === undefined ? '' : ' (with its signed bundle)'}`,
    `collections: ${r.collections.map((c) => `${c.nodeId}/${c.collectionId}`).join(', ')}`,
    ...(r.attachments.length > 0 ? [`attachments: ${r.attachments.map((a) => `${a.name} sha256:${a.sha256.slice(0, 16)}…`).join(', ')}`] : []),
    ...(r.description ? ['', r.description] : []),
    '',
    table([['SITE', 'STATE', 'COLLECTIONS', 'GRANT'], ...r.sites.map((s) => [s.nodeId, stateLabel(s.state), s.collections.join(', '), grantOf(view, s.nodeId)])]),
    '',
    'timeline:',
    ...view.timeline.map(
      (t) =>
        `  ${t.at}  ${t.nodeId ? `site ${t.nodeId}: ` : ''}${t.from ? `${stateLabel(t.from)} -> ` : ''}${stateLabel(t.to)}  by ${t.actor.name ?? t.actor.personId} (${t.actor.role})${t.reason ? `: ${t.reason}` : ''}`,
    ),
  ];
  if (view.comments.length > 0) {
    lines.push('', 'comments:', ...view.comments.map((c) => `  ${c.at}  ${c.author.name ?? c.author.personId} (${c.author.role})${c.nodeId ? ` on ${c.nodeId}` : ''}: ${c.body}`));
  }
  if (view.deliveries.length > 0) {
    lines.push('', 'delivered (encrypted to the researcher; the coordinator keeps only this record):', ...view.deliveries.map((d) => `  ${d.at}  ${d.nodeId}  ${d.bytes} bytes  sha256:${d.sha256}`));
  }
  return lines.join('\n');
}

function grantOf(view: AccessRequestView, nodeId: string): string {
  const grant = view.grants.filter((g) => g.nodeId === nodeId).pop();
  if (grant === undefined) return '-';
  return grant.revokedAt ? `${grant.id} revoked (${grant.revokeReason ?? ''})` : `${grant.id} until ${grant.expiresAt}`;
}

export function formatGrantedDetail(detail: GrantedDetail): string {
  return [
    `${detail.node_id}: ${detail.specimens.length} available specimen(s) for ${detail.request} (data epoch ${detail.data_epoch}, signed by the node${detail.truncated ? '; more matched than one answer lists' : ''})`,
    table([
      ['SAMPLE', 'COLLECTION', 'MATERIAL', 'QUANTITY', 'STORAGE'],
      ...detail.specimens.map((s) => [s.sample_id, s.collection_id, s.material_type, String(s.quantity), s.storage_temperature]),
    ]),
  ].join('\n');
}

export function formatMembership(view: MembershipView): string {
  const m = view.membership;
  return [
    `${m.nodeId}  ${m.name}  ${m.endpoint}  ${m.state}${m.contact ? `  contact ${m.contact}` : ''}`,
    ...view.history.map((t) => `  ${t.at}  ${t.from ?? '-'} -> ${t.to}  by ${t.actor.name ?? t.actor.personId} (${t.actor.role})${t.reason ? `: ${t.reason}` : ''}`),
  ].join('\n');
}
