import { FieldError } from './field-error.js';

export interface Choice<T extends string> {
  value: T;
  label: string;
  /** Shown after the label, e.g. the code behind it. */
  note?: string;
  disabled?: boolean;
}

/** A fieldset of checkboxes with a legend, a hint and the field's errors. */
export function CheckboxGroup<T extends string>(props: {
  id: string;
  legend: string;
  hint?: string;
  choices: readonly Choice<T>[];
  selected: readonly T[];
  onChange: (selected: T[]) => void;
  errors: readonly string[];
  columns?: boolean;
}) {
  const { id, legend, hint, choices, selected, onChange, errors } = props;
  const described = [hint ? `${id}-hint` : '', errors.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const toggle = (value: T, on: boolean) => {
    const next = on ? [...selected, value] : selected.filter((v) => v !== value);
    // Keep the order of the choices, so the query reads the same whatever order boxes were ticked in.
    onChange(choices.map((c) => c.value).filter((v) => next.includes(v)));
  };
  return (
    <fieldset className={`field ${errors.length > 0 ? 'field--error' : ''}`} id={id} tabIndex={-1} aria-describedby={described}>
      <legend>{legend}</legend>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldError id={`${id}-error`} messages={errors} />
      <div className={props.columns ? 'choices choices--columns' : 'choices'}>
        {choices.map((choice) => {
          const inputId = `${id}-${choice.value}`;
          return (
            <div className="choice" key={choice.value}>
              <input
                type="checkbox"
                id={inputId}
                checked={selected.includes(choice.value)}
                disabled={choice.disabled}
                onChange={(event) => toggle(choice.value, event.target.checked)}
              />
              <label htmlFor={inputId}>
                {choice.label}
                {choice.note && <span className="choice-note"> {choice.note}</span>}
              </label>
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}
