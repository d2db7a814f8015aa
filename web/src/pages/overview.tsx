// Overview: counts, the host's capacity and what instances hold of it, alarms firing and spend per hour.
import { get } from "../api";
import { Chart } from "../chart";
import { ErrorLine, Loading, Stat, bytes, money } from "../common";
import { usePoll } from "../live";

export function Overview() {
  const live = usePoll(async () => {
    const [inst, host, images, lbs, tgs, groups, alarms, cost] = await Promise.all([
      get("/v1/instances"),
      get("/v1/host"),
      get("/v1/images"),
      get("/v1/load-balancers"),
      get("/v1/target-groups"),
      get("/v1/auto-scaling-groups"),
      get("/v1/alarms", { state: "ALARM" }),
      get("/v1/cost", { since: "1h", by: "kind" }),
    ]);
    const byState: Record<string, number> = {};
    for (const i of inst.Instances ?? []) byState[i.State.Name] = (byState[i.State.Name] ?? 0) + 1;
    return {
      byState,
      host,
      images: (images.Images ?? []).length,
      lbs: (lbs.LoadBalancers ?? []).length,
      tgs: (tgs.TargetGroups ?? []).length,
      groups: (groups.AutoScalingGroups ?? []).length,
      alarms: (alarms.MetricAlarms ?? []) as any[],
      cost,
    };
  });
  const d = live.data;
  if (!d) return <Loading error={live.error} />;
  const series = d.cost.Series ?? [];
  const cap = d.host;
  return (
    <>
      <ErrorLine text={live.error} />
      <div class="stats">
        <Stat testId="stat-running" label="running" value={d.byState.running ?? 0} />
        <Stat label="pending" value={d.byState.pending ?? 0} />
        <Stat label="stopped" value={d.byState.stopped ?? 0} />
        <Stat label="images" value={d.images} />
        <Stat label="load balancers" value={d.lbs} />
        <Stat label="target groups" value={d.tgs} />
        <Stat label="auto scaling groups" value={d.groups} />
        <Stat testId="stat-alarms" label="alarms firing" value={d.alarms.length} />
        <Stat testId="stat-spend" label="spend per hour now" value={money(d.cost.RatePerHour)} />
      </div>
      <section class="capacity" data-testid="capacity">
        <h2>Host capacity</h2>
        <p class="muted small">
          {cap.Allocated.Instances} instances hold the vCPUs and memory of their types; disk is what the state directory's file system has in use.
        </p>
        <Capacity label="vCPUs" used={cap.Allocated.VCpus} total={cap.Capacity.VCpus} text={(v) => `${v}`} />
        <Capacity label="memory" used={cap.Allocated.MemoryMiB * MiB} total={cap.Capacity.MemoryMiB * MiB} text={bytes} />
        <Capacity label="disk" used={cap.Used.DiskBytes} total={cap.Capacity.DiskBytes} text={bytes} />
      </section>
      {d.alarms.length > 0 && (
        <section>
          <h2>Alarms firing</h2>
          <ul class="alarm-list">
            {d.alarms.map((a) => (
              <li>
                <strong>{a.AlarmName}</strong> {a.StateReason}
              </li>
            ))}
          </ul>
        </section>
      )}
      <Chart
        title="Spend per hour (last hour, per minute)"
        series={[{ label: "USD per hour", color: "#2a7" }]}
        data={[series.map((p: any) => Date.parse(p.Timestamp) / 1000), series.map((p: any) => p.RatePerHour)]}
      />
    </>
  );
}

const MiB = 1024 * 1024;

// One resource: allocated (vCPUs, memory: the instances' types; disk: used) against the host's total.
// Allocation may pass the total: instance types are limits, and the host overcommits them.
function Capacity({ label, used, total, text }: { label: string; used: number; total: number; text: (v: number) => string }) {
  const share = total > 0 ? used / total : 0;
  return (
    <div class="capacity-row" data-resource={label}>
      <span class="capacity-label">{label}</span>
      <progress max={1} value={Math.min(1, share)} class={share > 1 ? "over" : ""} />
      <span class="capacity-text">
        {text(used)} of {text(total)} ({Math.round(share * 100)} %)
      </span>
    </div>
  );
}
