// Sortable, filterable tables whose state lives in the URL (`?<table>.sort=key&<table>.dir=desc
// &<table>.q=text&<table>.f.<key>=value&<table>.t.<key>=1`), and a CSV download of the rows
// shown. Without JavaScript the full table is still there, only not interactive.
//
// A long list split into pages (`data-rows` on the block) shows its page's rows until a filter,
// a sort, a search or the CSV download needs the whole list: then every row is read from the
// rows file once, and the table shows the matching rows of the whole list (the first page-size
// of them, and a button for the rest); the CSV holds every matching row.
import { toCsv } from './csv.ts';
import { showDate } from './format.ts';

type RowsCell = string | number | null | [string, string];
interface RowsFile {
  columns: string[];
  rows: [RowsCell[], string[]][];
}

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

function hasState(id: string, params: URLSearchParams): boolean {
  for (const k of params.keys()) if (k.startsWith(`${id}.`)) return true;
  return false;
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
  // The rows as a model: raw values per column, true toggles, and the row element (made on
  // demand for rows read from the rows file).
  let rows: (HTMLTableRowElement | null)[] = [...tbody.rows];
  let values = rows.map((r) => [...r!.cells].map((c) => cellValue(c)));
  let flags = rows.map((r) => {
    const f = new Set<string>();
    for (const a of r!.getAttributeNames()) if (a.startsWith('data-t-')) f.add(a.slice(7));
    return f;
  });
  let make: (i: number) => HTMLTableRowElement = (i) => rows[i]!;
  let order = rows.map((_, i) => i);
  const rowsUrl = block.dataset.rows;
  const pageSize = Number(block.dataset.pageSize ?? '0');
  let whole = !rowsUrl;
  let loading: Promise<void> | null = null;
  let showAll = false;
  const count = block.querySelector<HTMLElement>('[data-count]');
  const more = block.querySelector<HTMLButtonElement>('[data-more]');
  const search = block.querySelector<HTMLInputElement>('[data-search]');
  const selects = [...block.querySelectorAll<HTMLSelectElement>('[data-filter]')];
  const boxes = [...block.querySelectorAll<HTMLInputElement>('[data-toggle]')];
  const state = readState(id, new URLSearchParams(window.location.search));
  let shown: number[] = order;

  /** Reads every row of a paged list from its rows file (once). */
  function loadWhole(): Promise<void> {
    if (whole || !rowsUrl) return Promise.resolve();
    loading ??= (async () => {
      if (count) count.textContent = 'Reading every row…';
      try {
        const res = await fetch(rowsUrl);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const file = (await res.json()) as RowsFile;
        const at = keys.map((k) => file.columns.indexOf(k));
        const cells = file.rows.map(([c]) => at.map((j) => (j < 0 ? null : (c[j] ?? null))));
        values = cells.map((r) =>
          r.map((c) => (Array.isArray(c) ? c[0] : c === null ? '' : String(c))),
        );
        flags = file.rows.map(([, t]) => new Set(t));
        rows = cells.map(() => null);
        make = (i) => (rows[i] ??= rowElement(cells[i]!, flags[i]!));
        order = rows.map((_, i) => i);
        whole = true;
        for (const el of block.querySelectorAll<HTMLElement>('[data-pager], [data-page-of]')) {
          el.hidden = true;
        }
      } catch {
        if (count) count.textContent = 'Every row could not be read: this page’s rows only.';
        loading = Promise.resolve();
      }
    })();
    return loading;
  }

  function rowElement(cells: RowsCell[], f: Set<string>): HTMLTableRowElement {
    const tr = document.createElement('tr');
    for (const t of f) tr.setAttribute(`data-t-${t}`, '1');
    cells.forEach((c, j) => {
      const td = document.createElement('td');
      if (Array.isArray(c)) {
        const a = document.createElement('a');
        a.href = c[1];
        a.textContent = c[0];
        td.append(a);
      } else {
        const value = c === null ? '' : String(c);
        const text = kinds[j] === 'date' ? showDate(value) : value;
        if (kinds[j] === 'number') td.className = 'num';
        if (text !== value) td.dataset.v = value;
        td.textContent = text;
      }
      tr.append(td);
    });
    return tr;
  }

  /** Applies the state, first reading the whole list when it is paged. */
  function change(): void {
    showAll = false;
    void loadWhole().then(() => apply(true));
  }

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
      change();
    });
    h.replaceChildren(b);
  });
  if (search) {
    search.value = state.q;
    search.addEventListener('input', () => {
      state.q = search.value;
      change();
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
      change();
    });
  }
  for (const b of boxes) {
    const key = b.dataset.toggle ?? '';
    b.checked = state.toggles.has(key);
    b.addEventListener('change', () => {
      if (b.checked) state.toggles.add(key);
      else state.toggles.delete(key);
      change();
    });
  }
  more?.addEventListener('click', () => {
    showAll = true;
    apply(false);
  });
  block.querySelector('[data-csv]')?.addEventListener('click', () => {
    void loadWhole().then(() => {
      apply(false);
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
  });

  function apply(save: boolean): void {
    const q = state.q.trim().toLowerCase();
    const col = state.sort ? keys.indexOf(state.sort) : -1;
    let list = order.filter((i) => {
      const vals = values[i]!;
      for (const [k, v] of state.filters) {
        if (!v) continue;
        const c = keys.indexOf(k);
        if (c >= 0 && vals[c] !== v) return false;
      }
      for (const t of state.toggles) if (!flags[i]!.has(t)) return false;
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
    if (rowsUrl && whole) {
      // The whole list: draw the matching rows (a page-size of them unless asked for all).
      const limit = showAll ? list.length : pageSize;
      tbody!.replaceChildren(...list.slice(0, limit).map(make));
      if (more) more.hidden = list.length <= limit;
      if (count) {
        count.textContent =
          list.length > limit
            ? `${limit} of ${list.length} matching rows shown (${order.length} in all)`
            : `${list.length} of ${order.length} rows`;
      }
    } else {
      const visible = new Set(list);
      for (const i of order) rows[i]!.hidden = !visible.has(i);
      tbody!.append(...list.map((i) => rows[i]!));
      if (count) count.textContent = `${list.length} of ${rows.length} rows`;
    }
    heads.forEach((h, i) => {
      if (i === col) h.setAttribute('aria-sort', state.dir === 'desc' ? 'descending' : 'ascending');
      else h.removeAttribute('aria-sort');
    });
    if (save) writeState(id, state);
  }
  if (rowsUrl && hasState(id, new URLSearchParams(window.location.search))) {
    void loadWhole().then(() => apply(false));
  } else apply(false);
}

for (const block of document.querySelectorAll<HTMLElement>('[data-table]')) setup(block);
