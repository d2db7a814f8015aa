// Cost: what the cloud cost over a window and costs per hour now, grouped by kind, type, group,
// state or a tag; the spend per hour over time.
import { useState } from "preact/hooks";
import { get } from "../api";
import { Chart } from "../chart";
import { ErrorLine, Loading, Stat, money } from "../common";
import { usePoll } from "../live";

const SINCE = ["15m", "1h", "6h", "24h", "7d"];

function hours(line: any, state: string): string {
  const s = line.InstanceSeconds?.[state];
  return s === undefined ? "" : (s / 3600).toFixed(4);
}

export function Cost() {
  const [by, setBy] = useState("kind");
  const [tagKey, setTagKey] = useState("");
  const [since, setSince] = useState("24h");
  const [filter, setFilter] = useState("");
  const grouping = by === "tag" ? `tag:${tagKey || "Name"}` : by;
  const live = usePoll(
    async () => {
      const [report, prices] = await Promise.all([
        get("/v1/cost", { by: grouping, since, filter: filter ? [`tag:${filter}`] : undefined }),
        get("/v1/prices"),
      ]);
      return { report, prices };
    },
    [grouping, since, filter],
  );
  const d = live.data;
  const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <>
      <div class="filters">
        <label>
          Group by
          <select name="by" value={by} onChange={input(setBy)}>
            {["kind", "type", "group", "state", "tag"].map((b) => (
              <option value={b}>{b}</option>
            ))}
          </select>
        </label>
        {by === "tag" && (
          <label>
            Tag key
            <input name="tag-key" value={tagKey} placeholder="Name" onInput={input(setTagKey)} />
          </label>
        )}
        <label>
          Since
          <select name="since" value={since} onChange={input(setSince)}>
            {SINCE.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Only tag
          <input name="cost-filter" value={filter} placeholder="KEY=VALUE" onInput={input(setFilter)} />
        </label>
      </div>
      {!d ? (
        <Loading error={live.error} />
      ) : (
        <>
          <ErrorLine text={live.error} />
          <div class="stats">
            <Stat testId="cost-total" label={`total since ${d.report.Since}`} value={money(d.report.Total, 6)} />
            <Stat testId="cost-rate" label="per hour now" value={money(d.report.RatePerHour)} />
          </div>
          <div class="table-wrap">
            <table data-testid="cost-lines">
              <thead>
                <tr>
                  <th>{grouping}</th>
                  <th>Cost (USD)</th>
                  <th>Running hours</th>
                  <th>Stopped hours</th>
                  <th>LB hours</th>
                  <th>Image GiB-months</th>
                </tr>
              </thead>
              <tbody>
                {(d.report.Lines ?? []).map((l: any) => (
                  <tr data-key={l.Key}>
                    <td class="name">{l.Key}</td>
                    <td>{money(l.Cost, 6)}</td>
                    <td>{hours(l, "running")}</td>
                    <td>{hours(l, "stopped")}</td>
                    <td>{l.LoadBalancerHours?.toFixed(4) ?? ""}</td>
                    <td>{l.ImageGiBMonths?.toExponential(3) ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Chart
            title="Spend per hour over time"
            series={[{ label: "USD per hour", color: "#2a7", stepped: true }]}
            data={[(d.report.Series ?? []).map((p: any) => Date.parse(p.Timestamp) / 1000), (d.report.Series ?? []).map((p: any) => p.RatePerHour)]}
          />
          <p class="small muted">
            Prices (USD): load balancer {money(d.prices.LoadBalancerHour)} per hour, image storage {money(d.prices.ImageGiBMonth, 3)} per GiB-month; instance-hour
            prices are AWS's on-demand Linux prices unless the instance types file overrides them.
          </p>
        </>
      )}
    </>
  );
}
