import { useEffect, useState } from 'react';

/** A running operation: what is happening, the seconds so far, and a way to stop waiting. */
export function Progress({ label, onCancel }: { label: string; onCancel?: () => void }) {
  const [started] = useState(() => Date.now());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, []);
  const seconds = ((now - started) / 1000).toFixed(1);
  return (
    <div className="progress" role="status" aria-live="polite">
      <progress aria-label={label} />
      <span>
        {label} <span aria-hidden="true">{seconds} s</span>
      </span>
      {onCancel && (
        <button type="button" className="button button--quiet" onClick={onCancel}>
          Stop waiting
        </button>
      )}
    </div>
  );
}
