import { h } from './dom';

/**
 * Prototype-free maps of the server's JSON objects, and rendering that survives one bad value.
 *
 * A metric named `constructor`, `toString` or `__proto__` must not reach Object.prototype:
 * `run.metrics['constructor']` on a plain object is a function for every run that lacks
 * the metric. Maps only ever hold what the server sent.
 */

/** The own keys of a JSON object as a Map (keys like `__proto__` included, nothing inherited). */
export function asMap<V>(obj: unknown): Map<string, V> {
  const map = new Map<string, V>();
  if (obj instanceof Map) {
    for (const [k, v] of obj) {
      map.set(String(k), v as V);
    }
  } else if (obj !== null && typeof obj === 'object') {
    for (const key of Object.keys(obj)) {
      const desc = Object.getOwnPropertyDescriptor(obj, key);
      map.set(key, (desc ? desc.value : undefined) as V);
    }
  }
  return map;
}

/** Short text of a thrown value for a note in the panel. */
export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? text.slice(0, 199) + '…' : text;
}

/** A visible note in place of what could not be shown (and the cause in the console). */
export function errorNote(what: string, error: unknown): HTMLElement {
  console.error(`mlops-jupyter: cannot show ${what}`, error);
  return h('p', { class: 'mlops-error-note', role: 'status' }, `Could not show ${what}: ${describe(error)}`);
}

/** Run ``render``; on an exception put a note into ``el`` instead (the rest still renders). */
export function guarded(el: HTMLElement, what: string, render: () => void): void {
  try {
    render();
  } catch (error) {
    el.replaceChildren(errorNote(what, error));
  }
}
