import type { Page } from 'playwright-core';
import { cleanUp } from './browser-session.ts';
import { callPeers, launchBuiltApp, type BuiltApp } from './built-app.ts';
import type { KeystrokePeer } from './browser/peer-protocol.ts';
import { typeIntoTextarea, watchTextarea } from './browser/keystroke-probe.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import type { BenchResult, Scenario, ScenarioContext } from './scenario.ts';

const LABEL = 'Document text';
const ACK_CHANNEL = 'bench:keystroke-ack';
const KEYSTROKE_TIMEOUT = 10_000;

type Contender = 'forkline' | KeystrokePeer;

/** Two tabs showing one document's text in a textarea labelled "Document text". */
export interface TabPair {
  typing: Page;
  watching: Page;
  close(): Promise<void>;
}

/** Two tabs of the built app on one new document, as two people would open it. */
async function appTabs(app: BuiltApp): Promise<TabPair> {
  const [typing, watching] = [await app.newPage(), await app.newPage()];
  for (const page of [typing, watching]) {
    await page.goto(app.url);
    await page.getByRole('status').waitFor();
  }
  await typing.getByRole('button', { name: 'New document' }).click();
  const title = typing.getByRole('textbox', { name: 'Title' });
  await title.waitFor();
  const name = `Keystrokes ${Date.now()}`;
  await title.fill(name);
  await title.press('Enter');
  await watching
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name, exact: true })
    .click();
  const shown = watching.getByRole('textbox', { name: 'Title' });
  for (let tries = 0; (await shown.inputValue()) !== name; tries++) {
    if (tries > 200) throw new Error(`the second tab did not open "${name}"`);
    await watching.waitForTimeout(50);
  }
  await watching.getByRole('textbox', { name: LABEL }).waitFor();
  return {
    typing,
    watching,
    close: async () => {
      await watching.close();
      await typing.close();
    },
  };
}

/** Two tabs of the peer page, each with a textarea bound to one document of `peer`. */
export async function peerTabs(
  app: BuiltApp,
  peer: KeystrokePeer,
  /** Yjs only: the text both tabs start from. */
  text?: string,
): Promise<TabPair> {
  const [typing, watching] = [
    await app.openPeerPage(),
    await app.openPeerPage(),
  ];
  const options = {
    channel: `bench:${peer}${text ? `:${text.length}` : ''}`,
    database: `bench-keys-${peer}`,
    ...(text ? { text } : {}),
  };
  const url = await callPeers(typing, 'bindTextarea', peer, options);
  await callPeers(watching, 'bindTextarea', peer, {
    ...options,
    ...(url ? { url } : {}),
  });
  return {
    typing,
    watching,
    close: async () => {
      await cleanUp(
        () => undefined,
        () => callPeers(watching, 'unbindTextarea'),
        () => callPeers(typing, 'unbindTextarea'),
      );
      // automerge-repo's storage adapter never closes its connection: the database
      // goes with the temporary profile, not deleteDatabases (which would wait).
      await watching.close();
      await typing.close();
    },
  };
}

/** `count` keystrokes typed in one tab, each timed until the other tab's textarea shows it. */
export async function timeKeystrokes(
  pair: TabPair,
  count: number,
): Promise<number[]> {
  await pair.watching.evaluate(watchTextarea, {
    label: LABEL,
    ackChannel: ACK_CHANNEL,
  });
  try {
    return await pair.typing.evaluate(typeIntoTextarea, {
      label: LABEL,
      ackChannel: ACK_CHANNEL,
      count,
      timeoutMs: KEYSTROKE_TIMEOUT,
    });
  } finally {
    // A watcher left listening would be woken by every later pair's acks: its
    // tab's work, and the browser's routing to it, would be in their figures.
    await pair.watching.evaluate(() =>
      (
        globalThis as { stopWatchingTextarea?: () => void }
      ).stopWatchingTextarea?.(),
    );
  }
}

const NAMES: Record<Contender, string> = {
  forkline: 'tabs.keystroke',
  'yjs-broadcastchannel': 'yjs-broadcastchannel.keystroke',
  'yjs-codemirror': 'yjs-codemirror.keystroke',
  'automerge-repo': 'automerge-repo.keystroke',
  broadcastchannel: 'broadcastchannel.keystroke',
};

/**
 * Issue 7, scenario 3: a keystroke typed into one tab's textarea until another tab's
 * textarea shows it, for two tabs of the built app on one document, for Yjs synced
 * over a BroadcastChannel, for automerge-repo with its BroadcastChannel network and
 * IndexedDB storage adapters, and for the floor: the typing tab posting its text on a
 * raw BroadcastChannel that the other tab copies into its textarea.
 */
export const tabsKeystrokeScenario: Scenario = {
  name: 'tabs.keystroke.p50',
  summary:
    "ms from a keystroke in one tab of the built app to the other tab's textarea vs Yjs over BroadcastChannel, automerge-repo, a raw BroadcastChannel",
  async run(context: ScenarioContext): Promise<BenchResult[]> {
    const count = context.quick ? 30 : 500;
    const app = await launchBuiltApp(context.note);
    const pairs: Partial<Record<Contender, TabPair>> = {};
    try {
      pairs.forkline = await appTabs(app);
      for (const peer of [
        'yjs-broadcastchannel',
        'yjs-codemirror',
        'automerge-repo',
        'broadcastchannel',
      ] as const)
        pairs[peer] = await peerTabs(app, peer);
      const contenders = Object.keys(NAMES) as Contender[];
      const samples = await sampleRuns(context.runs, async () => {
        const figures: Record<string, number> = {};
        for (const contender of contenders) {
          const latencies = await timeKeystrokes(pairs[contender]!, count);
          figures[`${contender}.p50`] = percentile(latencies, 50);
          figures[`${contender}.p99`] = percentile(latencies, 99);
        }
        for (const peer of [
          'yjs-broadcastchannel',
          'yjs-codemirror',
          'automerge-repo',
        ])
          figures[`vs-${peer}`] =
            figures['forkline.p50']! / figures[`${peer}.p50`]!;
        return figures;
      });
      const results: BenchResult[] = [];
      const floor = {
        p50: toResult(
          `${NAMES.broadcastchannel}.p50`,
          'ms',
          samples['broadcastchannel.p50']!,
        ),
        p99: toResult(
          `${NAMES.broadcastchannel}.p99`,
          'ms',
          samples['broadcastchannel.p99']!,
        ),
      };
      for (const peer of ['yjs-broadcastchannel', 'automerge-repo'] as const)
        for (const p of ['p50', 'p99'] as const)
          results.push(
            toResult(`${NAMES[peer]}.${p}`, 'ms', samples[`${peer}.${p}`]!, {
              baseline: floor[p],
            }),
          );
      const yjsP50 = results[0]!;
      results.push(
        floor.p50,
        floor.p99,
        toResult('tabs.keystroke.p50', 'ms', samples['forkline.p50']!, {
          baseline: yjsP50,
          goal: '<= 16',
        }),
        toResult('tabs.keystroke.p99', 'ms', samples['forkline.p99']!, {
          baseline: results[1]!,
        }),
      );
      for (const peer of ['yjs-broadcastchannel', 'automerge-repo'])
        results.push(
          toResult(
            `tabs.keystroke.p50-vs-${peer}`,
            'ratio',
            samples[`vs-${peer}`]!,
            { goal: '<= 1' },
          ),
        );
      // Informational: Yjs shown in CodeMirror, the app's editor (the textarea's
      // typing costs its tab half of what an editor's does).
      for (const p of ['p50', 'p99'] as const)
        results.push(
          toResult(
            `${NAMES['yjs-codemirror']}.${p}`,
            'ms',
            samples[`yjs-codemirror.${p}`]!,
            { baseline: floor[p] },
          ),
        );
      results.push(
        toResult(
          'tabs.keystroke.p50-vs-yjs-codemirror',
          'ratio',
          samples['vs-yjs-codemirror']!,
        ),
      );
      return results;
    } finally {
      await cleanUp(
        context.note,
        ...Object.values(pairs).map((pair) => () => pair.close()),
        () => app.close(),
      );
    }
  },
};
