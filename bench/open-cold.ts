import type { Page } from 'playwright-core';
import { cleanUp } from './browser-session.ts';
import { callPeers, launchBuiltApp, type BuiltApp } from './built-app.ts';
import type { OpenedText, StoredHistory } from './browser/peer-protocol.ts';
import { sampleRuns, summarize, toResult } from './measure.ts';
import type { BenchResult, Scenario, ScenarioContext } from './scenario.ts';

const SIZES = [10_000, 100_000, 260_000];
/** The size the goals are set at (DESIGN §13 `open.cold.260k`). */
const GOAL_SIZE = 260_000;
const QUICK_SIZES = [10_000];
const SEED = 7;
/** The app's own database: the paint figure opens the app as a user would. */
const APP_DATABASE = 'forkline';
const LABEL = 'Document text';

const label = (edits: number) => `${edits / 1000}k`;

/**
 * In the app's page, before its scripts run: the time (ms since navigation started)
 * of the first frame in which the editor holds a text `length` long (a frame
 * callback runs just before that frame is painted).
 */
function watchForPaint(length: number): void {
  const probe = globalThis as { painted?: Promise<number> };
  probe.painted = new Promise<number>((resolve) => {
    const frame = () => {
      // CodeMirror keeps its view on its content element (EditorView.findFromDOM).
      const editor = document.querySelector('[aria-label="Document text"]') as {
        cmTile?: { root?: { view?: { state: { doc: { length: number } } } } };
      } | null;
      if (editor?.cmTile?.root?.view?.state.doc.length === length)
        resolve(performance.now());
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

/** Cold: a new tab, so a new worker and nothing in memory; the tab is closed after. */
async function inNewTab<T>(
  open: () => Promise<Page>,
  body: (page: Page) => Promise<T>,
): Promise<T> {
  const page = await open();
  try {
    return await body(page);
  } finally {
    await page.close();
  }
}

function checkText(who: string, opened: OpenedText, expected: string): number {
  if (opened.text !== expected)
    throw new Error(
      `${who} opened a ${opened.text.length}-char text, not the ${expected.length}-char text of the history`,
    );
  return opened.ms;
}

/** The built app, navigated to: ms from navigation start to the frame showing the text. */
async function timePaint(
  app: BuiltApp,
  stored: StoredHistory,
): Promise<number> {
  return inNewTab(app.newPage, async (page) => {
    await page.addInitScript(watchForPaint, stored.text.length);
    await page.goto(app.url);
    const ms = await page.evaluate(
      () => (globalThis as { painted?: Promise<number> }).painted!,
    );
    const shown = await page.getByRole('textbox', { name: LABEL }).evaluate(
      (el) =>
        (
          el as {
            cmTile?: { root?: { view?: { state: { doc: object } } } };
          }
        ).cmTile?.root?.view?.state.doc.toString() ?? '',
    );
    checkText('the app', { ms, text: shown }, stored.text);
    return ms;
  });
}

/** One size's figures, and forkline's open of each measured run (the warm-up left out). */
interface SizeFigures {
  results: BenchResult[];
  forklineRuns: number[];
}

async function measureSize(
  context: ScenarioContext,
  app: BuiltApp,
  edits: number,
  largest: boolean,
): Promise<SizeFigures> {
  const size = label(edits);
  const spec = {
    edits,
    seed: SEED,
    database: APP_DATABASE,
    yjsName: `bench-open-yjs-${size}`,
    automergeDatabase: `bench-open-automerge-${size}`,
  };
  const databases = [spec.database, spec.yjsName, spec.automergeDatabase];
  try {
    const stored = await inNewTab(app.openPeerPage, (page) =>
      callPeers(page, 'storeHistory', spec),
    );
    const ms = stored.ms;
    context.note(
      `${size}: ${stored.text.length} chars; stored in forkline ${Math.round(ms.forkline)} ms, ` +
        `y-indexeddb ${Math.round(ms.yIndexeddb)} ms (${stored.yIndexeddbRecords} records after its trim), ` +
        `automerge-repo ${Math.round(ms.automerge)} ms`,
    );
    let first = true;
    const forklineRuns: number[] = [];
    const samples = await sampleRuns(context.runs, async (run) => {
      const peer = (
        method: 'openYIndexeddb' | 'openAutomergeRepo' | 'openForkline',
      ) =>
        inNewTab(app.openPeerPage, (page) =>
          method === 'openYIndexeddb'
            ? callPeers(page, method, spec.yjsName)
            : method === 'openAutomergeRepo'
              ? callPeers(
                  page,
                  method,
                  spec.automergeDatabase,
                  stored.automergeUrl,
                )
              : callPeers(page, method, spec.database, stored.docId),
        );
      const opened = await peer('openForkline');
      const forkline = checkText('forkline', opened, stored.text);
      const steps = Object.entries(opened.steps ?? {})
        .map(([step, ms]) => `${step} ${ms.toFixed(1)}`)
        .join(', ');
      context.note(
        first
          ? `${size}: forkline's first open folds the whole history and saves the snapshot: ${forkline.toFixed(1)} ms (${steps})`
          : `${size}: forkline ${forkline.toFixed(1)} ms (${steps})`,
      );
      first = false;
      if (run > 0) forklineRuns.push(forkline);
      const yIndexeddb = checkText(
        'y-indexeddb',
        await peer('openYIndexeddb'),
        stored.text,
      );
      return {
        forkline,
        editable: opened.editableMs!,
        worker: opened.steps!.worker,
        yIndexeddb,
        vsYIndexeddb: forkline / yIndexeddb,
        automerge: checkText(
          'automerge-repo',
          await peer('openAutomergeRepo'),
          stored.text,
        ),
        paint: await timePaint(app, stored),
      };
    });
    const yjs = toResult(
      `y-indexeddb.open.cold.${size}`,
      'ms',
      samples.yIndexeddb,
    );
    const isGoal = edits === GOAL_SIZE;
    // The same ratio per run: its spread, which the ratio of medians does not show.
    const vs = toResult(
      `open.cold.${size}-vs-y-indexeddb`,
      'ratio',
      samples.vsYIndexeddb,
    );
    const results = [
      yjs,
      toResult(`automerge-repo.open.cold.${size}`, 'ms', samples.automerge, {
        baseline: yjs,
      }),
      toResult(`open.cold.${size}`, 'ms', samples.forkline, {
        baseline: yjs,
        ...(isGoal ? { goal: '<= 0.5x y-indexeddb' } : {}),
      }),
      // Apart: the part of open.cold that starting the log worker takes.
      toResult(`open.cold.${size}.worker`, 'ms', samples.worker),
      // Until a Y.Doc holds the text as well: the page can edit it.
      toResult(`open.cold.${size}.editable`, 'ms', samples.editable, {
        baseline: yjs,
      }),
      toResult(`open.cold.paint.${size}`, 'ms', samples.paint, {
        baseline: yjs,
      }),
      ...(largest ? [vs] : []),
    ];
    return { results, forklineRuns };
  } finally {
    await inNewTab(app.openPeerPage, (page) =>
      callPeers(page, 'deleteDatabases', databases),
    ).catch((error: unknown) => context.note(`cleanup: ${error}`));
  }
}

/**
 * Issue 14: opening the largest history should cost about what opening the smallest
 * does. Run i of one size against run i of the other (the stores differ, the
 * machine's state is alike), then the median over the runs.
 */
function growth(small: number[], large: number[]): BenchResult {
  const ratios = large.map((ms, i) => ms / small[i]!);
  return toResult(
    `open.cold.${label(GOAL_SIZE)}-vs-${label(SIZES[0]!)}`,
    'ratio',
    summarize(ratios),
    { goal: '<= 1.2' },
  );
}

/**
 * Issue 7, scenario 2: cold open of a document with a long typing history, from
 * starting to open until the whole text is available, in forkline (and until the
 * built app paints it), in y-indexeddb and in automerge-repo, each in a new tab.
 */
export const openColdScenario: Scenario = {
  name: 'open.cold',
  summary:
    'ms to open a 10k/100k/260k-edit document cold (new tab) vs y-indexeddb and automerge-repo',
  async run(context) {
    const app = await launchBuiltApp(context.note);
    try {
      const results: BenchResult[] = [];
      const forklineRuns = new Map<number, number[]>();
      const sizes = context.quick ? QUICK_SIZES : SIZES;
      for (const edits of sizes) {
        const figures = await measureSize(
          context,
          app,
          edits,
          edits === sizes.at(-1),
        );
        results.push(...figures.results);
        forklineRuns.set(edits, figures.forklineRuns);
      }
      const [small, large] = [SIZES[0]!, GOAL_SIZE].map((edits) =>
        forklineRuns.get(edits),
      );
      if (small && large) results.push(growth(small, large));
      return results;
    } finally {
      await cleanUp(context.note, () => app.close());
    }
  },
};
