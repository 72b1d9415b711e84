/**
 * Pixels of `canvas` within 12 of `rgb` in each channel: whether a colour was drawn.
 * Self-contained, so that an e2e test can hand it to Playwright's `evaluate`, which
 * runs it in the page from its source.
 */
export function pixelsOf(
  canvas: HTMLCanvasElement,
  [r, g, b]: [number, number, number],
): number {
  const { data } = canvas
    .getContext('2d')!
    .getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4)
    if (
      Math.abs(data[i]! - r) < 12 &&
      Math.abs(data[i + 1]! - g) < 12 &&
      Math.abs(data[i + 2]! - b) < 12
    )
      n++;
  return n;
}
