import { ApiError } from '../api/client.js';
import { ErrorSummary } from './error-summary.js';

/** An API error in full: its code, message and every issue with the field it names. */
export function ApiErrorBox({ title, error }: { title: string; error: Error | null }) {
  if (error === null) return null;
  const items =
    error instanceof ApiError && error.issues.length > 0
      ? error.issues.map((issue) => ({ message: `${issue.field ? `${issue.field}: ` : ''}${issue.message}` }))
      : [{ message: error.message }];
  return <ErrorSummary title={title} code={error instanceof ApiError ? error.code : undefined} items={items} />;
}
