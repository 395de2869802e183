/** Data of a page: loaded once, reloaded on the live events that may change it and after an outage. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { asApiError, type ApiError } from "./api";
import { live, type LiveEvent } from "./live";

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useResource<T>(load: () => Promise<T>, deps: unknown[], events: readonly LiveEvent[] = []): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // `deps` is the caller's list for `load`.
  const loader = useCallback(load, deps);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await loader();
      if (mine !== generation.current) return;
      setData(next);
      setError(null);
    } catch (caught) {
      if (mine !== generation.current) return;
      setError(asApiError(caught));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [loader]);

  useEffect(() => {
    setLoading(true);
    setData(undefined);
    void reload();
  }, [reload]);

  useEffect(
    () =>
      live.subscribe((message) => {
        if (message.type === "resync" || events.includes(message.type)) void reload();
      }),
    [reload, events.join(",")],
  );

  return { data, error, loading, reload };
}

/** Runs an action of a form or button: busy while it runs, its error kept to show. */
export function useAction<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): { run: (...args: A) => Promise<boolean>; busy: boolean; error: ApiError | null; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
      return true;
    } catch (caught) {
      setError(asApiError(caught));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(null) };
}
