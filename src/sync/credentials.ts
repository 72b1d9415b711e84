/**
 * What a log's id and token may be, wherever one is read: a share link in the page
 * (src/ui/join-link.ts) and a client's hello at the relay (./messages.ts). One rule
 * for both, so a link the page accepts is never one the relay turns away as
 * malformed, which the page could only report as a connection closed, and retry.
 */
export const LOG_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A relay's tokens are 43 characters (32 random bytes); this bounds what is read. */
export const MAX_TOKEN_LENGTH = 256;
export const TOKEN_PATTERN = new RegExp(
  `^[A-Za-z0-9_-]{1,${MAX_TOKEN_LENGTH}}$`,
);
