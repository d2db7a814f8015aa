// The console's benchmark (bench/console/run starts the daemon and runs this):
//  1. first load against the real stratusd: bytes transferred (gzip) and time to first render, cold
//     cache, headless chromium on loopback; goals 250 KB and 500 ms.
//  2. the instances table with 1,000 instances: time to apply a filter; goal 100 ms. The 1,000 rows
//     come from STAND-IN SERVER below, not from stratusd: a small node HTTP server that serves the
//     same built console files and answers GET /v1/instances with 1,000 synthetic instances in the
//     REST API's shape (one stratusd on a 2-core box would take minutes to launch 1,000). It exists
//     only in this benchmark.
import { createServer } from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { TOKEN, URL_BASE, launch, openPage } from "../test/browser.mjs";

const ASSETS = process.env.STRATUS_CONSOLE_DIR;
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function firstLoad(browser, base, loggedIn) {
  const { page, context } = await openPage(browser);
  let bytes = 0;
  page.on("requestfinished", async (r) => {
    const s = await r.sizes().catch(() => null);
    if (s) bytes += s.responseBodySize + s.responseHeadersSize;
  });
  if (loggedIn) await page.addInitScript((t) => sessionStorage.setItem("stratus.token", t), TOKEN);
  const t0 = Date.now();
  await page.goto(`${base}/console/`, { waitUntil: "commit" });
  await page.waitForSelector(loggedIn ? '[data-testid="stat-running"]' : 'input[name="token"]');
  const ms = Date.now() - t0;
  await page.waitForLoadState("networkidle").catch(() => {});
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1);
  await context.close();
  return { ms, fcp, bytes };
}

// STAND-IN SERVER (benchmark only): the console's files plus /v1/instances with 1,000 synthetic rows.
function standIn() {
  const files = new Map();
  for (const f of readdirSync(ASSETS)) files.set(f, readFileSync(join(ASSETS, f)));
  const states = ["running", "running", "running", "stopped", "pending"];
  const instances = Array.from({ length: 1000 }, (_, i) => ({
    InstanceId: `i-${(0x10000000 + i).toString(16).padStart(17, "0")}`,
    ImageId: "ami-0000000000000001",
    InstanceType: ["t3.micro", "t3.small", "m5.large"][i % 3],
    State: { Code: 16, Name: states[i % 5] },
    PrivateIpAddress: `172.31.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    SubnetId: `subnet-000${i % 3}`,
    LaunchTime: "2026-12-01T00:00:00.000Z",
    Tags: [{ Key: "Name", Value: `web-${i}` }, { Key: "team", Value: `t${i % 7}` }],
  }));
  const api = {
    "/v1/instances": { Instances: instances },
    "/v1/instance-types": { InstanceTypes: [{ InstanceType: "t3.micro" }, { InstanceType: "t3.small" }, { InstanceType: "m5.large" }] },
    "/v1/images": { Images: [] },
    "/v1/launch-templates": { LaunchTemplates: [] },
  };
  const server = createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (api[path]) {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(api[path]));
    }
    const name = path.replace(/^\/console\/?/, "") || "index.html";
    const f = files.has(name) ? name : "index.html";
    const gz = files.get(f + ".gz");
    res.writeHead(200, { "Content-Type": f.endsWith(".js") ? "text/javascript" : f.endsWith(".css") ? "text/css" : "text/html", ...(gz ? { "Content-Encoding": "gzip" } : {}) });
    res.end(gz ?? files.get(f));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function filterTimes(browser, base) {
  const { page, context } = await openPage(browser);
  await page.addInitScript(() => sessionStorage.setItem("stratus.token", "stand-in"));
  await page.goto(`${base}/console/instances`);
  await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent?.startsWith("1000 of 1000"));
  // One filter change, timed in the page from the change event to the next frame after the rows changed.
  const apply = (selector, value) =>
    page.evaluate(
      async ([selector, value]) => {
        const el = document.querySelector(selector);
        const count = document.querySelector('[data-testid="row-count"]');
        const before = count.textContent;
        const t0 = performance.now();
        el.value = value;
        el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
        while (count.textContent === before) await new Promise((r) => setTimeout(r, 0));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return performance.now() - t0;
      },
      [selector, value],
    );
  const times = [];
  for (let k = 0; k < 3; k++) {
    times.push(await apply('select[name="filter-state"]', "stopped"));
    times.push(await apply('select[name="filter-state"]', ""));
    times.push(await apply('input[name="filter-tag"]', "team=t3"));
    times.push(await apply('input[name="filter-tag"]', ""));
  }
  const scroll = await page.evaluate(async () => {
    const box = document.querySelector('[data-testid="instances-table"]');
    const t0 = performance.now();
    for (let y = 0; y < 20; y++) {
      box.scrollTop = y * 1500;
      box.dispatchEvent(new Event("scroll"));
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return (performance.now() - t0) / 20;
  });
  await context.close();
  return { times, scroll };
}

const browser = await launch();
try {
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) cold.push(await firstLoad(browser, URL_BASE, false));
  for (let i = 0; i < RUNS; i++) warm.push(await firstLoad(browser, URL_BASE, true));
  const server = await standIn();
  const base = `http://127.0.0.1:${server.address().port}`;
  const f = await filterTimes(browser, base);
  server.close();
  const out = {
    first_load_login_ms_median: median(cold.map((r) => r.ms)),
    first_load_login_fcp_ms_median: Math.round(median(cold.map((r) => r.fcp))),
    first_load_bytes: median(cold.map((r) => r.bytes)),
    first_load_overview_ms_median: median(warm.map((r) => r.ms)),
    first_load_overview_bytes: median(warm.map((r) => r.bytes)),
    filter_1000_ms_median: Math.round(median(f.times) * 10) / 10,
    filter_1000_ms_max: Math.round(Math.max(...f.times) * 10) / 10,
    scroll_frame_1000_ms: Math.round(f.scroll * 10) / 10,
  };
  console.log(JSON.stringify(out));
  console.log(
    `first load: ${(out.first_load_bytes / 1024).toFixed(1)} KB (goal 250 KB, ratio ${(out.first_load_bytes / 1024 / 250).toFixed(2)}), ` +
      `login form rendered in ${out.first_load_login_ms_median} ms (goal 500 ms, ratio ${(out.first_load_login_ms_median / 500).toFixed(2)}), ` +
      `overview with data in ${out.first_load_overview_ms_median} ms; filter on 1,000 instances ${out.filter_1000_ms_median} ms median, ` +
      `${out.filter_1000_ms_max} ms max (goal 100 ms, ratio ${(out.filter_1000_ms_max / 100).toFixed(2)})`,
  );
} finally {
  await browser.close();
}
