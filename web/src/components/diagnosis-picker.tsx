import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import { describeDiagnosisItem, diagnosisOptions, readDiagnosisEntry } from '../model/diagnosis.js';
import { FieldError } from './field-error.js';

/**
 * ICD-10 diagnoses: a combobox (WAI-ARIA 1.2 pattern) that searches codes and titles, and takes
 * a code (C50), a range (C00-C97) or a chapter (II) typed in and confirmed with Enter. Chosen
 * items are listed below with a button to remove each.
 */
export function DiagnosisPicker(props: { id: string; items: readonly string[]; onChange: (items: string[]) => void; errors: readonly string[] }) {
  const { id, items, onChange, errors } = props;
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const listId = `${id}-options`;
  const statusId = useId();
  const options = useMemo(() => diagnosisOptions(text).filter((o) => !items.includes(o.item)), [text, items]);

  const add = (item: string) => {
    if (item !== '' && !items.includes(item)) onChange([...items, item]);
    setText('');
    setOpen(false);
    setActive(-1);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((i) => Math.min(options.length - 1, i + 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(-1, i - 1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const chosen = open && active >= 0 ? options[active] : undefined;
      add(chosen ? chosen.item : readDiagnosisEntry(text).item);
    } else if (event.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  };
  const described = [`${id}-hint`, errors.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ');
  const showList = open && options.length > 0;

  return (
    <div className={`field ${errors.length > 0 ? 'field--error' : ''}`}>
      <label htmlFor={id}>Diagnosis (ICD-10)</label>
      <p className="hint" id={`${id}-hint`}>
        Search by code or words of the title, or type a code (C50), a range (C00-C97) or a chapter (II) and press Enter. A code includes its
        subcodes.
      </p>
      <FieldError id={`${id}-error`} messages={errors} />
      <div className="combobox">
        <input
          id={id}
          type="text"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={listId}
          aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
          aria-describedby={described}
          aria-invalid={errors.length > 0 ? true : undefined}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
          onFocus={() => setOpen(text !== '')}
        />
        <ul id={listId} role="listbox" aria-label="Matching ICD-10 codes, ranges and chapters" className="combobox-list" hidden={!showList}>
          {options.map((option, i) => (
            <li
              key={option.item}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'combobox-option combobox-option--active' : 'combobox-option'}
              // mousedown, not click: the input's blur would close the list before a click lands.
              onMouseDown={(event) => {
                event.preventDefault();
                add(option.item);
              }}
            >
              <span className="code">{option.item}</span> {option.label}
            </li>
          ))}
        </ul>
        <p id={statusId} className="visually-hidden" role="status">
          {open && text !== '' ? `${options.length} matches` : ''}
        </p>
      </div>
      {items.length > 0 && (
        <ul className="chips" aria-label="Chosen diagnoses">
          {items.map((item) => (
            <li key={item} className="chip">
              <span className="code">{item}</span> <span className="chip-label">{describeDiagnosisItem(item)}</span>
              <button type="button" className="chip-remove" aria-label={`Remove ${item}`} onClick={() => onChange(items.filter((i) => i !== item))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
