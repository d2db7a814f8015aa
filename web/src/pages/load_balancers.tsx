// Load balancers and target groups: live target health, per-target request counts (from the
// data plane's counters in /metrics) and live graphs of requests/s, latency p50/p99 and HTTP codes
// (CloudWatch's AWS/ApplicationELB metrics).
import { useRef, useState } from "preact/hooks";
import { get, getText, metricSeries } from "../api";
import { Chart, align } from "../chart";
import { ErrorLine, Loading } from "../common";
import { usePoll } from "../live";

const WINDOW_S = 300;

// "arn:aws:elasticloadbalancing:r:a:targetgroup/web/0123" -> "targetgroup/web/0123" (the metric dimension).
function dimensionOf(arn: string): string {
  const r = arn.slice(arn.lastIndexOf(":") + 1);
  return r.startsWith("loadbalancer/") ? r.slice("loadbalancer/".length) : r;
}

// Per-target request counters from the Prometheus text of /metrics.
async function targetRequests(group: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await getText("/metrics")).split("\n")) {
    if (!line.startsWith("stratus_lb_request_count_total{") || !line.includes(`target_group="${group}"`)) continue;
    const m = /target="([^"]*)".*\}\s+([0-9.e+]+)/.exec(line);
    if (m) counts.set(m[1], Number(m[2]));
  }
  return counts;
}

function TargetGroup({ tg }: { tg: any }) {
  const last = useRef<{ at: number; counts: Map<string, number> } | null>(null);
  const [rates, setRates] = useState(new Map<string, number>());
  // Health on its own poll, four times a second (a small answer; stratusd refreshes it every 0.2 s),
  // so a failing target shows within 0.25 s of the API knowing it and the (larger) counter text never
  // delays it.
  const health = usePoll(
    async () => {
      const h = await get(`/v1/target-groups/${encodeURIComponent(tg.TargetGroupName)}/health`);
      return { targets: (h.TargetHealthDescriptions ?? []) as any[] };
    },
    [tg.TargetGroupArn],
    250,
  );
  const requests = usePoll(async () => {
    const counts = await targetRequests(tg.TargetGroupName);
    const now = Date.now();
    if (last.current) {
      const dt = (now - last.current.at) / 1000;
      const r = new Map<string, number>();
      counts.forEach((v, k) => r.set(k, Math.max(0, (v - (last.current!.counts.get(k) ?? v)) / dt)));
      setRates(r);
    }
    last.current = { at: now, counts };
    return counts;
  }, [tg.TargetGroupArn]);
  const dims = { TargetGroup: dimensionOf(tg.TargetGroupArn) };
  const charts = usePoll(async () => {
    const ns = "AWS/ApplicationELB";
    const [req, p50, p99, c2, c3, c4, c5] = await Promise.all([
      metricSeries(ns, "RequestCount", dims, "Sum", 1, WINDOW_S),
      metricSeries(ns, "TargetResponseTime", dims, "p50", 1, WINDOW_S),
      metricSeries(ns, "TargetResponseTime", dims, "p99", 1, WINDOW_S),
      metricSeries(ns, "HTTPCode_Target_2XX_Count", dims, "Sum", 1, WINDOW_S),
      metricSeries(ns, "HTTPCode_Target_3XX_Count", dims, "Sum", 1, WINDOW_S),
      metricSeries(ns, "HTTPCode_Target_4XX_Count", dims, "Sum", 1, WINDOW_S),
      metricSeries(ns, "HTTPCode_Target_5XX_Count", dims, "Sum", 1, WINDOW_S),
    ]);
    const ms = (s: [number[], (number | null)[]]): [number[], (number | null)[]] => [s[0], s[1].map((v) => (v === null ? null : v * 1000))];
    return { req: align([req]), lat: align([ms(p50), ms(p99)]), codes: align([c2, c3, c4, c5]) };
  }, [tg.TargetGroupArn]);
  return (
    <section class="tg" data-testid={`tg-${tg.TargetGroupName}`}>
      <h2>
        Target group {tg.TargetGroupName} <span class="muted">port {tg.Port}, health {tg.HealthCheckPath ?? ""}</span>
      </h2>
      {!health.data ? (
        <Loading error={health.error} />
      ) : (
        <table class="targets">
          <thead>
            <tr>
              <th>Target</th>
              <th>Port</th>
              <th>Health</th>
              <th>Reason</th>
              <th>Requests</th>
              <th>Requests/s</th>
            </tr>
          </thead>
          <tbody>
            {health.data.targets.map((t) => (
              <tr data-target={t.Target.Id}>
                <td class="mono">{t.Target.Id}</td>
                <td>{t.Target.Port}</td>
                <td>
                  <span class={`health ${t.TargetHealth.State}`}>{t.TargetHealth.State}</span>
                </td>
                <td>{t.TargetHealth.Description || t.TargetHealth.Reason}</td>
                <td>{requests.data?.get(t.Target.Id) ?? 0}</td>
                <td>{(rates.get(t.Target.Id) ?? 0).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorLine text={health.error || requests.error || charts.error} />
      {charts.data && (
        <div class="chart-grid">
          <Chart title="Requests per second" series={[{ label: "requests/s", color: "#36c" }]} data={charts.data.req} />
          <Chart
            title="Target response time (ms)"
            series={[
              { label: "p50", color: "#2a7" },
              { label: "p99", color: "#c63" },
            ]}
            data={charts.data.lat}
          />
          <Chart
            title="HTTP codes per second"
            series={[
              { label: "2xx", color: "#2a7" },
              { label: "3xx", color: "#36c" },
              { label: "4xx", color: "#c90" },
              { label: "5xx", color: "#c33" },
            ]}
            data={charts.data.codes}
          />
        </div>
      )}
    </section>
  );
}

export function LoadBalancers() {
  const live = usePoll(async () => {
    const [lbs, tgs] = await Promise.all([get("/v1/load-balancers"), get("/v1/target-groups")]);
    return { lbs: (lbs.LoadBalancers ?? []) as any[], tgs: (tgs.TargetGroups ?? []) as any[] };
  });
  const [chosen, setChosen] = useState("");
  const d = live.data;
  if (!d) return <Loading error={live.error} />;
  const tg = d.tgs.find((t) => t.TargetGroupName === chosen) ?? d.tgs[0];
  return (
    <>
      <ErrorLine text={live.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Load balancer</th>
              <th>Type</th>
              <th>State</th>
              <th>Address</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {d.lbs.map((lb) => (
              <tr>
                <td class="name">{lb.LoadBalancerName}</td>
                <td>{lb.Type}</td>
                <td>{lb.State?.Code ?? lb.State}</td>
                <td class="mono">{lb.DNSName}</td>
                <td>{lb.CreatedTime}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="tabs">
        {d.tgs.map((t) => (
          <button class={t === tg ? "active" : ""} onClick={() => setChosen(t.TargetGroupName)}>
            {t.TargetGroupName}
          </button>
        ))}
      </div>
      {tg ? <TargetGroup key={tg.TargetGroupArn} tg={tg} /> : <p class="muted">No target groups.</p>}
    </>
  );
}
