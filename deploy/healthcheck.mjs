// The containers' HEALTHCHECK: exit 0 when the service's readiness URL answers 200 within two
// seconds, 1 otherwise. The images hold no curl or wget; Node's fetch does.
const url = process.env.BIOSPEC_HEALTH_URL ?? 'http://127.0.0.1:9464/readyz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
