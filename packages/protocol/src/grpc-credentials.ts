import fs from 'node:fs';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';

/** PEM files for one side of a TLS channel. Paths are read when credentials are built. */
export interface TlsFiles {
  /** This side's certificate chain (PEM). */
  cert: string;
  /** This side's private key (PEM). */
  key: string;
  /** CA bundle used to verify the peer (PEM); on a server, setting it with `requireClientCert` gives mutual TLS. */
  ca?: string;
  /** Server only: refuse clients that present no certificate signed by `ca`. */
  requireClientCert?: boolean;
}

/** Server credentials: plaintext when `tls` is absent (loopback and tests only), TLS or mutual TLS otherwise. */
export function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const ca = tls.ca ? fs.readFileSync(tls.ca) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: fs.readFileSync(tls.cert), private_key: fs.readFileSync(tls.key) }],
    tls.requireClientCert ?? false,
  );
}

/** Client side of a channel: `ca` verifies the server; `cert` and `key` are presented for mutual TLS. */
export interface ClientTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export function channelCredentials(tls: ClientTlsFiles | undefined): ChannelCredentials {
  if (!tls) return ChannelCredentials.createInsecure();
  const read = (file: string | undefined) => (file ? fs.readFileSync(file) : null);
  return ChannelCredentials.createSsl(read(tls.ca), read(tls.key), read(tls.cert));
}
