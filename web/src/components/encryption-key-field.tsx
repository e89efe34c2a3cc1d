import { useState } from 'react';
import { createEncryptionKeyPair } from '../model/encryption-key.js';
import { download } from './download.js';
import { FieldError } from './field-error.js';
import { runDetached } from '../run-detached.js';

/**
 * The public key granted detail will be encrypted to: pasted from `biospec access keygen`, or
 * made here (the private key is downloaded, never sent).
 */
export function EncryptionKeyField({ value, onChange, errors }: { value: string; onChange: (text: string) => void; errors: readonly string[] }) {
  const [made, setMade] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const make = async () => {
    try {
      const { publicJwk, privateJwk } = await createEncryptionKeyPair();
      download(`biospec-access-key-${privateJwk.kid?.slice(0, 8)}.jwk.json`, JSON.stringify(privateJwk, null, 2) + '\n', 'application/json');
      onChange(JSON.stringify(publicJwk));
      setMade(privateJwk.kid ?? '');
      setProblem(null);
    } catch (error) {
      setProblem(`this browser cannot make a P-256 key pair: ${(error as Error).message}`);
    }
  };
  const messages = [...errors, ...(problem ? [problem] : [])];
  return (
    <div className={`field ${messages.length ? 'field--error' : ''}`}>
      <label htmlFor="encryption-key">Your public encryption key (JWK)</label>
      <p className="hint" id="encryption-key-hint">
        Sites that approve send you the matching specimens' details encrypted to this key, end to end: the coordinator cannot read them. Paste the
        public key <code>biospec access keygen --out FILE</code> wrote (<code>FILE.pub.json</code>), or make a key pair here: the private key is
        downloaded to your computer (keep it; <code>biospec access fetch --key FILE</code> reads it) and is never sent. A request can be
        submitted only with a key.
      </p>
      <FieldError id="encryption-key-error" messages={messages} />
      <textarea
        id="encryption-key"
        rows={3}
        spellCheck={false}
        value={value}
        aria-invalid={messages.length ? true : undefined}
        aria-describedby={`encryption-key-hint${messages.length ? ' encryption-key-error' : ''}`}
        onChange={(event) => onChange(event.target.value)}
      />
      <div className="actions">
        <button type="button" className="button" onClick={() => runDetached(() => make())}>
          Make a key pair in this browser
        </button>
        {made !== null && (
          <span role="status">
            Key pair made (kid <code>{made.slice(0, 12)}…</code>); the private key was downloaded.
          </span>
        )}
      </div>
    </div>
  );
}
