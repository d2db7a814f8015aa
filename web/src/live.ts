// Live data: 1 s polling of the REST API. A poll starts only after the previous one finished, so a
// slow daemon is never asked twice at once, and polling stops with the component.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api";

export const LIVE_MS = 1000;

export interface Live<T> {
  data: T | undefined;
  error: string;
  refresh: () => void;
}

export function usePoll<T>(fetcher: () => Promise<T>, deps: unknown[] = [], interval = LIVE_MS): Live<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const kick = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let running = false;
    const run = async () => {
      if (stopped || running) return;
      running = true;
      window.clearTimeout(timer);
      const started = Date.now();
      try {
        const d = await fetcher();
        if (!stopped) {
          setData(d);
          setError("");
        }
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
      running = false;
      // The next poll starts `interval` after this one started (at once if this one took longer), so the page
      // is at most one interval plus one round trip behind the daemon.
      if (!stopped) timer = window.setTimeout(run, Math.max(0, interval - (Date.now() - started)));
    };
    kick.current = run;
    setData(undefined);
    run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, deps);
  return { data, error, refresh: () => kick.current() };
}
