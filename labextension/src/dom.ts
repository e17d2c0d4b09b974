import { ApiError } from './request';

/** DOM building and formatting helpers of the panel. */

type Attrs = Record<string, string | ((ev: Event) => void) | boolean | undefined>;

/** Tiny DOM builder: h('div', {class: 'x', onclick: f}, child, 'text'). */
export function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) {
      continue;
    }
    if (typeof value === 'function') {
      el.addEventListener(key.replace(/^on/, ''), value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, value);
    }
  }
  for (const child of children) {
    if (child !== null) {
      el.append(child);
    }
  }
  return el;
}

/** Replace the children of ``el``, skipping nulls. */
export function fill(el: HTMLElement, ...children: (Node | string | null)[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null));
}

export function fmtNumber(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value !== 'number') {
    // never a method of Object.prototype or a nested object: only what the server sent, as text
    return typeof value === 'string' ? value : '?';
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  return Math.abs(value) >= 1000 || Math.abs(value) < 0.001
    ? value.toExponential(3)
    : value.toFixed(4);
}

export function fmtTime(ms: number | null | undefined): string {
  if (!ms) {
    return '–';
  }
  return new Date(ms).toLocaleString();
}

export function fmtShortTime(ms: number | null | undefined): string {
  if (!ms) {
    return '–';
  }
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString();
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
