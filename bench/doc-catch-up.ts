import { callBench } from './browser-session.ts';
import { summarize, toResult } from './measure.ts';
import type { Scenario } from './scenario.ts';

/** Keystrokes another writer stored while this tab did not hear of them. */
const EVENTS = 5000;
/** The document's text when they come: about ten pages. */
const LENGTH = 10_000;
const RUNS = 5;

/**
 * A document open in the app's editor takes a catch-up of EVENTS keystrokes by
 * another writer, delivered as the log's subscription delivers them (a device back
 * online, another tab's import): STREAM_PAGE events a task, each laid out, until
 * the browser has laid the whole text out; and the longest of those tasks.
 * Baseline: a bare Y.Doc applying the same updates one by one, no view. The
 * catch-up is made once; each run binds a new editor.
 */
export const docCatchUpScenario: Scenario = {
  name: 'doc.catch-up',
  summary: `an open document's editor taking ${EVENTS} events from another writer, a page at a time, vs Yjs alone`,
  async run(context) {
    const events = context.quick ? 500 : EVENTS;
    const label = `${events / 1000}k`;
    const page = await (await context.browser()).openTab();
    const times = await callBench(page, 'timeCatchUp', {
      events,
      length: LENGTH,
      // The first of each is a warm-up.
      runs: (context.quick ? context.runs : RUNS) + 1,
    });
    const yjs = toResult(
      `yjs.catch-up.${label}`,
      'ms',
      summarize(times.yjs.slice(1)),
    );
    return [
      yjs,
      toResult(
        `doc.catch-up.${label}`,
        'ms',
        summarize(times.forkline.slice(1)),
        {
          baseline: yjs,
        },
      ),
      // A page is a task in the app: none of them long (over 50 ms).
      toResult(
        `doc.catch-up.${label}.longest-page`,
        'ms',
        summarize(times.longest.slice(1)),
        { goal: '<= 50' },
      ),
    ];
  },
};
