import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A view fetched the first time it is shown (a dynamic import), so that it stays
 * out of what every page load runs. Until it comes, a region of the same name says
 * so; if it cannot come (offline before it was ever cached), it says why.
 */
export function lazyView<Props extends object = object>(
  name: string,
  load: () => Promise<ComponentType<Props>>,
): ComponentType<Props> {
  let loaded: ComponentType<Props> | undefined;
  return function LazyView(props: Props) {
    const [View, setView] = useState<ComponentType<Props> | undefined>(
      () => loaded,
    );
    const [failed, setFailed] = useState<string | undefined>(undefined);
    useEffect(() => {
      if (View) return;
      load().then(
        (view) => setView(() => (loaded = view)),
        (error: Error) => setFailed(error.message),
      );
    }, []);
    if (View) return <View {...props} />;
    return (
      <section aria-label={name}>
        <h2>{name}</h2>
        <p class={failed ? 'problem' : undefined}>
          {failed ? `${name} could not be loaded: ${failed}` : 'Loading…'}
        </p>
      </section>
    );
  };
}
