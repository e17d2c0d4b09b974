import { h } from './dom';
import { asMap, errorNote } from './safe';
import { IMetricPoint, IRun, IRunDetails } from './types';

/** A run of the runs page with prototype-free metric and param maps. */
export function normalizeRun(raw: any): IRun {
  return {
    ...raw,
    run_id: String(raw?.run_id ?? ''),
    status: String(raw?.status ?? 'UNKNOWN'),
    metrics: asMap<number | null>(raw?.metrics),
    params: asMap<string>(raw?.params)
  };
}

/** The run details reply with every map prototype-free. */
export function normalizeDetails(raw: any): IRunDetails {
  return {
    ...normalizeRun(raw),
    tags: asMap<string>(raw?.tags),
    metric_history: asMap<IMetricPoint[]>(raw?.metric_history),
    artifacts: Array.isArray(raw?.artifacts) ? raw.artifacts : [],
    notebook_snapshot: raw?.notebook_snapshot ?? { artifact_path: null, url: null },
    ui_url: raw?.ui_url ?? null
  };
}

/** A two-column table of a map; a value that cannot be shown becomes a note in its row. */
export function mapTable(map: Map<string, unknown>, cls: string): HTMLElement {
  const rows = [...map].map(([k, v]) => {
    try {
      const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
      return h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, text));
    } catch (error) {
      return h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, errorNote(`the value of ${k}`, error)));
    }
  });
  return h('table', { class: `mlops-grid ${cls}` }, h('tbody', {}, ...rows));
}

/** The tags a user wants to read (MLflow's own and the pip freeze left out, long ones cut). */
export function visibleTags(tags: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of tags) {
    if (!k.startsWith('mlflow.') && k !== 'mlops.pip_freeze') {
      const text = String(v);
      out.set(k, text.length > 200 ? text.slice(0, 200) + '…' : text);
    }
  }
  return out;
}

/** The card of one run: identity, links, params, the metric chart element, tags, artifacts. */
export function detailsCard(run: IRunDetails, chart: HTMLElement, onClose: () => void): HTMLElement {
  const close = h('button', { class: 'jp-Button mlops-button mlops-close', 'aria-label': 'Close the run details', onclick: onClose }, '×');
  const snap = run.notebook_snapshot;
  const snapshot = snap.artifact_path
    ? snap.url
      ? h('a', { href: snap.url, target: '_blank', rel: 'noopener', class: 'mlops-snapshot' }, `Notebook snapshot: ${snap.artifact_path}`)
      : h('div', { class: 'mlops-snapshot' }, `Notebook snapshot artifact: ${snap.artifact_path}`)
    : h('div', { class: 'mlops-dim' }, 'No notebook snapshot in this run.');
  const section = (title: string, build: () => HTMLElement): HTMLElement[] => {
    try {
      return [h('h5', {}, title), build()];
    } catch (error) {
      return [h('h5', {}, title), errorNote(title.toLowerCase(), error)];
    }
  };
  return h(
    'div',
    { class: 'mlops-details-card', 'data-run-id': run.run_id },
    h('div', { class: 'mlops-header-row' }, h('h4', {}, `Run ${run.run_name || run.run_id}`), close),
    h('div', { class: 'mlops-run-ident' },
      h('span', { class: `mlops-pill mlops-status-${run.status.toLowerCase()}` }, run.status.toLowerCase()),
      h('code', { class: 'mlops-run-id', title: 'run id' }, run.run_id)),
    h('div', { class: 'mlops-run-links' },
      run.ui_url ? h('a', { href: run.ui_url, target: '_blank', rel: 'noopener', class: 'mlops-open-run' }, 'Open in MLflow ↗') : null,
      snapshot),
    ...section('Params', () => mapTable(run.params, 'mlops-params')),
    h('h5', {}, 'Metrics'),
    chart,
    ...section('Tags', () => mapTable(visibleTags(run.tags), 'mlops-tags')),
    ...section(`Artifacts (${run.artifacts.length})`, () =>
      h('ul', { class: 'mlops-artifacts' }, ...run.artifacts.map(a => h('li', {}, String(a?.path)))))
  );
}
