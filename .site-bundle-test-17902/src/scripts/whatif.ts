// The what-if page: runs core/domain/allocation (pure, bundled into this page) on the build's
// entitlements and cluster requests, before and after moving the chosen clusters.
import {
  allocate,
  type AllocationInput,
  type AllocationResult,
} from '../../../core/domain/allocation.ts';
import { moveClusters, type WhatIfVa } from './whatif-move.ts';
import type { WhatIfData } from '../../lib/types.ts';

const form = document.querySelector<HTMLFormElement>('#whatif');
const json = document.querySelector('#whatif-data')?.textContent;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function table(caption: string, before: AllocationResult, after: AllocationResult): HTMLElement {
  const t = el('table', undefined, { class: 'whatif-table' });
  t.append(el('caption', caption));
  const head = el('tr');
  for (const h of [
    'License type',
    'Owned',
    'In use before',
    'In use after',
    'Available before',
    'Available after',
    'Short before',
    'Short after',
  ])
    head.append(el('th', h, { scope: 'col' }));
  const thead = el('thead');
  thead.append(head);
  t.append(thead);
  const body = el('tbody');
  const types = [
    ...new Set([
      ...before.licenses.map((l) => l.type),
      ...after.licenses.map((l) => l.type),
      ...before.shortages.map((s) => s.type),
      ...after.shortages.map((s) => s.type),
    ]),
  ];
  for (const type of types) {
    const b = before.licenses.find((l) => l.type === type);
    const a = after.licenses.find((l) => l.type === type);
    const sb = before.shortages.find((s) => s.type === type)?.quantity ?? 0;
    const sa = after.shortages.find((s) => s.type === type)?.quantity ?? 0;
    const tr = el('tr', undefined, { 'data-type': type });
    tr.append(el('th', type, { scope: 'row' }));
    for (const v of [
      b?.quantity ?? a?.quantity ?? 0,
      b?.inUse ?? 0,
      a?.inUse ?? 0,
      b?.available ?? 0,
      a?.available ?? 0,
      sb,
      sa,
    ])
      tr.append(el('td', String(v), { class: 'num' }));
    body.append(tr);
  }
  t.append(body);
  return t;
}

if (form && json) {
  const data = JSON.parse(json) as WhatIfData;
  form.hidden = false;
  const picker = form.querySelector<HTMLSelectElement>('#whatif-clusters')!;
  const target = form.querySelector<HTMLSelectElement>('#whatif-target')!;
  const search = form.querySelector<HTMLInputElement>('#whatif-search')!;
  const result = document.querySelector<HTMLElement>('#whatif-result')!;
  const params = new URLSearchParams(window.location.search);
  const chosen = new Set((params.get('clusters') ?? '').split(',').filter(Boolean));
  for (const o of picker.options) o.selected = chosen.has(o.value);
  if (params.get('to')) target.value = params.get('to')!;
  search.addEventListener('input', () => {
    const q = search.value.toLowerCase();
    for (const o of picker.options) o.hidden = q !== '' && !o.text.toLowerCase().includes(q);
  });
  const run = () => {
    const ids = [...picker.selectedOptions].map((o) => Number(o.value));
    const to = Number(target.value);
    const url = new URL(window.location.href);
    url.searchParams.set('clusters', ids.join(','));
    url.searchParams.set('to', String(to));
    window.history.replaceState(null, '', url);
    result.replaceChildren();
    if (ids.length === 0) {
      result.append(el('p', 'Pick at least one cluster.'));
      return;
    }
    const vas: WhatIfVa[] = data.virtualAccounts;
    const moved = moveClusters(data, ids, to);
    for (const va of vas.filter((v) => moved.involved.has(v.id))) {
      const before = allocate(moved.before.get(va.id) as AllocationInput);
      const after = allocate(moved.after.get(va.id) as AllocationInput);
      const section = el('section', undefined, { 'data-va': String(va.id) });
      section.append(el('h2', va.label));
      section.append(table(`Allocation of ${va.label} before and after`, before, after));
      result.append(section);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  if (chosen.size > 0) run();
}
