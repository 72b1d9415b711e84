/**
 * "Tab N": each tab gets its own label, kept across reloads of that tab
 * (sessionStorage) and counted per browser profile (localStorage).
 */
export function tabLabel(): string {
  const saved = sessionStorage.getItem('forkline.tab');
  if (saved) return saved;
  const next = Number(localStorage.getItem('forkline.tabs') ?? '0') + 1;
  localStorage.setItem('forkline.tabs', String(next));
  const label = `Tab ${next}`;
  sessionStorage.setItem('forkline.tab', label);
  return label;
}
