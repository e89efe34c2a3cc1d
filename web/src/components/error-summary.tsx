import { useEffect, useRef } from 'react';

export interface SummaryItem {
  message: string;
  /** id of the field to jump to, when the error belongs to one. */
  target?: string;
}

/**
 * The list of what went wrong, at the top of a form, focused when it appears so keyboard and
 * screen reader users hear it; each item links to its field.
 */
export function ErrorSummary({ title, items, code }: { title: string; items: readonly SummaryItem[]; code?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (items.length > 0) box.current?.focus();
  }, [items]);
  if (items.length === 0) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={box} aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">
        {title}
        {code ? <span className="error-code"> ({code})</span> : null}
      </h2>
      <ul>
        {items.map((item, i) => (
          <li key={i}>
            {item.target ? (
              <a
                href={`#${item.target}`}
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(item.target as string)?.focus();
                }}
              >
                {item.message}
              </a>
            ) : (
              item.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
