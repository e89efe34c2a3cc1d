import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { FieldError } from './field-error.js';
import { runDetached } from '../run-detached.js';

/**
 * One workflow action with the reason recorded for it: a button that opens a short form with a
 * reason field (required where the workflow requires one), sends it, and shows the API's error
 * at the reason field when the issue is about the reason, above the form otherwise.
 */
export function ReasonAction(props: {
  label: string;
  /** The action in words for the reason's label, e.g. "declining this request". */
  purpose: string;
  reasonRequired?: boolean;
  tone?: 'primary' | 'danger' | 'normal';
  run: (reason: string) => Promise<unknown>;
  onDone: () => void;
}) {
  const { label, purpose, reasonRequired = false, tone = 'normal', run, onDone } = props;
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [reasonError, setReasonError] = useState<string[]>([]);
  const [otherError, setOtherError] = useState<string[]>([]);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setReasonError([]);
    setOtherError([]);
    try {
      await run(reason);
      setOpen(false);
      setReason('');
      onDone();
    } catch (error) {
      if (error instanceof ApiError) {
        const forReason = error.issues.filter((i) => i.field === 'reason').map((i) => `${i.message}: ${error.message}`);
        const others = error.issues.filter((i) => i.field !== 'reason').map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`);
        setReasonError(forReason);
        setOtherError(others.length > 0 ? others : forReason.length > 0 ? [] : [`${error.message} (${error.code})`]);
      } else {
        setOtherError([(error as Error).message]);
      }
    } finally {
      setBusy(false);
    }
  };
  const buttonClass = tone === 'primary' ? 'button button--primary' : tone === 'danger' ? 'button button--danger' : 'button';
  if (!open) {
    return (
      <button type="button" className={buttonClass} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  }
  return (
    <form className="reason-form" onSubmit={(event) => runDetached(() => submit(event))} noValidate aria-label={label}>
      <FieldError id={`${id}-other`} messages={otherError} />
      <div className={`field ${reasonError.length ? 'field--error' : ''}`}>
        <label htmlFor={`${id}-reason`}>
          Reason for {purpose} {reasonRequired ? <span className="required">required</span> : <span className="required">optional</span>}
        </label>
        <FieldError id={`${id}-reason-error`} messages={reasonError} />
        <textarea
          id={`${id}-reason`}
          rows={2}
          value={reason}
          aria-invalid={reasonError.length ? true : undefined}
          aria-describedby={reasonError.length ? `${id}-reason-error` : undefined}
          onChange={(event) => setReason(event.target.value)}
        />
      </div>
      <div className="actions">
        <button type="submit" className={buttonClass} disabled={busy}>
          {busy ? 'Recording…' : `Confirm: ${label.toLowerCase()}`}
        </button>
        <button type="button" className="button button--quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
