// The board's big call ("Now calling"): each call stays there at least `holdMs`, even
// when the next call comes a second later, so a customer who looks up at the end of the
// announcement can still read it. Calls that come meanwhile wait their turn in order;
// the counter tiles and the recent calls show every call at once, so nobody waits for
// this panel to learn where to go. A recall of the call being shown restarts its time
// instead of queueing a copy of it.

export class NowQueue {
  constructor(holdMs, show) {
    this.holdMs = holdMs;
    this.show = show; // (call) => void: puts a call in the panel
    this.current = null;
    this.shownAt = 0;
    this.waiting = [];
    this.timer = null;
    this.log = []; // every call shown, with when (read by tests)
  }

  push(call) {
    const same = (a, b) => a && b && a.number === b.number && a.counter === b.counter;
    if (this.waiting.length === 0 && same(this.current, call)) {
      this.display(call); // a recall of what is shown: shown again, its time restarted
      return;
    }
    if (same(this.waiting[this.waiting.length - 1], call)) return; // already waiting
    this.waiting.push(call);
    this.next();
  }

  next() {
    if (this.timer !== null || this.waiting.length === 0) return;
    const left = this.current ? this.shownAt + this.holdMs - Date.now() : 0;
    if (left > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.next();
      }, left);
      return;
    }
    this.display(this.waiting.shift());
    if (this.waiting.length) this.next();
  }

  // The latest call of a (re)loaded board: shown, but not held (it may be long over).
  seed(call) {
    if (this.current || this.waiting.length) return;
    this.current = call;
    this.shownAt = 0;
    this.show(call);
  }

  display(call) {
    this.current = call;
    this.shownAt = Date.now();
    this.log.push({ number: call.number, counter: call.counter, at: this.shownAt });
    this.show(call);
  }
}
