import { IMetricPoint, IRun } from './types';

type PlotlyModule = typeof import('plotly.js-basic-dist-min').default;

let plotly: Promise<PlotlyModule> | null = null;

/** plotly.js (basic bundle) is loaded on first chart only: it is the panel's biggest chunk. */
function loadPlotly(): Promise<PlotlyModule> {
  if (!plotly) {
    plotly = import('plotly.js-basic-dist-min').then(m => ((m as any).default ?? m) as PlotlyModule);
  }
  return plotly;
}

/** Layout in the panel's own text colour (light and dark themes). */
function layout(el: HTMLElement, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const color = getComputedStyle(el).color || undefined;
  return { ...LAYOUT, font: { size: 10, color }, ...extra };
}

/**
 * plotly reads a subset of HTML in trace names and tick labels (`<a href>`, `<b>`, `<br>`…):
 * user text (run and metric names) is drawn as plain text by writing `& < >` as the entities
 * plotly turns back into those characters.
 */
export function plotlyText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const LAYOUT = {
  margin: { l: 40, r: 10, t: 10, b: 40 },
  height: 260,
  barmode: 'group',
  legend: { orientation: 'h' },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
  font: { size: 10 }
};

/** Grouped bars: one group per metric, one bar per selected run. */
export async function plotComparison(el: HTMLElement, runs: IRun[], metricKeys: string[]): Promise<void> {
  const Plotly = await loadPlotly();
  const keys = metricKeys.filter(k => runs.some(r => typeof r.metrics.get(k) === 'number'));
  const data = runs.map(run => ({
    type: 'bar',
    name: plotlyText(run.run_name || run.run_id.slice(0, 8)),
    x: keys.map(plotlyText),
    y: keys.map(k => {
      const v = run.metrics.get(k);
      return typeof v === 'number' ? v : null;
    })
  }));
  await Plotly.newPlot(el, data, layout(el), { displayModeBar: false, responsive: true });
  el.setAttribute('data-plotted', String(runs.length));
}

/** One line per metric over its steps. */
export async function plotHistory(el: HTMLElement, history: Map<string, IMetricPoint[]>): Promise<void> {
  const keys = [...history.keys()].filter(k => Array.isArray(history.get(k)));
  if (keys.length === 0) {
    el.textContent = 'No metrics logged.';
    return;
  }
  const Plotly = await loadPlotly();
  const data = keys.map(k => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: plotlyText(k),
    x: history.get(k)!.map(p => p.step),
    y: history.get(k)!.map(p => (typeof p.value === 'number' ? p.value : null))
  }));
  await Plotly.newPlot(el, data, layout(el, { barmode: undefined }), { displayModeBar: false, responsive: true });
  el.setAttribute('data-plotted', String(keys.length));
}

/** Free the plots inside ``el`` before its content is replaced. */
export function purge(el: HTMLElement): void {
  if (!plotly) {
    return;
  }
  void plotly.then(P => {
    el.querySelectorAll('.js-plotly-plot').forEach(node => P.purge(node as HTMLElement));
  });
}
