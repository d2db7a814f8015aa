// Overview: counts, capacity allocated to running instances, alarms firing and spend per hour.
import { get } from "../api";
import { Chart } from "../chart";
import { ErrorLine, Loading, Stat, money } from "../common";
import { usePoll } from "../live";

export function Overview() {
  const live = usePoll(async () => {
    const [inst, types, images, lbs, tgs, groups, alarms, cost] = await Promise.all([
      get("/v1/instances"),
      get("/v1/instance-types"),
      get("/v1/images"),
      get("/v1/load-balancers"),
      get("/v1/target-groups"),
      get("/v1/auto-scaling-groups"),
      get("/v1/alarms", { state: "ALARM" }),
      get("/v1/cost", { since: "1h", by: "kind" }),
    ]);
    const byState: Record<string, number> = {};
    let vcpus = 0;
    let mib = 0;
    const typeInfo = new Map<string, any>((types.InstanceTypes ?? []).map((t: any) => [t.InstanceType, t]));
    for (const i of inst.Instances ?? []) {
      byState[i.State.Name] = (byState[i.State.Name] ?? 0) + 1;
      if (i.State.Name === "running") {
        vcpus += typeInfo.get(i.InstanceType)?.VCpus ?? 0;
        mib += typeInfo.get(i.InstanceType)?.MemoryMiB ?? 0;
      }
    }
    return {
      byState,
      vcpus,
      mib,
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
  return (
    <>
      <ErrorLine text={live.error} />
      <div class="stats">
        <Stat testId="stat-running" label="running" value={d.byState.running ?? 0} />
        <Stat label="pending" value={d.byState.pending ?? 0} />
        <Stat label="stopped" value={d.byState.stopped ?? 0} />
        <Stat label="vCPUs allocated" value={d.vcpus} />
        <Stat label="memory allocated" value={`${(d.mib / 1024).toFixed(1)} GiB`} />
        <Stat label="images" value={d.images} />
        <Stat label="load balancers" value={d.lbs} />
        <Stat label="target groups" value={d.tgs} />
        <Stat label="auto scaling groups" value={d.groups} />
        <Stat testId="stat-alarms" label="alarms firing" value={d.alarms.length} />
        <Stat testId="stat-spend" label="spend per hour now" value={money(d.cost.RatePerHour)} />
      </div>
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
