// Auto scaling groups: desired / in-service / pending over time with the group's CPU against the
// policy's target on the same time axis, each scaling activity as a marker with its cause; edit
// min / max / desired and the budget. Sizes are the group metrics the scaling service stores every
// second (AWS/AutoScaling GroupDesiredCapacity, GroupInServiceInstances, GroupPendingInstances), so
// the chart shows the last five minutes whenever the page opens.
import { useState } from "preact/hooks";
import { call, get, metricSeries } from "../api";
import { Chart, Marker, align } from "../chart";
import { ErrorLine, Loading, money } from "../common";
import { usePoll } from "../live";

const WINDOW_S = 300;

const SIZES = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances"];

function Edit({ g, done }: { g: any; done: () => void }) {
  const [min, setMin] = useState(String(g.MinSize));
  const [max, setMax] = useState(String(g.MaxSize));
  const [desired, setDesired] = useState(String(g.DesiredCapacity));
  const [budget, setBudget] = useState(String(g.MaxSpendPerHour ?? 0));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const num = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form
      class="edit row"
      data-testid="group-edit"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError("");
        try {
          await call("PATCH", `/v1/auto-scaling-groups/${encodeURIComponent(g.AutoScalingGroupName)}`, {
            MinSize: Number(min),
            MaxSize: Number(max),
            DesiredCapacity: Number(desired),
            MaxSpendPerHour: Number(budget),
          });
          done();
        } catch (err) {
          setError(String((err as any).text ?? err));
        }
        setBusy(false);
      }}
    >
      <label>
        Min
        <input name="min" type="number" value={min} onInput={num(setMin)} />
      </label>
      <label>
        Max
        <input name="max" type="number" value={max} onInput={num(setMax)} />
      </label>
      <label>
        Desired
        <input name="desired" type="number" value={desired} onInput={num(setDesired)} />
      </label>
      <label>
        Max spend per hour (USD, 0: none)
        <input name="budget" type="number" step="0.0001" value={budget} onInput={num(setBudget)} />
      </label>
      <button type="submit" disabled={busy}>
        Update
      </button>
      <ErrorLine text={error} />
    </form>
  );
}

function Group({ name }: { name: string }) {
  // The group and its activities on one poll, the series on another: a new activity's marker never
  // waits for the four metric queries.
  const live = usePoll(async () => {
    const enc = encodeURIComponent(name);
    const [g, acts, pols] = await Promise.all([
      get(`/v1/auto-scaling-groups/${enc}`),
      get(`/v1/auto-scaling-groups/${enc}/activities`),
      get(`/v1/auto-scaling-groups/${enc}/policies`),
    ]);
    const group = g.AutoScalingGroup ?? g;
    const target = ((pols.ScalingPolicies ?? []) as any[]).find(
      (p) => p.PolicyType === "TargetTrackingScaling" && p.TargetTrackingConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === "ASGAverageCPUUtilization",
    )?.TargetTrackingConfiguration?.TargetValue as number | undefined;
    return { group, activities: (acts.Activities ?? []) as any[], target };
  }, [name]);
  const series = usePoll(async () => {
    const dims = { AutoScalingGroupName: name };
    const [cpu, ...sizes] = await Promise.all([
      metricSeries("AWS/EC2", "CPUUtilization", dims, "Average", 1, WINDOW_S),
      ...SIZES.map((m) => metricSeries("AWS/AutoScaling", m, dims, "Maximum", 1, WINDOW_S, true)),
    ]);
    return { cpu, sizes };
  }, [name]);
  const d = live.data;
  if (!d) return <Loading error={live.error} />;
  const none: [number[], (number | null)[]] = [[], []];
  const sizes = series.data?.sizes ?? SIZES.map(() => none);
  // The stored series end at the last whole second; the group's own answer closes each line at now,
  // so the time axis reaches the present and a new activity's marker shows on the next poll.
  const now = Date.now() / 1000;
  const members = (d.group.Instances ?? []) as any[];
  const current = [
    d.group.DesiredCapacity,
    members.filter((i) => i.LifecycleState === "InService").length,
    members.filter((i) => i.LifecycleState?.startsWith("Pending")).length,
  ];
  const lines = sizes.map(([t, v], k): [number[], (number | null)[]] => [[...t, now], [...v, current[k]]]);
  const parts = [...lines, series.data?.cpu ?? none];
  if (d.target !== undefined) {
    const all = parts.flatMap((p) => p[0]);
    const span = all.length ? [Math.min(...all), Math.max(...all)] : [];
    parts.push([span, span.map(() => d.target!)]);
  }
  const desired = sizes[0][1];
  const markers: Marker[] = d.activities.map((a) => ({
    time: Date.parse(a.StartTime) / 1000,
    id: a.ActivityId,
    label: `${a.Description}\n${a.Cause}`,
    failed: a.StatusCode === "Failed",
  }));
  const g = d.group;
  return (
    <section data-testid={`group-${name}`}>
      <ErrorLine text={live.error || series.error} />
      <p>
        min {g.MinSize} · max {g.MaxSize} · desired <strong data-testid="desired">{g.DesiredCapacity}</strong> · {(g.Instances ?? []).length} instances
        {g.MaxSpendPerHour ? ` · budget ${money(g.MaxSpendPerHour)}/h` : ""} {g.Status ?? ""}
      </p>
      <div data-testid="chart-sizes" data-last-desired={desired.length ? String(desired[desired.length - 1]) : ""} />
      <Chart
        testId="group-chart"
        title="Capacity and CPU (markers: scaling activities; hover for the cause)"
        yLabel="instances"
        y2Label="CPU %"
        series={[
          { label: "desired", color: "#36c", stepped: true },
          { label: "in service", color: "#2a7", stepped: true },
          { label: "pending", color: "#c90", stepped: true },
          { label: "CPU %", color: "#c33", scale: "y2" },
          ...(d.target !== undefined ? [{ label: "CPU target", color: "#c33", scale: "y2", dash: [6, 4] }] : []),
        ]}
        data={align(parts)}
        markers={markers}
        height={260}
      />
      <Edit key={`${g.MinSize}/${g.MaxSize}/${g.DesiredCapacity}/${g.MaxSpendPerHour ?? 0}`} g={g} done={live.refresh} />
      <h3>Scaling activities</h3>
      <div class="table-wrap">
        <table data-testid="activities">
          <thead>
            <tr>
              <th>Start</th>
              <th>Status</th>
              <th>Description</th>
              <th>Cause</th>
            </tr>
          </thead>
          <tbody>
            {d.activities.slice(0, 30).map((a) => (
              <tr data-activity={a.ActivityId} class={a.StatusCode === "Failed" ? "failed" : ""}>
                <td>{a.StartTime}</td>
                <td>{a.StatusCode}</td>
                <td>{a.Description}</td>
                <td class="small">{a.Cause}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Groups() {
  const live = usePoll(async () => ((await get("/v1/auto-scaling-groups")).AutoScalingGroups ?? []) as any[], [], 2000);
  const [chosen, setChosen] = useState(new URLSearchParams(location.search).get("group") ?? "");
  if (!live.data) return <Loading error={live.error} />;
  const names = live.data.map((g) => g.AutoScalingGroupName as string);
  const name = names.includes(chosen) ? chosen : names[0];
  return (
    <>
      <ErrorLine text={live.error} />
      <div class="tabs">
        {names.map((n) => (
          <button class={n === name ? "active" : ""} onClick={() => setChosen(n)}>
            {n}
          </button>
        ))}
      </div>
      {name ? <Group key={name} name={name} /> : <p class="muted">No auto scaling groups.</p>}
    </>
  );
}
