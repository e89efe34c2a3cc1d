/** The message of a form field's error, tied to the field by id (aria-describedby) and announced when it appears. */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div id={id} className="field-error">
      {messages.map((message, i) => (
        <p key={i}>
          <span className="visually-hidden">Error: </span>
          {message}
        </p>
      ))}
    </div>
  );
}
