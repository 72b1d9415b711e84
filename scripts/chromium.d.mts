export function findChromium(): string | undefined;
export function findHeadlessShell(): string | undefined;
export const chromiumArgs: string[];
export function chromiumLaunchOptions(options?: { browser?: boolean }): {
  executablePath?: string;
  args: string[];
  headless: boolean;
};
