// Shared helpers of the console's browser tests and benchmark: Debian's chromium, headless, driven
// by playwright-core. Every request the pages make is logged so tests can check what went where.
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";

export const URL_BASE = process.env.STRATUS_URL ?? "http://127.0.0.1:7600";
export const TOKEN = process.env.STRATUS_TOKEN ?? "";
export const OUT = process.env.STRATUS_OUT ?? "/tmp/stratus-console";

export function chromiumPath() {
  for (const p of [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (p && existsSync(p)) return p;
  }
  throw new Error("chromium not found (install-deps installs Debian's chromium)");
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // --no-sandbox: the tests run as root, where chromium's sandbox refuses to start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

// A page at `viewport` whose every request URL and every console error is recorded.
export async function openPage(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => {
    errors.push(`unexpected dialog: ${d.message()}`);
    d.dismiss();
  });
  return { context, page, requests, errors };
}

export async function login(page, token = TOKEN) {
  await page.goto(`${URL_BASE}/console/`);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
}

export async function goto(page, path) {
  await page.click(`header nav a[href="/console/${path}"]`);
}

export function result(obj) {
  console.log("RESULT " + JSON.stringify(obj));
}

// Polls `fn` (async, truthy when done) every 50 ms for at most `limitMs`; returns its value or throws `what`.
export async function until(what, fn, limitMs = 30000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api(method, path, body) {
  const res = await fetch(URL_BASE + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

// Runs `main` with a browser; prints the error and exits 1 on failure.
export async function run(main) {
  const browser = await launch();
  try {
    await main(browser);
    await browser.close();
    process.exit(0);
  } catch (e) {
    console.error(e?.stack ?? String(e));
    await browser.close().catch(() => {});
    process.exit(1);
  }
}
