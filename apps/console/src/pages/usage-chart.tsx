import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export type Series = { label: string; values: number[]; color: string };

/**
 * A uPlot line chart of daily figures. uPlot draws on a canvas and sets its layout through the
 * DOM's style properties (not style attributes), which the console's CSP allows.
 */
export function DailyChart(props: { title: string; days: string[]; series: Series[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const x = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const chart = new uPlot(
      {
        width: Math.max(280, Math.min(el.clientWidth || 600, 900)),
        height: 220,
        title: props.title,
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
        axes: [{}, { size: 60 }],
      },
      [x, ...props.series.map((s) => s.values)],
      el,
    );
    return () => chart.destroy();
  }, [props.title, props.days, props.series]);
  return <div class="chart" ref={host} role="img" aria-label={`${props.title} per day`} />;
}
