import { fill, fmtTime, h } from './dom';
import { IChecks, IDatasets } from './types';

/** The Data section: pins and their state, or plainly why there is nothing to show. */
export function renderData(el: HTMLElement, d: IDatasets | null): void {
  if (!d) {
    fill(el, h('p', { class: 'mlops-muted' }, 'Dataset status not loaded.'));
    return;
  }
  if (!d.available) {
    fill(el, h('p', { class: 'mlops-muted mlops-unavailable' }, `Not available: ${d.reason}`));
    return;
  }
  if (!d.configured || !d.status) {
    fill(el,
      h('p', { class: 'mlops-muted mlops-unconfigured' }, `Not configured: ${d.reason ?? ''}`),
      d.hint ? h('p', { class: 'mlops-muted' }, d.hint) : null
    );
    return;
  }
  const rows = d.status.rows;
  if (rows.length === 0) {
    fill(el, h('p', { class: 'mlops-muted' }, 'No dataset pinned yet. Pin one with %mlops_data pin PATH.'));
    return;
  }
  fill(el,
    h(
      'table',
      { class: 'mlops-table mlops-data-table' },
      h('tbody', {}, ...rows.map(r =>
        h(
          'tr',
          { class: 'mlops-data-row' },
          h('td', {}, r.path),
          h('td', {}, h('span', { class: `mlops-badge mlops-state-${r.state.replace(/\W+/g, '-')}` }, r.state)),
          h('td', { class: 'mlops-warning' }, (r.flags || []).join(', '))
        )
      ))
    )
  );
}

/** The Checks section: the latest verdict per check of the notebook. */
export function renderChecks(el: HTMLElement, notebook: string | null, c: IChecks | null): void {
  if (!notebook) {
    fill(el, h('p', { class: 'mlops-muted' }, 'No notebook is active.'));
    return;
  }
  if (!c) {
    fill(el, h('p', { class: 'mlops-muted' }, 'Checks not loaded.'));
    return;
  }
  const missing = [!c.validation ? 'validation' : null, !c.drift ? 'drift' : null].filter(Boolean);
  const note = missing.length ? h('p', { class: 'mlops-muted' }, `Not available in this installation: ${missing.join(', ')}.`) : null;
  if (c.checks.length === 0) {
    fill(el, h('p', { class: 'mlops-muted' }, 'No checks recorded for this notebook yet (%%validate, %drift).'), note);
    return;
  }
  fill(el,
    h('ul', { class: 'mlops-check-list' }, ...c.checks.map(e =>
      h(
        'li',
        { class: `mlops-check mlops-check-${e.ok ? 'ok' : 'failed'}` },
        h('span', { class: `mlops-badge mlops-status-${e.ok ? 'finished' : 'failed'}` }, e.ok ? 'pass' : 'fail'),
        ` ${e.kind}: ${e.name} `,
        h('span', { class: 'mlops-muted' }, fmtTime(e.time * 1000))
      )
    )),
    note
  );
}
