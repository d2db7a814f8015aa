// Every call of the console goes through stratusd's REST API (the one the CLI uses), with the
// token as a bearer header. The token lives in sessionStorage only: never in a URL or a cookie.

const TOKEN_KEY = "stratus.token";

export type Json = any;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  // What the console shows: the API's own code and message.
  get text(): string {
    return this.code ? `${this.code}: ${this.message}` : this.message;
  }
}

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

let authLost: () => void = () => {};
// Called on any 401: the token is wrong or was replaced; the console returns to the login page.
export function onAuthLost(fn: () => void): void {
  authLost = fn;
}

export type Query = Record<string, string | number | string[] | undefined>;

export function withQuery(path: string, q?: Query): string {
  if (!q) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) p.append(k, String(item));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export async function call<T = Json>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${getToken()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(withQuery(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await res.text();
  if (!res.ok) {
    let code = "";
    let message = text || `HTTP ${res.status}`;
    try {
      const j = JSON.parse(text);
      code = j?.Error?.Code ?? "";
      message = j?.Error?.Message ?? message;
    } catch {
      // not JSON: shown as it came
    }
    if (res.status === 401) authLost();
    throw new ApiError(res.status, code, message);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

// A text answer (the Prometheus exposition of /metrics).
export async function getText(path: string): Promise<string> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${getToken()}` }, cache: "no-store", credentials: "omit" });
  if (res.status === 401) authLost();
  if (!res.ok) throw new ApiError(res.status, "", `${path}: HTTP ${res.status}`);
  return res.text();
}

export const get = <T = Json>(path: string, query?: Query) => call<T>("GET", path, undefined, query);
export const post = <T = Json>(path: string, body?: unknown) => call<T>("POST", path, body ?? {});

export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.text : String(e);
}

// Text (UTF-8) to base64, for user data.
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

// GetMetricStatistics for the last `seconds`, oldest first, as [unix seconds[], values[]].
export async function metricSeries(
  ns: string,
  name: string,
  dims: Record<string, string>,
  statistic: string,
  period: number,
  seconds: number,
  // Gauges stamped at the second they were read (group sizes) are whole at once: include the
  // current second. Counters still filling it (requests) are not: leave it out.
  includeCurrent = false,
): Promise<[number[], (number | null)[]]> {
  const now = Math.floor(Date.now() / 1000) + (includeCurrent ? 1 : 0);
  const r = await get("/v1/metrics/statistics", {
    namespace: ns,
    name,
    dimension: Object.entries(dims).map(([k, v]) => `${k}=${v}`),
    statistic,
    period,
    start: now - seconds,
    end: now,
  });
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (const d of r.Datapoints ?? []) {
    t.push(Date.parse(d.Timestamp) / 1000);
    v.push(statistic.startsWith("p") ? (d.ExtendedStatistics?.[statistic] ?? null) : (d[statistic] ?? null));
  }
  return [t, v];
}
