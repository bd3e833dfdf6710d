/**
 * The chat's limits and their defaults, and the checks of what a client chooses: its room and its
 * name. Each check returns the precise reason a refusal carries, so a client learns what to change.
 * @module
 */

/** Defaults of every limit of {@link ChatLimits}. */
export const CHAT_DEFAULTS = Object.freeze({
  /** Largest chat message a client may send, in bytes of UTF-8; a larger one closes its connection with 1009. */
  maxMessageBytes: 4096,
  /** Longest room name, in characters. */
  maxRoomLength: 64,
  /** Longest member name, in characters (code points). */
  maxNameLength: 32,
});

/** The limits a chat server enforces. */
export interface ChatLimits {
  readonly maxMessageBytes: number;
  readonly maxRoomLength: number;
  readonly maxNameLength: number;
}

/**
 * What a room name may hold: it appears in URLs unencoded and in the Redis channel name, so it keeps
 * to characters that need no escaping in either.
 */
export const ROOM_CHARACTERS = /^[A-Za-z0-9_-]*$/;

/** Why `room` is not a valid room name, or undefined when it is. */
export function roomNameProblem(room: string, limits: ChatLimits): string | undefined {
  if (room.length === 0) return 'room name is empty: connect to /room/NAME';
  if (room.length > limits.maxRoomLength) {
    return `room name is ${room.length} characters long; at most ${limits.maxRoomLength} are allowed`;
  }
  if (!ROOM_CHARACTERS.test(room)) {
    const at = [...room].findIndex((character) => !ROOM_CHARACTERS.test(character));
    return `room name may hold only letters A-Z a-z, digits, "-" and "_"; character ${at + 1} is not one of them`;
  }
  return undefined;
}

/** Control characters (C0, DEL, C1): they would garble every other member's display. */
const CONTROL = /\p{Cc}/u;

/** Why `name` is not a valid member name, or undefined when it is. */
export function memberNameProblem(name: string, limits: ChatLimits): string | undefined {
  const length = [...name].length;
  if (name.trim().length === 0) return 'name is empty';
  if (length > limits.maxNameLength) return `name is ${length} characters long; at most ${limits.maxNameLength} are allowed`;
  if (CONTROL.test(name)) return 'name holds a control character';
  return undefined;
}

/** A member as the handshake established it. */
export interface Member {
  readonly room: string;
  readonly name: string;
}

/** The verdict on a handshake's request target `/room/NAME?name=MEMBER`. */
export type JoinVerdict = { ok: true; member: Member } | { ok: false; status: number; reason: string };

/** The name a member gets when the request names none. */
export const ANONYMOUS = 'anonymous';

/**
 * Reads `/room/NAME[?name=MEMBER]`. The room segment is taken as sent, not percent-decoded: a room
 * name never needs encoding, so `%` is refused like any other character outside the set.
 */
export function parseJoin(target: string, limits: ChatLimits): JoinVerdict {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (!path.startsWith('/room/')) return { ok: false, status: 404, reason: 'no such endpoint: rooms are at /room/NAME' };
  const room = path.slice('/room/'.length);
  const roomProblem = roomNameProblem(room, limits);
  if (roomProblem !== undefined) return { ok: false, status: 400, reason: roomProblem };
  const name = query === -1 ? null : new URLSearchParams(target.slice(query + 1)).get('name');
  if (name === null) return { ok: true, member: { room, name: ANONYMOUS } };
  const nameProblem = memberNameProblem(name, limits);
  if (nameProblem !== undefined) return { ok: false, status: 400, reason: nameProblem };
  return { ok: true, member: { room, name } };
}
