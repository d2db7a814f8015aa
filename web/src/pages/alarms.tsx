// Alarms: current state and each alarm's state timeline (from DescribeAlarmHistory) over the last hour.
import { get } from "../api";
import { Chart } from "../chart";
import { ErrorLine, Loading } from "../common";
import { usePoll } from "../live";

const LEVEL: Record<string, number> = { OK: 0, INSUFFICIENT_DATA: 0.5, ALARM: 1 };
const WINDOW_S = 3600;

// A stepped 0 / 0.5 / 1 series of one alarm's states from its StateUpdate history (newest first).
function timeline(alarm: any, history: any[]): [number[], (number | null)[]] {
  const now = Date.now() / 1000;
  const updates = history
    .filter((h) => h.AlarmName === alarm.AlarmName && h.HistoryItemType === "StateUpdate")
    .map((h) => ({ t: Date.parse(h.Timestamp) / 1000, summary: String(h.HistorySummary ?? "") }))
    .sort((a, b) => a.t - b.t);
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (const u of updates) {
    const to = /to (OK|ALARM|INSUFFICIENT_DATA)/.exec(u.summary)?.[1];
    if (!to || u.t < now - WINDOW_S) continue;
    t.push(u.t);
    v.push(LEVEL[to]);
  }
  t.push(now);
  v.push(LEVEL[alarm.StateValue] ?? null);
  if (t.length === 1) {
    t.unshift(now - WINDOW_S);
    v.unshift(v[0]);
  }
  return [t, v];
}

export function Alarms() {
  const live = usePoll(async () => {
    const [alarms, history] = await Promise.all([get("/v1/alarms"), get("/v1/alarm-history")]);
    return { alarms: (alarms.MetricAlarms ?? []) as any[], history: (history.AlarmHistoryItems ?? []) as any[] };
  });
  const d = live.data;
  if (!d) return <Loading error={live.error} />;
  return (
    <>
      <ErrorLine text={live.error} />
      {d.alarms.length === 0 && <p class="muted">No alarms.</p>}
      {d.alarms.map((a) => (
        <section class="alarm" data-alarm={a.AlarmName}>
          <h2>
            {a.AlarmName} <span class={`alarm-state ${a.StateValue}`}>{a.StateValue}</span>
          </h2>
          <p class="small">
            {a.Namespace} {a.MetricName} {a.Statistic ?? a.ExtendedStatistic} {a.ComparisonOperator} {a.Threshold} · {a.StateReason}
          </p>
          <Chart
            title="State (1 = ALARM, 0.5 = INSUFFICIENT_DATA, 0 = OK)"
            series={[{ label: "state", color: "#c33", stepped: true }]}
            data={timeline(a, d.history)}
            height={110}
          />
        </section>
      ))}
    </>
  );
}
