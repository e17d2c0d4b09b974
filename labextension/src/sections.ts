import { fill, fmtTime, h } from './dom';
import { errorNote } from './safe';
import { IChecks, IDataRow, IDatasets } from './types';

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
    fill(el, h('p', { class: 'mlops-dim' }, 'No checks recorded for this notebook yet (%%validate, %drift).'), note);
    return;
  }
  fill(el,
    h('ul', { class: 'mlops-check-list' }, ...c.checks.map(e => {
      try {
        return h(
          'li',
          { class: `mlops-check mlops-check-${e.ok ? 'ok' : 'failed'}` },
          h('span', { class: `mlops-pill mlops-status-${e.ok ? 'finished' : 'failed'}` }, e.ok ? 'pass' : 'fail'),
          ` ${e.kind}: ${e.name} `,
          h('span', { class: 'mlops-dim' }, fmtTime(e.time * 1000))
        );
      } catch (error) {
        return h('li', {}, errorNote('a check', error));
      }
    })),
    note
  );
}
