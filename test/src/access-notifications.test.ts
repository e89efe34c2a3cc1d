/**
 * A coordinator configured with the SMTP notifier tells people of the workflow by e-mail,
 * through a real SMTP server on 127.0.0.1: staff when a request is submitted, the stewards of
 * its sites when staff approve it, and reminds a site that has not answered after the
 * configured time (on the coordinator's own timer).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { generateEncryptionKey } from '@biospec/access';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { waitFor } from './harness/load.js';

let net: ExactFederation;
let smtp: SMTPServer;
const mail: { to: string[]; data: string }[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        mail.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  net = await startExactFederation({
    donorsPerSite: 30,
    coordinatorConfig: (config) => ({
      ...config,
      access: {
        ...config.access,
        // Reminders after about a second, looked for every second: the test waits for them, it does not sleep.
        remindAfterHours: 0.0003,
        reminderCheckSeconds: 1,
        notifier: { kind: 'smtp', host: '127.0.0.1', port, secure: false, requireTls: false, from: 'biospec@coordinator.example.org' },
      },
    }),
  });
}, 120_000);

afterAll(async () => {
  await net?.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const token = (role: string) => net.federation.accounts.find((a) => a.roles.includes(role as never))!.token;
async function ok(method: string, pathname: string, role: string, body?: unknown): Promise<any> {
  const response = await fetch(net.url + pathname, {
    method,
    headers: { authorization: `Bearer ${token(role)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(JSON.stringify(answer));
  return answer;
}

test('submitted, approved, and a reminder to the site that has not answered, by e-mail', async () => {
  const [a, b] = net.federation.nodes.map((n) => n.site.id) as [string, string];
  const { publicJwk } = await generateEncryptionKey();
  const { request } = await ok('POST', '/api/v1/access/requests', 'researcher', {
    title: 'Mailed request',
    description: 'Tell everyone.',
    ethicsReference: 'EC-MAIL',
    purpose: 'DUO:0000006',
    origin: { kind: 'count', query: { unit: 'donors' } },
    collections: [
      { nodeId: a, collectionId: 'x' },
      { nodeId: b, collectionId: 'y' },
    ],
    encryptionKey: publicJwk,
  });
  await ok('POST', `/api/v1/access/requests/${request.id}/actions/submit`, 'researcher');
  await waitFor(() => mail.some((m) => m.to.includes('staff@example.org') && m.data.includes(request.id)), 'the e-mail to staff');
  await ok('POST', `/api/v1/access/requests/${request.id}/actions/review`, 'staff');
  await ok('POST', `/api/v1/access/requests/${request.id}/actions/approve`, 'staff');
  await waitFor(() => mail.some((m) => m.to.includes(`steward@${a}.example.org`) && m.to.includes(`steward@${b}.example.org`)), 'the e-mail asking both sites');
  await ok('POST', `/api/v1/access/requests/${request.id}/sites/${a}/actions/approve`, `steward:${a}`);
  // b has not answered: the coordinator's timer reminds b's steward, and only b's.
  await waitFor(() => mail.some((m) => m.data.includes('X-Biospec-Event: site-reminder') && m.to.includes(`steward@${b}.example.org`)), 'the reminder to site b');
  const reminders = mail.filter((m) => m.data.includes('X-Biospec-Event: site-reminder'));
  expect(reminders.flatMap((m) => m.to)).not.toContain(`steward@${a}.example.org`);
}, 60_000);
