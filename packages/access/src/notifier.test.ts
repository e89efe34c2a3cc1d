import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createLogNotifier, createSmtpNotifier, createWebhookNotifier, type Notification } from './notifier.js';

const notification: Notification = {
  event: 'site-reminder',
  subject: '[biospec] reminder: req-1 "Cohort" awaits site north',
  text: 'Access request req-1 still awaits the answer of site north.',
  requestId: 'req-1',
  nodeId: 'north',
  recipients: [
    { personId: 'p1', name: 'Nora North', email: 'nora@north.example', role: 'steward:north' },
    { personId: 'p2', name: null, email: 'desk@north.example', role: 'steward:north' },
    { personId: 'p3', name: 'No Mail', email: null, role: 'steward:north' },
  ],
};

test('the log notifier writes one line with the event, request and recipients', async () => {
  const lines: { object: object; message: string }[] = [];
  await createLogNotifier({ info: (object, message) => void lines.push({ object, message }) }).notify(notification);
  expect(lines).toEqual([
    {
      message: 'notification',
      object: { event: 'site-reminder', requestId: 'req-1', nodeId: 'north', recipients: ['nora@north.example', 'desk@north.example', 'p3'], subject: notification.subject },
    },
  ]);
});

test('the SMTP notifier delivers one message to every recipient with an address, through a real SMTP server', async () => {
  const received: { from: string; to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const notifier = createSmtpNotifier({ host: '127.0.0.1', port, from: 'biospec@coordinator.example' });
  try {
    await notifier.notify(notification);
    await notifier.notify({ ...notification, recipients: [notification.recipients[2]!] });
  } finally {
    await notifier.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  expect(received).toHaveLength(1);
  expect(received[0]).toMatchObject({ from: 'biospec@coordinator.example', to: ['nora@north.example', 'desk@north.example'] });
  expect(subjectOf(received[0]!.data)).toBe('[biospec] reminder: req-1 "Cohort" awaits site north');
  expect(received[0]!.data).toContain('X-Biospec-Event: site-reminder');
  expect(received[0]!.data).toContain('still awaits the answer of site north');
});

test('an SMTP server that refuses is a failure the caller sees', async () => {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(_address, _session, callback) {
      callback(new Error('mailbox unavailable'));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const notifier = createSmtpNotifier({ host: '127.0.0.1', port, from: 'biospec@coordinator.example' });
  try {
    await expect(notifier.notify(notification)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^notification not sent by SMTP 127\.0\.0\.1:\d+: /) });
  } finally {
    await notifier.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('the webhook notifier POSTs signed JSON to a real HTTP server; a non-2xx answer is a failure', async () => {
  const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let status = 204;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/biospec`;
  try {
    const notifier = createWebhookNotifier({ url, secret: 'shared-secret' });
    await notifier.notify(notification);
    const [request] = requests;
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({ event: 'site-reminder', requestId: 'req-1', nodeId: 'north', subject: notification.subject, recipients: notification.recipients });
    expect(request!.headers['x-biospec-signature']).toBe(`sha256=${createHmac('sha256', 'shared-secret').update(request!.body).digest('hex')}`);
    expect(request!.headers['content-type']).toBe('application/json');
    status = 500;
    await expect(notifier.notify(notification)).rejects.toThrow(`notification not delivered to webhook ${url}: HTTP 500`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** The Subject header of a raw message, unfolded and with RFC 2047 Q-encoded words decoded. */
function subjectOf(raw: string): string {
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ');
  const line = /^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '';
  return line
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_m, text: string) =>
      Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
    );
}
