// A live time-series chart: uPlot draws it; this component only feeds data and keeps the width.
// Markers (scaling activities) are uPlot hooks that place one labelled DOM element per marker over
// the plot, so a person can hover them for the cause (and tests can find them).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Marker {
  time: number; // unix seconds
  label: string;
  id: string;
  failed?: boolean;
}

export interface SeriesSpec {
  label: string;
  color: string;
  scale?: string;
  stepped?: boolean;
  dash?: number[];
}

interface Props {
  title: string;
  series: SeriesSpec[];
  data: uPlot.AlignedData;
  markers?: Marker[];
  height?: number;
  yLabel?: string;
  y2Label?: string;
  testId?: string;
}

function placeMarkers(u: uPlot, layer: HTMLDivElement, markers: Marker[]) {
  layer.replaceChildren();
  const [min, max] = [u.scales.x.min ?? 0, u.scales.x.max ?? 0];
  for (const m of markers) {
    if (m.time < min || m.time > max) continue;
    const el = document.createElement("div");
    el.className = m.failed ? "marker failed" : "marker";
    el.title = m.label; // a title is text, never markup
    el.dataset.activity = m.id;
    el.style.left = `${u.bbox.left / devicePixelRatio + u.valToPos(m.time, "x")}px`;
    el.style.top = `${u.bbox.top / devicePixelRatio}px`;
    el.style.height = `${u.bbox.height / devicePixelRatio}px`;
    layer.appendChild(el);
  }
}

export function Chart({ title, series, data, markers = [], height = 220, yLabel, y2Label, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const layer = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markersRef = useRef<Marker[]>(markers);
  markersRef.current = markers;
  const shape = series.map((s) => s.label).join("|");

  useEffect(() => {
    const el = box.current!;
    const hasY2 = series.some((s) => s.scale === "y2");
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {},
        { label: yLabel, size: 50 },
        ...(hasY2 ? [{ scale: "y2", side: 1, label: y2Label, grid: { show: false }, size: 50 } as uPlot.Axis] : []),
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          scale: s.scale ?? "y",
          dash: s.dash,
          paths: s.stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          spanGaps: true,
        })),
      ],
      hooks: { draw: [(u) => layer.current && placeMarkers(u, layer.current, markersRef.current)] },
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, markers]);

  return (
    <section class="chart" data-testid={testId}>
      <h3>{title}</h3>
      <div class="chart-box">
        <div ref={box} />
        <div ref={layer} class="markers" />
      </div>
    </section>
  );
}

// Aligns several [times, values] series onto one time axis (uPlot's data shape).
export function align(parts: [number[], (number | null)[]][]): uPlot.AlignedData {
  const times = Array.from(new Set(parts.flatMap(([t]) => t))).sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const cols = parts.map(([t, v]) => {
    const col: (number | null)[] = new Array(times.length).fill(null);
    t.forEach((ts, i) => (col[index.get(ts)!] = v[i]));
    return col;
  });
  return [times, ...cols] as uPlot.AlignedData;
}
