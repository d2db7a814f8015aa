// Small pieces every page uses. Everything a user or the API wrote is rendered as text children
// (Preact escapes it): no page sets HTML from data.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "./api";

export type Tag = { Key: string; Value: string };

export function tagText(tags: Tag[] | undefined): string {
  return (tags ?? []).map((t) => `${t.Key}=${t.Value}`).join(", ");
}

export function tagValue(tags: Tag[] | undefined, key: string): string {
  return (tags ?? []).find((t) => t.Key === key)?.Value ?? "";
}

export function ErrorLine({ text }: { text: string }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

// A button that runs an API action and shows the API's error, verbatim, beside it.
export function Action({
  label,
  run,
  confirm: ask,
  done,
  kind,
}: {
  label: string;
  run: () => Promise<unknown>;
  confirm?: string;
  done?: () => void;
  kind?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return (
    <span class="action">
      <button
        class={kind ?? ""}
        disabled={busy}
        onClick={async () => {
          if (ask && !window.confirm(ask)) return;
          setBusy(true);
          setError("");
          try {
            await run();
            done?.();
          } catch (e) {
            setError(errorText(e));
          }
          setBusy(false);
        }}
      >
        {label}
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

export function Stat({ label, value, testId }: { label: string; value: ComponentChildren; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

export function money(v: number | undefined, digits = 4): string {
  return v === undefined ? "–" : `$${v.toFixed(digits)}`;
}

// Bytes in binary units (as `du -h`): 512 B, 3.4 MiB, 1.2 GiB.
export function bytes(n: number | undefined): string {
  if (n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function ago(iso: string | undefined): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export function Loading({ error }: { error: string }) {
  return error ? <ErrorLine text={error} /> : <p class="muted">Loading…</p>;
}
