/**
 * The log's conflict an event is part of, in words: "One of 3 events on sides
 * written at the same time; joined by a later event". Not the engine's
 * names ("concurrent-appends, resolved"), a third vocabulary beside the timeline's
 * and the insights' (QA pass 9). A kind another replica's log may name is said as it is.
 */
export function conflictWords(
  others: number,
  state: string,
  kind: string,
): string {
  // The group is every event on the sides since their fork point: this event's
  // own later ones on its side too, so not "written at the same time as" each.
  const events = `${others + 1} events`;
  const what =
    kind === 'concurrent-appends'
      ? `One of ${events} on sides written at the same time`
      : `${kind}, one of ${events}`;
  return state === 'unresolved'
    ? `${what}; not joined by a later event yet`
    : state === 'auto-merged'
      ? `${what}; merged`
      : `${what}; joined by a later event`;
}
