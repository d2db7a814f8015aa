// Metrics explorer: namespace, metric, dimensions, statistic and period (down to 1 s), live.
import { useState } from "preact/hooks";
import { get, metricSeries } from "../api";
import { Chart } from "../chart";
import { ErrorLine, Loading } from "../common";
import { usePoll } from "../live";

const STATISTICS = ["Average", "Sum", "Minimum", "Maximum", "SampleCount", "p50", "p90", "p99"];
const PERIODS = [1, 5, 10, 60, 300];
const WINDOWS: [string, number][] = [
  ["5 min", 300],
  ["15 min", 900],
  ["1 hour", 3600],
  ["3 hours", 10800],
];

function dimsText(m: any): string {
  return (m.Dimensions ?? []).map((d: any) => `${d.Name}=${d.Value}`).join(",");
}

export function Metrics() {
  const list = usePoll(async () => ((await get("/v1/metrics")).Metrics ?? []) as any[], [], 10000);
  const [ns, setNs] = useState("");
  const [name, setName] = useState("");
  const [dims, setDims] = useState("");
  const [stat, setStat] = useState("Average");
  const [period, setPeriod] = useState(1);
  const [win, setWin] = useState(300);
  const metrics = list.data ?? [];
  const namespaces = Array.from(new Set(metrics.map((m) => m.Namespace as string))).sort();
  const names = Array.from(new Set(metrics.filter((m) => m.Namespace === ns).map((m) => m.MetricName as string))).sort();
  const dimSets = Array.from(new Set(metrics.filter((m) => m.Namespace === ns && m.MetricName === name).map(dimsText))).sort();
  const ready = ns && name;
  const series = usePoll(
    async () => {
      if (!ready) return null;
      const d: Record<string, string> = {};
      for (const part of dims.split(",").filter(Boolean)) d[part.slice(0, part.indexOf("="))] = part.slice(part.indexOf("=") + 1);
      return metricSeries(ns, name, d, stat, period, win);
    },
    [ns, name, dims, stat, period, win],
    Math.max(1000, period * 1000),
  );
  const sel = (label: string, value: string | number, options: (string | number)[], set: (v: string) => void, names?: string[]) => (
    <label>
      {label}
      <select name={label.toLowerCase()} value={String(value)} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        {options.map((o, i) => (
          <option value={String(o)}>{names ? names[i] : String(o) || "(none)"}</option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      {!list.data && <Loading error={list.error} />}
      <div class="filters">
        {sel("Namespace", ns, ["", ...namespaces], (v) => (setNs(v), setName(""), setDims("")), ["choose…", ...namespaces])}
        {sel("Metric", name, ["", ...names], (v) => (setName(v), setDims("")), ["choose…", ...names])}
        {sel("Dimensions", dims, dimSets, setDims)}
        {sel("Statistic", stat, STATISTICS, setStat)}
        {sel("Period", period, PERIODS, (v) => setPeriod(Number(v)), PERIODS.map((p) => `${p} s`))}
        {sel("Window", win, WINDOWS.map((w) => w[1]), (v) => setWin(Number(v)), WINDOWS.map((w) => w[0]))}
      </div>
      <ErrorLine text={series.error} />
      {ready && series.data && (
        <Chart title={`${ns} ${name} ${dims} ${stat} per ${period} s`} series={[{ label: `${name} (${stat})`, color: "#36c" }]} data={series.data} height={300} />
      )}
    </>
  );
}
