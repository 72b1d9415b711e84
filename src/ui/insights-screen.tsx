import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * The Insights view, fetched the first time it is opened: it and its charting
 * library stay out of the main bundle.
 */
export function InsightsScreen() {
  const [View, setView] = useState<ComponentType | undefined>(undefined);
  const [failed, setFailed] = useState<string | undefined>(undefined);
  useEffect(() => {
    import('./insights-view.tsx').then(
      (m) => setView(() => m.InsightsView),
      (error: Error) => setFailed(error.message),
    );
  }, []);
  if (View) return <View />;
  return (
    <section class="insights" aria-label="Insights">
      <h2>Insights</h2>
      <p class={failed ? 'problem' : undefined}>
        {failed
          ? `The charts could not be loaded: ${failed}`
          : 'Loading the charts…'}
      </p>
    </section>
  );
}
