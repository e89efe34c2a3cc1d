import fs from 'node:fs';
import type { Logger } from 'pino';
import { createLogNotifier, createSmtpNotifier, createWebhookNotifier, type Notifier } from '@biospec/access';
import { BiospecError } from '@biospec/protocol';
import type { CoordinatorConfig } from './config.js';

function secret(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read the ${what} ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The notifier `access.notifier` in coordinator.json names: log lines (the default), SMTP or a webhook. */
export function createConfiguredNotifier(config: CoordinatorConfig, logger: Logger): Notifier {
  const n = config.access.notifier;
  switch (n.kind) {
    case 'log':
      return createLogNotifier(logger);
    case 'smtp':
      return createSmtpNotifier({
        host: n.host,
        port: n.port,
        secure: n.secure,
        requireTls: n.requireTls,
        from: n.from,
        ...(n.auth ? { auth: { user: n.auth.user, pass: secret(n.auth.passwordFile, 'SMTP password file') } } : {}),
      });
    case 'webhook':
      return createWebhookNotifier({ url: n.url, timeoutMs: n.timeoutMs, ...(n.secretFile ? { secret: secret(n.secretFile, 'webhook secret file') } : {}) });
  }
}
