/**
 * Reminders to sites that have not answered: a site still pending `afterMs` after staff
 * approved its request (or after its last reminder) is reminded once more, through the
 * same notifier as everything else. The coordinator runs this on a timer.
 */
import type { PeopleRepository } from '@biospec/registry';
import type { Notifier } from './notifier.js';
import type { RequestRepository } from './repositories.js';

export interface RemindersDeps {
  requests: RequestRepository;
  people: Pick<PeopleRepository, 'withRole'>;
  notifier: Notifier;
  /** How long a site may stay pending before it is reminded, and between reminders. */
  afterMs: number;
  requestUri: (requestId: string) => string;
  now?: () => Date;
}

/** Sends the reminders due now; returns the sites reminded (`request/node`). */
export async function sendDueReminders(deps: RemindersDeps): Promise<string[]> {
  const at = (deps.now ?? (() => new Date()))();
  const due = (await deps.requests.awaitingSites()).filter((s) => {
    const since = Date.parse(s.remindedAt ?? s.askedAt);
    return Number.isFinite(since) && at.getTime() - since >= deps.afterMs;
  });
  const reminded: string[] = [];
  for (const site of due) {
    const request = await deps.requests.get(site.requestId);
    if (request === undefined) continue;
    const role = `steward:${site.nodeId}`;
    const recipients = (await deps.people.withRole(role as never)).map((p) => ({ personId: p.id, name: p.name, email: p.email, role }));
    const days = Math.floor((at.getTime() - Date.parse(site.askedAt)) / 86_400_000);
    await deps.notifier.notify({
      event: 'site-reminder',
      subject: `[biospec] reminder: ${request.id} "${request.title}" awaits site ${site.nodeId}`,
      text: `Access request ${request.id} "${request.title}" was approved by staff ${days} day(s) ago and still awaits the answer of site ${site.nodeId}.\n${deps.requestUri(request.id)}\n`,
      requestId: request.id,
      nodeId: site.nodeId,
      recipients,
    });
    await deps.requests.markReminded(site.requestId, site.nodeId, at.toISOString());
    reminded.push(`${site.requestId}/${site.nodeId}`);
  }
  return reminded;
}
