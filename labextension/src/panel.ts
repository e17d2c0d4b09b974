import { Notification } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { plotComparison, plotHistory, purge } from './chart';
import { detailsCard, normalizeDetails, normalizeRun } from './details';
import { errorText, fill, fmtNumber, fmtShortTime, fmtTime, h } from './dom';
import { postAPI, requestAPI } from './request';
import { errorNote, guarded } from './safe';
import { renderChecks, renderData, renderServices } from './sections';
import {
  IChecks,
  IDatasets,
  IExportResult,
  IHealth,
  IRun,
  IRunDetails,
  IRunPage,
  IServices
} from './types';

const MAX_METRIC_COLUMNS = 6;

/** The side panel: Runs, Data, Checks, Services and Actions for the active notebook. */
export class MlopsPanel extends Widget {
  private notebook: string | null = null;
  private health: IHealth | null = null;
  /** 'pending' until the first health request answered: never "not reachable" unasked */
  private healthState: 'pending' | 'ok' | 'failed' = 'pending';
  private loadedOnce = false;
  private runs: IRun[] = [];
  private metricKeys: string[] = [];
  private nextToken: string | null = null;
  private sort = 'start_time';
  private descending = true;
  private status = '';
  private selected = new Set<string>();
  private uiUrl: string | null = null;
  private loading = 0;
  private lastExport: IExportResult | null = null;
  private refreshTimer: number | null = null;

  private headerEl = h('div', { class: 'mlops-header' });
  private runsEl = h('div', { class: 'mlops-section-body mlops-runs' });
  private compareEl = h('div', { class: 'mlops-compare' });
  private detailsEl = h('div', { class: 'mlops-details' });
  private dataEl = h('div', { class: 'mlops-section-body mlops-data' });
  private checksEl = h('div', { class: 'mlops-section-body mlops-checks' });
  private servicesEl = h('div', { class: 'mlops-section-body mlops-services' });
  private servicesTimer: number | null = null;
  private actionsEl = h('div', { class: 'mlops-section-body mlops-actions' });

  constructor() {
    super();
    this.id = 'mlops-jupyter-panel';
    this.addClass('mlops-panel');
    this.title.caption = 'ML DevOps';
    this.node.append(
      this.headerEl,
      this.section('Runs', 'runs', this.runsEl, this.compareEl, this.detailsEl),
      this.section('Data', 'data', this.dataEl),
      this.section('Checks', 'checks', this.checksEl),
      this.section('Services', 'services', this.servicesEl),
      this.section('Actions', 'actions', this.actionsEl)
    );
    this.renderAll();
  }

  private section(title: string, key: string, ...body: HTMLElement[]): HTMLElement {
    return h(
      'section',
      { class: `mlops-section mlops-section-${key}` },
      h('h3', { class: 'mlops-section-title' }, title),
      ...body
    );
  }

  dispose(): void {
    if (this.servicesTimer !== null) {
      window.clearInterval(this.servicesTimer);
      this.servicesTimer = null;
    }
    super.dispose();
  }

  /** The notebook the panel follows (path relative to the server root), or null. */
  get notebookPath(): string | null {
    return this.notebook;
  }

  setNotebook(path: string | null): void {
    if (path === this.notebook && this.loadedOnce) {
      return;
    }
    this.notebook = path;
    this.selected.clear();
    this.lastExport = null;
    fill(this.detailsEl);
    void this.refresh();
  }

  /** Refresh soon (coalesces bursts of finished cells). */
  scheduleRefresh(delayMs = 600): void {
    if (this.refreshTimer !== null) {
      window.clearTimeout(this.refreshTimer);
    }
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, delayMs);
  }

  /** Reload everything from the server. */
  async refresh(): Promise<void> {
    this.loadedOnce = true;
    this.loading++;
    this.node.classList.add('mlops-loading');
    try {
      await Promise.all([this.loadHealth(), this.loadRuns(), this.loadData(), this.loadChecks(), this.loadServices()]);
    } finally {
      this.loading--;
      if (this.loading === 0) {
        this.node.classList.remove('mlops-loading');
      }
      this.renderAll();
    }
  }

  private fail(what: string, error: unknown): void {
    Notification.error(`mlops: ${what}: ${errorText(error)}`, { autoClose: 8000 });
  }

  private async loadHealth(): Promise<void> {
    try {
      this.health = await requestAPI<IHealth>('health');
      this.healthState = 'ok';
      this.uiUrl = this.health.profile?.ui_url ?? null;
    } catch (error) {
      this.health = null;
      this.healthState = 'failed';
      this.fail('cannot reach the server extension', error);
    }
  }

  private async loadRuns(append = false): Promise<void> {
    if (!this.notebook) {
      this.runs = [];
      this.metricKeys = [];
      this.nextToken = null;
      return;
    }
    try {
      const page = await requestAPI<IRunPage>('runs', {}, {
        notebook: this.notebook,
        sort: this.sort,
        order: this.descending ? 'desc' : 'asc',
        status: this.status,
        page_size: '50',
        page_token: append ? this.nextToken : undefined
      });
      const fresh = (Array.isArray(page.runs) ? page.runs : []).map(normalizeRun);
      this.runs = append ? [...this.runs, ...fresh] : fresh;
      const keys = new Set([...(append ? this.metricKeys : []), ...(page.metric_keys ?? []).map(String)]);
      this.metricKeys = [...keys].sort();
      this.nextToken = page.next_page_token;
      this.uiUrl = page.ui_url ?? this.uiUrl;
      const ids = new Set(this.runs.map(r => r.run_id));
      for (const id of [...this.selected]) {
        if (!ids.has(id)) {
          this.selected.delete(id);
        }
      }
    } catch (error) {
      this.fail('cannot load runs', error);
    }
  }

  private data: IDatasets | null = null;
  private checks: IChecks | null = null;
  private services: IServices | null = null;

  /** The project's services; while one runs, its section refreshes itself every 15 s. */
  private async loadServices(): Promise<void> {
    try {
      this.services = await requestAPI<IServices>('services', {}, { notebook: this.notebook });
    } catch (error) {
      this.services = null;
      this.fail('cannot load services', error);
    }
    const live = (this.services?.services ?? []).some(s => s.running);
    if (live && this.servicesTimer === null) {
      this.servicesTimer = window.setInterval(() => {
        if (!this.isVisible) {
          return;
        }
        void this.loadServices().then(() => guarded(this.servicesEl, 'the Services section', () => this.renderServices()));
      }, 15000);
    } else if (!live && this.servicesTimer !== null) {
      window.clearInterval(this.servicesTimer);
      this.servicesTimer = null;
    }
  }

  private async loadData(): Promise<void> {
    try {
      this.data = await requestAPI<IDatasets>('datasets', {}, { notebook: this.notebook });
    } catch (error) {
      this.data = null;
      this.fail('cannot load dataset status', error);
    }
  }

  private async loadChecks(): Promise<void> {
    if (!this.notebook) {
      this.checks = null;
      return;
    }
    try {
      this.checks = await requestAPI<IChecks>('checks', {}, { notebook: this.notebook });
    } catch (error) {
      this.checks = null;
      this.fail('cannot load checks', error);
    }
  }

  /** Each section on its own: one that throws shows a note, the others still render. */
  private renderAll(): void {
    guarded(this.headerEl, 'the header', () => this.renderHeader());
    this.renderRuns();
    guarded(this.dataEl, 'the Data section', () => this.renderData());
    guarded(this.checksEl, 'the Checks section', () => this.renderChecks());
    guarded(this.servicesEl, 'the Services section', () => this.renderServices());
    guarded(this.actionsEl, 'the Actions section', () => this.renderActions());
  }

  private renderHeader(): void {
    const nb = this.notebook
      ? h('div', { class: 'mlops-notebook', title: this.notebook }, `Notebook: ${this.notebook}`)
      : h('div', { class: 'mlops-notebook mlops-dim' }, 'Open a notebook to see its runs.');
    const health = this.health;
    let store: HTMLElement;
    if (!health && this.healthState === 'pending') {
      store = h('div', { class: 'mlops-store mlops-dim' }, 'Connecting to the server extension…');
    } else if (!health) {
      store = h('div', { class: 'mlops-store mlops-warning' }, 'Server extension not reachable (see the notification; Refresh to retry).');
    } else if (health.config_error) {
      store = h('div', { class: 'mlops-store mlops-warning' }, `Configuration error: ${health.config_error.message}`);
    } else {
      const ok = health.store?.reachable !== false;
      store = h(
        'div',
        { class: `mlops-store ${ok ? '' : 'mlops-warning'}` },
        `Env ${health.profile?.name ?? '?'} · ${health.store?.kind ?? ''} store: ${health.store?.detail ?? ''}`
      );
    }
    const refresh = h(
      'button',
      { class: 'jp-Button mlops-button mlops-refresh', title: 'Refresh', onclick: () => void this.refresh() },
      '⟳ Refresh'
    );
    fill(this.headerEl, h('div', { class: 'mlops-header-row' }, nb, refresh), store);
  }

  private setSort(key: string): void {
    if (this.sort === key) {
      this.descending = !this.descending;
    } else {
      this.sort = key;
      this.descending = true;
    }
    void this.loadRuns().then(() => this.renderRuns());
  }

  /** A column header that sorts on click or Enter/Space (focusable, with aria-sort). */
  private sortHeader(label: string, key: string, cls: string, arrow: (k: string) => string, metric?: string): HTMLElement {
    const sorted = this.sort === key ? (this.descending ? 'descending' : 'ascending') : undefined;
    return h(
      'th',
      {
        class: cls,
        'data-metric': metric,
        tabindex: '0',
        'aria-sort': sorted,
        onclick: () => this.setSort(key),
        onkeydown: (ev: Event) => {
          const k = (ev as KeyboardEvent).key;
          if (k === 'Enter' || k === ' ') {
            ev.preventDefault();
            this.setSort(key);
          }
        }
      },
      label + arrow(key)
    );
  }

  private renderRuns(): void {
    guarded(this.runsEl, 'the Runs section', () => this.renderRunsTable());
    guarded(this.compareEl, 'the comparison', () => this.renderCompare());
  }

  private renderRunsTable(): void {
    if (!this.notebook) {
      fill(this.runsEl, h('p', { class: 'mlops-dim' }, 'No notebook is active.'));
      return;
    }
    const statusSelect = h(
      'select',
      {
        class: 'mlops-status-filter',
        'aria-label': 'Show runs with status',
        onchange: (ev: Event) => {
          this.status = (ev.target as HTMLSelectElement).value;
          void this.loadRuns().then(() => this.renderRuns());
        }
      },
      ...['', 'RUNNING', 'FINISHED', 'FAILED', 'KILLED'].map(s => {
        const opt = h('option', { value: s }, s ? s.toLowerCase() : 'any status') as HTMLOptionElement;
        opt.selected = s === this.status;
        return opt;
      })
    );
    if (this.runs.length === 0) {
      fill(this.runsEl,
        h('div', { class: 'mlops-toolbar' }, statusSelect),
        h('p', { class: 'mlops-dim mlops-empty' }, 'No runs of this notebook yet. Track one with %mlops_track start.')
      );
      return;
    }
    const metrics = this.metricKeys.slice(0, MAX_METRIC_COLUMNS);
    const arrow = (key: string) => (this.sort === key ? (this.descending ? ' ▼' : ' ▲') : '');
    const head = h(
      'tr',
      {},
      h('th', { 'aria-label': 'Compare' }, ''),
      this.sortHeader('Run', 'run_name', 'mlops-sortable', arrow),
      this.sortHeader('Status', 'status', 'mlops-sortable', arrow),
      ...metrics.map(m => this.sortHeader(m, `metrics.${m}`, 'mlops-sortable mlops-metric-col', arrow, m)),
      this.sortHeader('Started', 'start_time', 'mlops-sortable', arrow)
    );
    const rows = this.runs.map(run => {
      try {
        return this.runRow(run, metrics);
      } catch (error) {
        return h('tr', { class: 'mlops-run-row mlops-run-broken', 'data-run-id': run.run_id },
          h('td', { colspan: String(metrics.length + 4) }, errorNote(`run ${run.run_name || run.run_id}`, error)));
      }
    });
    const more = this.nextToken
      ? h('button', { class: 'jp-Button mlops-button mlops-more', onclick: () => void this.loadRuns(true).then(() => this.renderRuns()) }, 'Load more')
      : null;
    fill(this.runsEl,
      h('div', { class: 'mlops-toolbar' }, statusSelect, h('span', { class: 'mlops-dim' }, `${this.runs.length} run(s)`)),
      h('div', { class: 'mlops-table-wrap' }, h('table', { class: 'mlops-grid mlops-runs-table' }, h('thead', {}, head), h('tbody', {}, ...rows))),
      more
    );
  }

  private runRow(run: IRun, metrics: string[]): HTMLElement {
    const box = h('input', {
      type: 'checkbox',
      class: 'mlops-run-select',
      'aria-label': `Compare run ${run.run_name || run.run_id}`,
      onchange: (ev: Event) => {
        if ((ev.target as HTMLInputElement).checked) {
          this.selected.add(run.run_id);
        } else {
          this.selected.delete(run.run_id);
        }
        this.renderCompare();
      }
    }) as HTMLInputElement;
    box.checked = this.selected.has(run.run_id);
    return h(
      'tr',
      { class: 'mlops-run-row', 'data-run-id': run.run_id },
      h('td', {}, box),
      h(
        'td',
        {},
        h(
          'a',
          { class: 'mlops-run-link', href: '#', onclick: (ev: Event) => { ev.preventDefault(); void this.openRun(run.run_id); } },
          run.run_name || run.run_id.slice(0, 8)
        )
      ),
      h('td', {}, h('span', { class: `mlops-pill mlops-status-${run.status.toLowerCase()}` }, run.status.toLowerCase())),
      ...metrics.map(m => h('td', { class: 'mlops-metric', 'data-metric': m }, fmtNumber(run.metrics.get(m)))),
      h('td', { class: 'mlops-time', title: fmtTime(run.start_time) }, fmtShortTime(run.start_time))
    );
  }

  private renderCompare(): void {
    purge(this.compareEl);
    const chosen = this.runs.filter(r => this.selected.has(r.run_id));
    if (chosen.length < 2) {
      fill(this.compareEl,
        this.runs.length > 1 ? h('p', { class: 'mlops-dim mlops-hint' }, 'Select two or more runs to compare them.') : ''
      );
      return;
    }
    const chart = h('div', { class: 'mlops-chart mlops-compare-chart' });
    fill(this.compareEl, h('h4', {}, `Comparing ${chosen.length} runs`), chart);
    void plotComparison(chart, chosen, this.metricKeys);
  }

  private async openRun(runId: string): Promise<void> {
    let run: IRunDetails;
    try {
      run = normalizeDetails(await requestAPI<unknown>(`runs/${encodeURIComponent(runId)}`, {}, { notebook: this.notebook }));
    } catch (error) {
      this.fail('cannot open the run', error);
      return;
    }
    purge(this.detailsEl);
    guarded(this.detailsEl, `run ${runId}`, () => this.renderDetails(run));
  }

  private renderDetails(run: IRunDetails): void {
    const close = () => {
      purge(this.detailsEl);
      fill(this.detailsEl);
    };
    const chart = h('div', { class: 'mlops-chart mlops-history-chart' });
    fill(this.detailsEl, detailsCard(run, chart, close));
    plotHistory(chart, run.metric_history).catch(error => fill(chart, errorNote('the metric history', error)));
  }

  private renderData(): void {
    renderData(this.dataEl, this.data);
  }

  private renderChecks(): void {
    renderChecks(this.checksEl, this.notebook, this.checks);
  }

  private renderServices(): void {
    renderServices(this.servicesEl, this.services);
  }

  private renderActions(): void {
    const canExport = this.health?.features?.export?.available !== false;
    const exportBtn = h(
      'button',
      {
        class: 'jp-Button mlops-button mlops-export',
        disabled: !this.notebook || !canExport,
        onclick: () => void this.exportNotebook()
      },
      'Export as job'
    );
    const ui = this.uiUrl;
    const uiBtn = ui
      ? h('button', { class: 'jp-Button mlops-button mlops-open-ui', onclick: () => window.open(ui, '_blank', 'noopener') }, 'Open MLflow UI')
      : h('p', { class: 'mlops-dim mlops-no-ui' }, 'MLflow UI: no ui_url in the active profile.');
    const result = this.lastExport
      ? h(
          'div',
          { class: 'mlops-export-result' },
          h('div', {}, `Job "${this.lastExport.name}" in ${this.lastExport.job_dir_relative ?? this.lastExport.job_dir}`),
          h('ul', {}, ...Object.keys(this.lastExport.files).map(f => h('li', { class: 'mlops-export-file' }, f))),
          ...this.lastExport.notes.map(n => h('p', { class: 'mlops-dim' }, n))
        )
      : null;
    fill(this.actionsEl,
      h('div', { class: 'mlops-toolbar' }, exportBtn),
      canExport ? null : h('p', { class: 'mlops-dim' }, `Export not available: ${this.health?.features?.export?.reason ?? ''}`),
      result,
      uiBtn
    );
  }

  private async exportNotebook(): Promise<void> {
    if (!this.notebook) {
      return;
    }
    try {
      this.lastExport = await postAPI<IExportResult>('export', { path: this.notebook });
      Notification.success(`Exported as job "${this.lastExport.name}" in ${this.lastExport.job_dir_relative ?? this.lastExport.job_dir}`, { autoClose: 5000 });
    } catch (error) {
      this.fail('export failed', error);
    }
    this.renderActions();
  }

  /** The first time the panel is shown (before any notebook): ask the server, do not guess. */
  protected onAfterShow(): void {
    if (!this.loadedOnce) {
      void this.refresh();
    }
  }

  protected onBeforeDetach(): void {
    purge(this.compareEl);
    purge(this.detailsEl);
  }
}
