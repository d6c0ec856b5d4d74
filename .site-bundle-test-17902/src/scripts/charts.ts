// Draws every chart of the page with chart.js (bundled with the site, no CDN), in the colours
// of the current theme; redraws when the theme changes.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

interface Spec {
  kind: 'bar' | 'line' | 'doughnut';
  labels: string[];
  series: { label: string; data: (number | null)[] }[];
  stacked: boolean;
}

/**
 * A chart's data, read from its data table (the page carries the numbers once: the table
 * screen readers use is the chart's source).
 */
function specOf(fig: HTMLElement): Spec | null {
  const table = fig.querySelector<HTMLTableElement>('table[data-chart-data]');
  const kind = fig.dataset.kind;
  if (
    !table?.tHead ||
    !table.tBodies[0] ||
    (kind !== 'bar' && kind !== 'line' && kind !== 'doughnut')
  )
    return null;
  const heads = [...table.tHead.rows[0]!.cells].slice(1).map((c) => (c.textContent ?? '').trim());
  const rows = [...table.tBodies[0].rows];
  const number = (c: HTMLTableCellElement | undefined): number | null => {
    const t = (c?.textContent ?? '').trim();
    return t === '' ? null : Number(t);
  };
  return {
    kind,
    stacked: fig.dataset.stacked === '1',
    labels: rows.map((r) => (r.cells[0]?.textContent ?? '').trim()),
    series: heads.map((label, j) => ({ label, data: rows.map((r) => number(r.cells[j + 1])) })),
  };
}

const charts: Chart[] = [];

/**
 * A state or severity has one colour on every chart, whatever the order of the series or the
 * slices: red for lost or critical, orange for a warning or running on evaluation, green for
 * authorized / in compliance, blue for info, grey for unknown. Other labels take the palette
 * by position (skipping nothing: they carry no meaning of their own).
 */
const MEANING: Record<string, string> = {
  authorized: '--series-3',
  'in compliance': '--series-3',
  registered: '--series-3',
  'out of compliance': '--series-5',
  'authorization expired': '--series-5',
  'evaluation expired': '--series-5',
  'registration expired': '--series-5',
  critical: '--series-5',
  'short (va by va)': '--series-5',
  warning: '--series-2',
  'evaluation mode': '--series-2',
  info: '--series-1',
  unknown: '--muted',
  'no license in use': '--muted',
  unregistered: '--muted',
};

function palette(): {
  text: string;
  grid: string;
  series: string[];
  meaning: (label: string) => string | undefined;
} {
  const css = getComputedStyle(document.documentElement);
  const v = (n: string) => css.getPropertyValue(n).trim();
  return {
    text: v('--fg'),
    grid: v('--border'),
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--series-${i}`)),
    meaning: (label) => {
      const name = MEANING[label.trim().toLowerCase()];
      return name ? v(name) || undefined : undefined;
    },
  };
}

function draw(): void {
  for (const c of charts.splice(0)) c.destroy();
  const p = palette();
  Chart.defaults.color = p.text;
  Chart.defaults.borderColor = p.grid;
  for (const fig of document.querySelectorAll<HTMLElement>('[data-chart-block]')) {
    const canvas = fig.querySelector<HTMLCanvasElement>('canvas');
    const spec = specOf(fig);
    if (!canvas || !spec) continue;
    const colour = (i: number, label: string) =>
      p.meaning(label) ?? p.series[i % p.series.length] ?? p.text;
    const doughnut = spec.kind === 'doughnut';
    const config: ChartConfiguration = {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          backgroundColor: doughnut ? spec.labels.map((l, j) => colour(j, l)) : colour(i, s.label),
          borderColor: doughnut ? p.grid : colour(i, s.label),
          borderWidth: spec.kind === 'line' ? 2 : 1,
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: doughnut
          ? {}
          : {
              x: {
                stacked: spec.stacked,
                ticks: { color: p.text },
                grid: { color: p.grid },
              },
              y: {
                stacked: spec.stacked,
                beginAtZero: true,
                ticks: { color: p.text },
                grid: { color: p.grid },
              },
            },
        plugins: { legend: { labels: { color: p.text } } },
      },
    };
    charts.push(new Chart(canvas, config));
  }
}

draw();
window.addEventListener('smartlic-theme', draw);
window.addEventListener('beforeprint', () => {
  for (const c of charts) c.resize();
});
