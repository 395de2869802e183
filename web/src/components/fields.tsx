/** Labelled inputs the pages share: the label is the control's accessible name. */

export function PasswordField(props: { label: string; value: string; onValue: (value: string) => void; choosing?: boolean }) {
  // A password being chosen must meet the API's 8..128; one being typed to sign in or confirm need only be there.
  const rules = props.choosing
    ? { minLength: 8, maxLength: 128, autoComplete: "new-password" }
    : { maxLength: 128, autoComplete: "current-password" };
  return (
    <label>
      {props.label}
      <input type="password" required {...rules} value={props.value} onInput={(event) => props.onValue(event.currentTarget.value)} />
    </label>
  );
}

export function WholeNumberField(props: { label: string; min: number; max: number; value: string; onValue: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        min={props.min}
        max={props.max}
        step={1}
        required
        value={props.value}
        onInput={(event) => props.onValue(event.currentTarget.value)}
      />
    </label>
  );
}

/** One checkbox per key of `values`, in a fieldset. */
export function Checkboxes<K extends string>(props: {
  legend: string;
  labels: Record<K, string>;
  values: Record<K, boolean>;
  disabled: boolean;
  onChange: (values: Record<K, boolean>) => void;
}) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {(Object.keys(props.labels) as K[]).map((key) => (
        <label class="check" key={key}>
          <input
            type="checkbox"
            checked={props.values[key]}
            disabled={props.disabled}
            onChange={(event) => props.onChange({ ...props.values, [key]: event.currentTarget.checked })}
          />
          {props.labels[key]}
        </label>
      ))}
    </fieldset>
  );
}
