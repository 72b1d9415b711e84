import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { launchBuiltApp, type BuiltApp } from './built-app.ts';
import { profileMainThread, traceMainThread } from './cpu-profile.ts';
import { sampleRuns, toResult } from './measure.ts';
import { openDocumentHolding } from './open-document.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const LABEL = 'Document text';
/** A paragraph as people write one: 401 characters, one line of the editor. */
const PARAGRAPH =
  'A paragraph of prose as people write it, sentence after sentence, about one subject or another. '.repeat(
    4,
  ) + 'It ends here 😀.\n';
/** Typed into the other tab, a key every TYPING_DELAY_MS: 48 keys. */
const typedIn = (pass: string) =>
  `${pass}: typed while the other tab shows them. `.padEnd(48, '.');
const TYPING_DELAY_MS = 30;

/** Two tabs of the built app on one new document of `paragraphs` paragraphs, pasted. */
async function pastedDocument(
  app: BuiltApp,
  paragraphs: number,
): Promise<{ typing: Page; watching: Page; length: number }> {
  const [typing, watching] = [await app.newPage(), await app.newPage()];
  for (const page of [typing, watching]) {
    await page.goto(app.url);
    await page.getByRole('status').waitFor();
  }
  await typing.getByRole('button', { name: 'New document' }).click();
  const name = `Attributed, ${paragraphs} paragraphs`;
  const title = typing.getByRole('textbox', { name: 'Title', exact: true });
  await title.fill(name);
  await title.press('Enter');
  await typing.getByRole('textbox', { name: LABEL }).click();
  const length = await typing.evaluate(
    ({ label, text }) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      document.querySelector(`[aria-label="${label}"]`)!.dispatchEvent(
        new ClipboardEvent('paste', {
          clipboardData: data,
          bubbles: true,
          cancelable: true,
        }),
      );
      return text.length;
    },
    { label: LABEL, text: PARAGRAPH.repeat(paragraphs) },
  );
  await openDocumentHolding(watching, name, length);
  return { typing, watching, length };
}

/**
 * Types `typed` at the start of the typing tab's text, a key at a time, and returns
 * the longest the watching tab's event loop was held meanwhile (ms), until the
 * watching tab shows all of it (in its Authorship region when shown, else in its
 * editor).
 */
async function longestTaskWhileTyped(
  typing: Page,
  watching: Page,
  typed: string,
  attributed: boolean,
): Promise<number> {
  await watching.evaluate(() => {
    // The page's longest wait for a turn of its event loop, so its longest task: a
    // timer asked for at once comes 4 ms or so later (browsers clamp nested timers),
    // or as soon as the task in its way ends. (Long-task entries start at 50 ms.)
    const probe = { longest: 0, stop: false };
    (globalThis as { loopProbe?: typeof probe }).loopProbe = probe;
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      probe.longest = Math.max(probe.longest, now - last);
      last = now;
      if (!probe.stop) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
  });
  await typing.getByRole('textbox', { name: LABEL }).click();
  await typing.keyboard.press('Control+Home');
  await typing.keyboard.type(typed, { delay: TYPING_DELAY_MS });
  await watching.waitForFunction(
    ({ attributed, label, typed }) => {
      type Editor = {
        cmTile?: {
          root?: {
            view?: {
              state: { doc: { sliceString(a: number, b: number): string } };
            };
          };
        };
      };
      // The first run's text, not its writer's name (and never the region's
      // whole text: read at every frame, that would be the work measured).
      const run = document.querySelector('[aria-label="Authorship"] .run');
      const shown = attributed
        ? [...(run?.childNodes ?? [])]
            .find((node) => node.nodeType === Node.TEXT_NODE)
            ?.nodeValue?.slice(0, typed.length)
        : (
            document.querySelector(`[aria-label="${label}"]`) as Editor | null
          )?.cmTile?.root?.view?.state.doc.sliceString(0, typed.length);
      return shown?.includes(typed) === true;
    },
    { attributed, label: LABEL, typed },
    { timeout: 60_000 },
  );
  return watching.evaluate(() => {
    const probe = (
      globalThis as { loopProbe?: { longest: number; stop: boolean } }
    ).loopProbe!;
    probe.stop = true;
    return probe.longest;
  });
}

/**
 * Issue 15's "history cheap to look at", for the Authorship region: while another
 * tab types into a long document, the tab showing who wrote what takes each change
 * in short tasks. Baseline: the same tab with the region hidden.
 */
export const authorshipLiveScenario: Scenario = {
  name: 'authorship.live',
  summary:
    "longest main-thread task of a tab showing a long document's authorship while another tab types, vs the same tab with it hidden",
  async run(context): Promise<BenchResult[]> {
    const sizes = context.quick ? [250] : [250, 2500];
    const app = await launchBuiltApp(context.note);
    const results: BenchResult[] = [];
    try {
      for (const paragraphs of sizes) {
        const { typing, watching, length } = await pastedDocument(
          app,
          paragraphs,
        );
        const label = `${Math.round(length / 1000)}k`;
        context.note(
          `${label} characters in ${paragraphs} lines, open in two tabs`,
        );
        const toggle = watching.getByRole('button', {
          name: /(Show|Hide) authorship/,
        });
        const samples = await sampleRuns(context.runs, async (run) => {
          const hidden = await longestTaskWhileTyped(
            typing,
            watching,
            typedIn(`Run ${run}, hidden`),
            false,
          );
          await toggle.click(); // shown
          await watching
            .locator('[aria-label="Authorship"] .run')
            .first()
            .waitFor({ timeout: 60_000 });
          // FORKLINE_PROFILE_DIR: the watching tab's main thread, region shown, last
          // run; FORKLINE_TRACE_DIR: its DevTools timeline trace instead.
          const profiles = process.env.FORKLINE_PROFILE_DIR;
          const traces = process.env.FORKLINE_TRACE_DIR;
          const last = run === context.runs;
          const stop =
            profiles && last
              ? await profileMainThread(watching)
              : traces && last
                ? await traceMainThread(watching)
                : undefined;
          const shown = await longestTaskWhileTyped(
            typing,
            watching,
            typedIn(`Run ${run}, shown`),
            true,
          );
          await stop?.(
            profiles
              ? join(profiles, `authorship-live-${label}-watching.cpuprofile`)
              : join(traces!, `authorship-live-${label}-watching.json`),
          );
          await toggle.click(); // hidden again
          return { hidden, shown };
        });
        const baseline = toResult(
          `editor.live.${label}.longest-task`,
          'ms',
          samples.hidden,
        );
        results.push(
          baseline,
          toResult(
            `authorship.live.${label}.longest-task`,
            'ms',
            samples.shown,
            { baseline, goal: '<= 50' },
          ),
        );
        await watching.close();
        await typing.close();
      }
    } finally {
      await app.close();
    }
    return results;
  },
};
