// Light / dark toggle: follows the system until the user picks; the pick is kept in
// localStorage. Print is always light (site.css).
const KEY = 'smartlic-theme';
const root = document.documentElement;
const button = document.querySelector<HTMLButtonElement>('[data-theme-toggle]');

function effective(): 'light' | 'dark' {
  const t = root.dataset.theme;
  if (t === 'light' || t === 'dark') return t;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function show(): void {
  if (!button) return;
  const dark = effective() === 'dark';
  button.setAttribute('aria-pressed', String(dark));
  button.textContent = dark ? 'Light theme' : 'Dark theme';
}

if (button) {
  button.hidden = false;
  show();
  button.addEventListener('click', () => {
    const next = effective() === 'dark' ? 'light' : 'dark';
    root.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // storage may be off (private mode, file share): the pick lasts for this page only
    }
    show();
    window.dispatchEvent(new CustomEvent('smartlic-theme'));
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    show();
    window.dispatchEvent(new CustomEvent('smartlic-theme'));
  });
}
