/**
 * The log's conflict an event is part of, in the words the timeline uses: "Written
 * at the same time as 2 other events; joined by a later one". Not the engine's
 * names ("concurrent-appends, resolved"), a third vocabulary beside the timeline's
 * and the insights' (QA pass 9). A kind another replica's log may name is said as it is.
 */
export function conflictWords(
  others: number,
  state: string,
  kind: string,
): string {
  const events = others === 1 ? '1 other event' : `${others} other events`;
  const what =
    kind === 'concurrent-appends'
      ? `Written at the same time as ${events}`
      : `${kind}, with ${events}`;
  return state === 'unresolved'
    ? `${what}; not joined by a later event yet`
    : state === 'auto-merged'
      ? `${what}; merged`
      : `${what}; joined by a later event`;
}
