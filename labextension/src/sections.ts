import { fill, fmtNumber, fmtTime, h } from './dom';
import { errorNote } from './safe';
import { IChecks, IDataRow, IDatasets, IService, IServices } from './types';

/** The Data section: pins and their state, or plainly why there is nothing to show. */
export function renderData(el: HTMLElement, d: IDatasets | null): void {
  if (!d) {
    fill(el, h('p', { class: 'mlops-dim' }, 'Dataset status not loaded.'));
    return;
  }
  if (!d.available) {
    fill(el, h('p', { class: 'mlops-dim mlops-unavailable' }, `Not available: ${d.reason}`));
    return;
  }
  if (!d.configured || !d.status) {
    fill(el,
      h('p', { class: 'mlops-dim mlops-unconfigured' }, `Not configured: ${d.reason ?? ''}`),
      d.hint ? h('p', { class: 'mlops-dim' }, d.hint) : null
    );
    return;
  }
  const rows = d.status.rows;
  if (rows.length === 0) {
    fill(el, h('p', { class: 'mlops-dim' }, 'No dataset pinned yet. Pin one with %mlops_data pin PATH.'));
    return;
  }
  fill(el,
    h(
      'table',
      { class: 'mlops-grid mlops-data-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Dataset'), h('th', {}, 'State'))),
      h('tbody', {}, ...rows.map(r => {
        try {
          return dataRow(r);
        } catch (error) {
          return h('tr', { class: 'mlops-data-row' }, h('td', { colspan: '2' }, errorNote(`dataset ${String(r?.path)}`, error)));
        }
      }))
    )
  );
}

/** One dataset: its path and one pill per state flag (each state once; "clean" when none). */
function dataRow(r: IDataRow): HTMLElement {
  const flags = Array.isArray(r.flags) && r.flags.length ? [...new Set(r.flags.map(String))] : [String(r.state || 'clean')];
  return h(
    'tr',
    { class: 'mlops-data-row' },
    h('td', {}, String(r.path)),
    h('td', {}, h('span', { class: 'mlops-pills' }, ...flags.map(f =>
      h('span', { class: `mlops-pill mlops-state mlops-state-${f.replace(/\W+/g, '-')}` }, f))))
  );
}

/** One line under a check: test counts and the failing tests' names; a check's own message. */
export function checkDetail(kind: string, summary: Record<string, unknown>): string {
  const num = (k: string): number => (typeof summary[k] === 'number' ? (summary[k] as number) : 0);
  if (kind === 'test') {
    const parts = [`${num('passed')} passed`, `${num('failed')} failed`];
    if (num('error')) parts.push(`${num('error')} errors`);
    if (num('skipped')) parts.push(`${num('skipped')} skipped`);
    const failing = Array.isArray(summary.failing) ? (summary.failing as unknown[]).map(String) : [];
    return parts.join(', ') + (failing.length ? ` — ${failing.slice(0, 3).join(', ')}${failing.length > 3 ? ', …' : ''}` : '');
  }
  if (kind === 'validation' && typeof summary.rules === 'number') {
    const rows = typeof summary.rows === 'number' ? ` on ${summary.rows} rows` : '';
    return `${num('failed')} of ${num('rules')} rules failed${num('errors') ? `, ${num('errors')} errors` : ''}${rows}`;
  }
  if (kind === 'drift' && Array.isArray(summary.drifted_columns)) {
    const cols = (summary.drifted_columns as unknown[]).map(String);
    return cols.length ? `drifted: ${cols.slice(0, 4).join(', ')}${cols.length > 4 ? ', …' : ''}` : 'no column drifted';
  }
  return typeof summary.message === 'string' ? summary.message : '';
}

/** The Checks section: the latest verdict per check of the notebook. */
export function renderChecks(el: HTMLElement, notebook: string | null, c: IChecks | null): void {
  if (!notebook) {
    fill(el, h('p', { class: 'mlops-dim' }, 'No notebook is active.'));
    return;
  }
  if (!c) {
    fill(el, h('p', { class: 'mlops-dim' }, 'Checks not loaded.'));
    return;
  }
  const missing = [!c.validation ? 'validation' : null, !c.drift ? 'drift' : null].filter(Boolean);
  const note = missing.length ? h('p', { class: 'mlops-dim' }, `Not available in this installation: ${missing.join(', ')}.`) : null;
  if (c.checks.length === 0) {
    fill(el, h('p', { class: 'mlops-dim' }, 'No checks recorded for this notebook yet (%%validate, %drift, %%mlops_test).'), note);
    return;
  }
  const detail = (e: { kind: string; summary: Record<string, unknown> }): string =>
    checkDetail(e.kind, e.summary && typeof e.summary === 'object' ? e.summary : {});
  fill(el,
    h('ul', { class: 'mlops-check-list' }, ...c.checks.map(e => {
      try {
        return h(
          'li',
          { class: `mlops-check mlops-check-${e.ok ? 'ok' : 'failed'}` },
          h('span', { class: `mlops-pill mlops-status-${e.ok ? 'finished' : 'failed'}` }, e.ok ? 'pass' : 'fail'),
          ` ${e.kind}: ${e.name} `,
          h('span', { class: 'mlops-dim' }, fmtTime(e.time * 1000)),
          ...(detail(e) ? [h('div', { class: 'mlops-check-detail mlops-dim' }, detail(e))] : [])
        );
      } catch (error) {
        return h('li', {}, errorNote('a check', error));
      }
    })),
    note
  );
}

/** The Services section: the project's model services, their health and last window. */
export function renderServices(el: HTMLElement, s: IServices | null): void {
  if (!s) {
    fill(el, h('p', { class: 'mlops-dim' }, 'Services not loaded.'));
    return;
  }
  const list = Array.isArray(s.services) ? s.services : [];
  if (list.length === 0) {
    fill(el, h('p', { class: 'mlops-dim' }, 'No model service in this project (%mlops_serve MODEL).'));
    return;
  }
  const minutes = Math.round((s.window_s || 300) / 60);
  fill(el, ...list.map(svc => {
    try {
      return serviceCard(svc, minutes);
    } catch (error) {
      return h('div', { class: 'mlops-service' }, errorNote(`service ${String(svc?.name)}`, error));
    }
  }));
}

const SERVICE_STATES: Record<string, string> = { ok: 'finished', degraded: 'running', stopped: 'killed' };

function serviceCard(svc: IService, minutes: number): HTMLElement {
  if (svc.error) {
    return h('div', { class: 'mlops-service mlops-service-error' },
      h('span', { class: 'mlops-service-name' }, String(svc.name)), ' ',
      h('span', { class: 'mlops-dim' }, `cannot read: ${String(svc.error)}`));
  }
  const status = String(svc.status ?? 'unknown');
  const pill = h('span', { class: `mlops-pill mlops-status-${SERVICE_STATES[status] ?? 'failed'}` }, status);
  const last = new Map((Array.isArray(svc.last) ? svc.last : []).map(w => [String(w.arm), w]));
  const arms = (Array.isArray(svc.arms) ? svc.arms : []).map(a => {
    const w = last.get(String(a.arm));
    const health = a.up === null || a.up === undefined ? null : a.up ? 'up' : 'down';
    const p95 = w && w.p95_latency_ms !== null ? ` · p95 ${fmtNumber(Math.round(w.p95_latency_ms * 10) / 10)} ms` : '';
    const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
    const traffic = w ? `${n(w.requests, 'request')} · ${n(w.errors, 'error')}${p95}` : 'no requests';
    return h('li', { class: 'mlops-service-arm', 'data-arm': String(a.arm) },
      h('span', { class: 'mlops-arm-name' }, String(a.arm)), ' ',
      h('span', { class: 'mlops-dim' }, a.version ? `v${String(a.version)}` : String(a.model ?? '')),
      health ? h('span', { class: `mlops-arm-${health}` }, ` · ${health}`) : null,
      h('div', { class: 'mlops-arm-traffic' }, traffic));
  });
  return h('div', { class: 'mlops-service', 'data-service': String(svc.name) },
    h('div', {}, pill, ' ', h('span', { class: 'mlops-service-name' }, String(svc.name)),
      svc.running && svc.url ? h('span', { class: 'mlops-dim' }, ` ${String(svc.url)}`) : null),
    h('div', { class: 'mlops-dim' }, `last ${minutes} min:`),
    h('ul', { class: 'mlops-service-arms' }, ...arms));
}
