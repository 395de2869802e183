/** Errors in words (never swallowed) and short confirmations, announced to screen readers. */
import type { ApiError } from "../api";

export function ErrorMessage({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div class="message error" role="alert">
      <p>{error.message}</p>
      {error.fields.length > 1 && (
        <ul>
          {error.fields.map((field) => (
            <li key={field.field}>
              {field.field}: {field.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ text }: { text: string | null }) {
  return (
    <p class="message notice" role="status">
      {text ?? ""}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}
