// Sortable, filterable tables whose state lives in the URL (`?<table>.sort=key&<table>.dir=desc
// &<table>.q=text&<table>.f.<key>=value&<table>.t.<key>=1`), and a CSV download of the rows
// shown. Without JavaScript the full table is still there, only not interactive.
import { toCsv } from './csv.ts';

interface State {
  sort: string | null;
  dir: 'asc' | 'desc';
  q: string;
  filters: Map<string, string>;
  toggles: Set<string>;
}

function cellValue(td: Element | undefined): string {
  if (!td) return '';
  return td.getAttribute('data-v') ?? (td.textContent ?? '').trim();
}

function readState(id: string, params: URLSearchParams): State {
  const filters = new Map<string, string>();
  const toggles = new Set<string>();
  for (const [k, v] of params) {
    if (k.startsWith(`${id}.f.`)) filters.set(k.slice(id.length + 3), v);
    if (k.startsWith(`${id}.t.`) && v === '1') toggles.add(k.slice(id.length + 3));
  }
  return {
    sort: params.get(`${id}.sort`),
    dir: params.get(`${id}.dir`) === 'desc' ? 'desc' : 'asc',
    q: params.get(`${id}.q`) ?? '',
    filters,
    toggles,
  };
}

function writeState(id: string, s: State): void {
  const url = new URL(window.location.href);
  for (const k of [...url.searchParams.keys()]) {
    if (k.startsWith(`${id}.`)) url.searchParams.delete(k);
  }
  if (s.sort) {
    url.searchParams.set(`${id}.sort`, s.sort);
    if (s.dir === 'desc') url.searchParams.set(`${id}.dir`, 'desc');
  }
  if (s.q) url.searchParams.set(`${id}.q`, s.q);
  for (const [k, v] of s.filters) if (v) url.searchParams.set(`${id}.f.${k}`, v);
  for (const k of s.toggles) url.searchParams.set(`${id}.t.${k}`, '1');
  window.history.replaceState(null, '', url);
}

function setup(block: HTMLElement): void {
  const id = block.dataset.table ?? '';
  const table = block.querySelector('table');
  const tools = block.querySelector<HTMLElement>('.table-tools');
  if (!table || !tools) return;
  tools.hidden = false;
  const tbody = table.tBodies[0];
  if (!tbody) return;
  const heads = [...table.tHead!.rows[0]!.cells];
  const keys = heads.map((h) => h.dataset.key ?? '');
  const kinds = heads.map((h) => h.dataset.kind ?? 'text');
  const rows = [...tbody.rows];
  const values = rows.map((r) => [...r.cells].map((c) => cellValue(c)));
  const order = rows.map((_, i) => i);
  const count = block.querySelector<HTMLElement>('[data-count]');
  const search = block.querySelector<HTMLInputElement>('[data-search]');
  const selects = [...block.querySelectorAll<HTMLSelectElement>('[data-filter]')];
  const boxes = [...block.querySelectorAll<HTMLInputElement>('[data-toggle]')];
  const state = readState(id, new URLSearchParams(window.location.search));
  let shown: number[] = order;

  heads.forEach((h, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'sort';
    b.textContent = h.textContent ?? '';
    b.addEventListener('click', () => {
      if (state.sort === keys[i]) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
      else {
        state.sort = keys[i] ?? null;
        state.dir = 'asc';
      }
      apply(true);
    });
    h.replaceChildren(b);
  });
  if (search) {
    search.value = state.q;
    search.addEventListener('input', () => {
      state.q = search.value;
      apply(true);
    });
  }
  for (const s of selects) {
    const key = s.dataset.filter ?? '';
    const v = state.filters.get(key);
    if (v !== undefined) {
      if (![...s.options].some((o) => o.value === v)) s.add(new Option(v, v));
      s.value = v;
    }
    s.addEventListener('change', () => {
      state.filters.set(key, s.value);
      apply(true);
    });
  }
  for (const b of boxes) {
    const key = b.dataset.toggle ?? '';
    b.checked = state.toggles.has(key);
    b.addEventListener('change', () => {
      if (b.checked) state.toggles.add(key);
      else state.toggles.delete(key);
      apply(true);
    });
  }
  block.querySelector('[data-csv]')?.addEventListener('click', () => {
    const header = heads.map((h) => (h.textContent ?? '').trim());
    const text = toCsv(
      header,
      shown.map((i) => values[i]!),
    );
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    a.download = `${id}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });

  function apply(save: boolean): void {
    const q = state.q.trim().toLowerCase();
    const col = state.sort ? keys.indexOf(state.sort) : -1;
    let list = order.filter((i) => {
      const row = rows[i]!;
      const vals = values[i]!;
      for (const [k, v] of state.filters) {
        if (!v) continue;
        const c = keys.indexOf(k);
        if (c >= 0 && vals[c] !== v) return false;
      }
      for (const t of state.toggles) if (!row.hasAttribute(`data-t-${t}`)) return false;
      return q === '' || vals.some((v) => v.toLowerCase().includes(q));
    });
    if (col >= 0) {
      const num = kinds[col] === 'number';
      const sign = state.dir === 'desc' ? -1 : 1;
      list = [...list].sort((a, b) => {
        const x = values[a]![col]!;
        const y = values[b]![col]!;
        if (num) {
          const nx = x === '' ? Number.NEGATIVE_INFINITY : Number(x);
          const ny = y === '' ? Number.NEGATIVE_INFINITY : Number(y);
          if (nx !== ny) return (nx - ny) * sign;
        } else {
          const c = x.localeCompare(y);
          if (c !== 0) return c * sign;
        }
        return a - b;
      });
    }
    shown = list;
    const visible = new Set(list);
    for (const i of order) rows[i]!.hidden = !visible.has(i);
    tbody!.append(...list.map((i) => rows[i]!));
    heads.forEach((h, i) => {
      if (i === col) h.setAttribute('aria-sort', state.dir === 'desc' ? 'descending' : 'ascending');
      else h.removeAttribute('aria-sort');
    });
    if (count) count.textContent = `${list.length} of ${rows.length} rows`;
    if (save) writeState(id, state);
  }
  apply(false);
}

for (const block of document.querySelectorAll<HTMLElement>('[data-table]')) setup(block);
