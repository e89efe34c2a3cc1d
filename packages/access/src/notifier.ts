/**
 * Notifications of the access workflow: who must act or know, told by a notifier chosen by
 * config: a log line (the default), e-mail over SMTP, or a JSON POST to a webhook. A
 * notification never carries specimen detail: only the request, its state and who acted.
 */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { BiospecError } from '@biospec/protocol';

/** Someone a notification is for. */
export interface Recipient {
  personId: string;
  name: string | null;
  email: string | null;
  /** Why they get it: the role they hold (`staff`, `steward:north-uh`, `researcher`). */
  role: string;
}

export const NOTIFICATION_EVENTS = [
  'request-submitted',
  'request-returned',
  'request-approved',
  'request-declined',
  'request-concluded',
  'request-abandoned',
  'request-under-review',
  'site-decided',
  'site-asked',
  'site-reminder',
  'comment-added',
  'grant-issued',
  'grant-revoked',
  'membership-applied',
  'membership-decided',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface Notification {
  event: NotificationEvent;
  subject: string;
  text: string;
  requestId?: string;
  nodeId?: string;
  recipients: Recipient[];
}

export interface Notifier {
  /** Sends one notification; rejects when it could not be sent (the workflow logs that and goes on). */
  notify(notification: Notification): Promise<void>;
  close(): Promise<void>;
}

/** The default: one structured log line per notification. */
export function createLogNotifier(logger: { info(object: object, message: string): void }): Notifier {
  return {
    async notify(n) {
      logger.info(
        {
          event: n.event,
          requestId: n.requestId,
          nodeId: n.nodeId,
          recipients: n.recipients.map((r) => r.email ?? r.personId),
          subject: n.subject,
        },
        'notification',
      );
    },
    async close() {},
  };
}

export interface SmtpNotifierConfig {
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  /** Refuse to send without STARTTLS. */
  requireTls?: boolean;
  from: string;
  auth?: { user: string; pass: string };
  /** Accept a server certificate no CA vouches for (test servers only). */
  allowUnverifiedTls?: boolean;
}

/** E-mail: one message per notification, to every recipient with an address (others are skipped). */
export function createSmtpNotifier(config: SmtpNotifierConfig): Notifier {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure ?? false,
    requireTLS: config.requireTls ?? false,
    ...(config.auth ? { auth: config.auth } : {}),
    ...(config.allowUnverifiedTls ? { tls: { rejectUnauthorized: false } } : {}),
  });
  return {
    async notify(n) {
      const to = n.recipients.flatMap((r) => (r.email ? [r.name ? `"${r.name.replace(/"/g, "'")}" <${r.email}>` : r.email] : []));
      if (to.length === 0) return;
      try {
        await transport.sendMail({ from: config.from, to, subject: n.subject, text: n.text, headers: { 'X-Biospec-Event': n.event } });
      } catch (cause) {
        throw new BiospecError('UNAVAILABLE', `notification not sent by SMTP ${config.host}:${config.port}: ${(cause as Error).message}`, { cause });
      }
    },
    async close() {
      transport.close();
    },
  };
}

export interface WebhookNotifierConfig {
  url: string;
  /** When set, each body is signed: header `X-Biospec-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string;
  timeoutMs?: number;
}

/** A JSON POST per notification; a status other than 2xx is a failure. */
export function createWebhookNotifier(config: WebhookNotifierConfig): Notifier {
  return {
    async notify(n) {
      const body = JSON.stringify({
        event: n.event,
        subject: n.subject,
        text: n.text,
        requestId: n.requestId ?? null,
        nodeId: n.nodeId ?? null,
        recipients: n.recipients.map((r) => ({ personId: r.personId, name: r.name, email: r.email, role: r.role })),
        sentAt: new Date().toISOString(),
      });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-biospec-event': n.event };
      if (config.secret) headers['x-biospec-signature'] = `sha256=${createHmac('sha256', config.secret).update(body).digest('hex')}`;
      let response: Response;
      try {
        response = await fetch(config.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(config.timeoutMs ?? 5000) });
      } catch (cause) {
        throw new BiospecError('UNAVAILABLE', `notification not delivered to webhook ${config.url}: ${(cause as Error).message}`, { cause });
      }
      await response.arrayBuffer();
      if (!response.ok) throw new BiospecError('UNAVAILABLE', `notification not delivered to webhook ${config.url}: HTTP ${response.status}`);
    },
    async close() {},
  };
}
