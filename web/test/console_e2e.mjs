// The console's acceptance scenarios, one per run: node console_e2e.mjs SCENARIO
// Environment: STRATUS_URL, STRATUS_TOKEN, STRATUS_OUT (screenshots), STRATUS_ARGS (JSON parameters).
// tests/integration/test_console.py prepares the daemon's state, runs a scenario and checks the
// RESULT line it prints. Times are measured and printed; the suite does not assert on them.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { OUT, TOKEN, URL_BASE, api, goto, login, openPage, result, run, until } from "./browser.mjs";

const args = JSON.parse(process.env.STRATUS_ARGS ?? "{}");
mkdirSync(OUT, { recursive: true });

const rowCount = async (page) => Number((await page.textContent('[data-testid="row-count"]')).split(" ")[0]);

function tokenLeaks(requests) {
  return requests.filter((u) => u.includes(TOKEN) || u.toLowerCase().includes("token="));
}

const scenarios = {
  // Wrong token, log in, launch two from the console, both running; terminate one; it leaves the
  // running filter; an expired (replaced) token returns to the login page; the token is in no URL.
  async instances(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page, "not-the-token");
    const refused = await page.textContent(".login .error", { timeout: 10000 });
    await login(page);
    await page.waitForSelector("header nav");
    await goto(page, "instances");
    await page.selectOption('select[name="image"]', "demo-web");
    await page.fill('input[name="count"]', "2");
    await page.fill('input[name="tag"]', `Run=${args.run}`);
    await page.fill('input[name="filter-tag"]', `Run=${args.run}`);
    await page.selectOption('select[name="filter-state"]', "running");
    const clicked = Date.now();
    await page.click('form.launch button[type="submit"]');
    await until("two running in the table", async () => (await rowCount(page)) === 2, 60000);
    const bothRunningMs = Date.now() - clicked;
    await page.screenshot({ path: `${OUT}/instances-launched.png` });
    const victim = await page.getAttribute('[data-testid="instances-table"] tbody tr[data-id]', "data-id");
    await page.click(`tr[data-id="${victim}"]`);
    const terminateClicked = Date.now();
    await page.click('[data-testid="instance-details"] button.danger');
    await until("terminated one leaves the running filter", async () => (await rowCount(page)) === 1, 60000);
    const leftMs = Date.now() - terminateClicked;
    const remaining = await page.getAttribute('[data-testid="instances-table"] tbody tr[data-id]', "data-id");
    // A token replaced behind the console's back: the next poll is refused and the login page returns.
    await page.evaluate(() => sessionStorage.setItem("stratus.token", "expired"));
    await page.waitForSelector('input[name="token"]', { timeout: 10000 });
    const expiredText = await page.textContent(".login .error");
    result({ refused, bothRunningMs, leftMs, victim, remaining, expiredText, leaks: tokenLeaks(requests), requests: requests.length, errors });
  },

  // Names and tag values with markup render as text; nothing they carry runs.
  async xss(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await goto(page, "instances");
    await page.fill('input[name="filter-tag"]', `Run=${args.run}`);
    await until("the tagged instance", async () => (await rowCount(page)) === 1, 30000);
    await page.click('[data-testid="instances-table"] tbody tr[data-id]');
    await page.waitForSelector('[data-testid="instance-details"]');
    const nameCell = await page.textContent('[data-testid="instances-table"] tbody tr[data-id] td.name');
    const details = await page.textContent('[data-testid="instance-details"]');
    const injected = await page.evaluate(() => ({
      flag: window.__xss ?? null,
      imgs: document.querySelectorAll("main img").length,
      scripts: document.querySelectorAll("main script").length,
    }));
    await page.screenshot({ path: `${OUT}/xss.png` });
    result({ nameCell, details, injected, leaks: tokenLeaks(requests), errors });
  },

  // What the Images page says of an image's size and the Overview of the host's capacity.
  async inventory(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await page.waitForSelector('[data-testid="capacity"]');
    await until("the running instance in the capacity", async () =>
      (await page.textContent('[data-testid="capacity"] p')).startsWith(`${args.instances} instances`), 15000);
    const capacity = {};
    for (const r of ["vCPUs", "memory", "disk"]) {
      capacity[r] = await page.textContent(`[data-testid="capacity"] [data-resource="${r}"] .capacity-text`);
    }
    await goto(page, "images");
    const row = `tr[data-image="${args.image}"]`;
    await page.waitForSelector(row);
    const size = await page.textContent(`${row} .size`);
    const layers = await page.$$eval(`${row} .layers div`, (d) => d.map((x) => x.textContent));
    result({ capacity, size, layers, leaks: tokenLeaks(requests), errors });
  },

  // Target health in the console after a target is killed (the kill command comes in args.kill).
  async health(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await goto(page, "load-balancers");
    const row = `tr[data-target="${args.victim}"] .health`;
    await until("victim healthy in the console", async () => (await page.textContent(row).catch(() => "")) === "healthy", 30000);
    const killedAt = Date.now();
    const k = spawnSync(args.kill[0], args.kill.slice(1), { stdio: "inherit" });
    if (k.status !== 0) throw new Error(`kill exited ${k.status}`);
    // When the API itself says unhealthy (the health checks' share), next to when the console shows it.
    let apiMs = -1;
    let reason = "";
    const watchApi = until("victim unhealthy in the API", async () => {
      const h = await api("GET", "/v1/target-groups/web/health");
      const t = h.TargetHealthDescriptions.find((d) => d.Target.Id === args.victim);
      reason = `${t?.TargetHealth.Reason ?? ""}: ${t?.TargetHealth.Description ?? ""}`;
      return t?.TargetHealth.State === "unhealthy" && (apiMs = Date.now() - killedAt);
    }, 30000);
    await until("victim unhealthy in the console", async () => (await page.textContent(row).catch(() => "")) === "unhealthy", 30000);
    const unhealthyMs = Date.now() - killedAt;
    await watchApi;
    await page.screenshot({ path: `${OUT}/target-unhealthy.png` });
    result({ unhealthyMs, apiMs, reason, leaks: tokenLeaks(requests), errors });
  },

  // A load step on the group (args.load: the load command, run in the background): the group page's
  // chart shows the scale-out's activity marker; measured from the activity's start time.
  async scaleout(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await goto(page, "groups");
    await page.waitForSelector('[data-testid="group-chart"] canvas');
    const before = new Set((await api("GET", `/v1/auto-scaling-groups/${args.group}/activities`)).Activities.map((a) => a.ActivityId));
    const { spawn } = await import("node:child_process");
    const load = spawn(args.load[0], args.load.slice(1), { stdio: "ignore" });
    try {
      const act = await until(
        "a scale-out activity",
        async () => (await api("GET", `/v1/auto-scaling-groups/${args.group}/activities`)).Activities.find((a) => !before.has(a.ActivityId) && a.Description.startsWith("Launching a new EC2 instance:")),
        90000,
      );
      await page.waitForSelector(`[data-testid="group-chart"] .marker[data-activity="${act.ActivityId}"]`, { timeout: 30000 });
      const markerMs = Date.now() - Date.parse(act.StartTime);
      const title = await page.getAttribute(`.marker[data-activity="${act.ActivityId}"]`, "title");
      // The capacity lines come from the group metrics the scaling service stores: the chart's last
      // desired point reaches the capacity the activity set.
      const group = (await api("GET", `/v1/auto-scaling-groups/${args.group}`)).AutoScalingGroup;
      await until("the chart's desired line at the new capacity", async () =>
        Number(await page.getAttribute('[data-testid="chart-sizes"]', "data-last-desired")) >= group.DesiredCapacity, 30000);
      const desiredMs = Date.now() - Date.parse(act.StartTime);
      await page.screenshot({ path: `${OUT}/group-scale-out.png` });
      result({ markerMs, desiredMs, desired: group.DesiredCapacity, activity: act.ActivityId, cause: act.Cause, title, leaks: tokenLeaks(requests), errors });
    } finally {
      load.kill("SIGTERM");
    }
  },

  // The cost page's total for a run filtered by its tag.
  async cost(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await goto(page, "cost");
    await page.selectOption('select[name="by"]', "type");
    await page.fill('input[name="cost-filter"]', `Run=${args.run}`);
    await until("the run's line", async () => (await page.$(`[data-testid="cost-lines"] tr[data-key="${args.type}"]`)) !== null, 15000);
    await page.waitForTimeout(1500); // the page's next poll has the filter's final total
    const total = await page.textContent('[data-testid="cost-total"] .stat-value');
    await page.screenshot({ path: `${OUT}/cost-run.png` });
    result({ total, leaks: tokenLeaks(requests), errors });
  },

  // The group page shows the budget's refusal.
  async budget(browser) {
    const { page, requests, errors } = await openPage(browser);
    await login(page);
    await goto(page, "groups");
    const row = await page.waitForSelector('[data-testid="activities"] tr.failed', { timeout: 15000 });
    const text = await row.textContent();
    result({ text, leaks: tokenLeaks(requests), errors });
  },

  // Every page at 1280x800 and 390x844 (docs/console.md shows them).
  async screenshots(browser) {
    const shots = [];
    const leaks = [];
    for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
      const { page, requests, context } = await openPage(browser, viewport);
      await login(page);
      await page.waitForSelector("header .logout"); // (the menu itself is folded on a phone)
      for (const p of ["", "instances", "images", "load-balancers", "groups", "alarms", "metrics", "cost"]) {
        await page.goto(`${URL_BASE}/console/${p}`);
        await page.waitForSelector("main h1");
        if (p === "metrics") {
          await page.selectOption('select[name="namespace"]', "AWS/EC2").catch(() => {});
          await page.selectOption('select[name="metric"]', "CPUUtilization").catch(() => {});
          await page.waitForTimeout(300);
          const dims = await page.$$eval('select[name="dimensions"] option', (o) => o.map((x) => x.value)).catch(() => []);
          const group = dims.find((d) => d.startsWith("AutoScalingGroupName"));
          if (group) await page.selectOption('select[name="dimensions"]', group);
        }
        await page.waitForTimeout(1500); // a poll or two: charts have data
        const path = `${OUT}/${p || "overview"}-${label}.png`;
        await page.screenshot({ path });
        shots.push(path);
      }
      leaks.push(...tokenLeaks(requests));
      await context.close();
    }
    result({ shots, leaks });
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(", ")}`);
  process.exit(2);
}
console.error(`console scenario ${name} against ${URL_BASE}`);
run(scenarios[name]);
