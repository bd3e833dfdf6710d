/**
 * One timer for many connections. WHY: a timer per connection costs memory and timer-wheel work for
 * every idle socket; a server with 10,000 idle clients needs one interval, not 10,000.
 */

/** Something the heartbeat can poke: pings when alive, terminates when the last ping went unanswered. */
export interface HeartbeatMember {
  /** Called once per interval. */
  heartbeat(): void;
}

/** A set of connections pinged together every `interval` milliseconds. */
export class HeartbeatGroup {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param interval milliseconds between pings; 0 or less disables the group.
   * @param members the set the members are kept in: a server passes its `clients` set, which holds
   *   the very same connections. WHY: a second set of every connection costs each idle connection a
   *   hash-table entry; `add` and `delete` are no-ops for a member the owner already added or deleted.
   */
  constructor(
    readonly interval: number,
    private readonly members: Set<HeartbeatMember> = new Set<HeartbeatMember>(),
  ) {}

  add(member: HeartbeatMember): void {
    if (this.interval <= 0) return;
    this.members.add(member);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        for (const m of this.members) m.heartbeat();
      }, this.interval);
      // A heartbeat must never be the only thing keeping the process alive.
      this.timer.unref();
    }
  }

  delete(member: HeartbeatMember): void {
    this.members.delete(member);
    if (this.members.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
