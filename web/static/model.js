// The ownership model of a trace, in the browser: which goroutine or
// channel owns each value after any step, what each goroutine waits on,
// what each channel and mutex holds. It mirrors tracer.BuildTimeline, but
// answers "the state at step s" for any s, forwards and backwards, from
// checkpoints taken every K events, and grows while a live run streams in.

const K = 256; // events between checkpoints

function emptyState() {
  return {
    g: new Map(),        // gid -> {st, on, ch, mu, child, panic, aborted, joinedBy, joinPanic, parent}
    owner: new Map(),    // vid -> {k: 'g'|'c', id}
    q: new Map(),        // ch -> [vid] head first
    closed: new Set(),   // closed channels
    held: new Map(),     // mu -> gid
    borrows: new Map(),  // vid -> [{g, ref, mut}]
    recv: new Map(),     // gid -> values received so far
    lastViol: -1,        // index of the last violation event applied
    deadlock: -1,        // index of the last deadlock violation applied
    marked: new Map(),   // gid -> 'deadlock' | 'leaked': goroutines a violation named
  };
}

function cloneState(s) {
  return {
    g: new Map(s.g), owner: new Map(s.owner), q: new Map(s.q),
    closed: new Set(s.closed), held: new Map(s.held), borrows: new Map(s.borrows),
    recv: new Map(s.recv), lastViol: s.lastViol, deadlock: s.deadlock, marked: new Map(s.marked),
  };
}

// goroutine entries and queues are replaced, never changed in place, so
// that a checkpoint's shallow copy stays valid.
function setG(s, id, patch) {
  const old = s.g.get(id) || { st: 'run', on: '', ch: 0, mu: 0, child: 0, panic: '', aborted: false, joinedBy: 0, joinPanic: null, parent: 0 };
  s.g.set(id, Object.assign({}, old, patch));
}

export function apply(s, e, i) {
  if (!s.g.has(e.g)) setG(s, e.g, {});
  const me = s.g.get(e.g);
  if (me.st === 'blocked' && e.kind !== 'block' && e.kind !== 'violation' && e.kind !== 'discard' && e.kind !== 'truncated') {
    setG(s, e.g, { st: 'run', on: '', ch: 0, mu: 0, child: 0 });
  }
  switch (e.kind) {
    case 'go':
      setG(s, e.child, { st: 'run', parent: e.g });
      for (const v of e.vs || []) s.owner.set(v, { k: 'g', id: e.child });
      for (const r of e.refs || []) {
        // a borrow lent to the child: move the borrower
        for (const [v, bs] of s.borrows) {
          if (bs.some(b => b.ref === r)) s.borrows.set(v, bs.map(b => b.ref === r ? { ...b, g: e.child } : b));
        }
      }
      break;
    case 'end':
      setG(s, e.g, { st: 'ended', on: '', panic: e.panic || '', aborted: !!e.aborted });
      break;
    case 'join':
      if (s.g.has(e.child)) setG(s, e.child, { joinedBy: e.g });
      if (e.panic) setG(s, e.g, { joinPanic: { child: e.child, panic: e.panic } });
      break;
    case 'chan':
      s.q.set(e.ch, []);
      break;
    case 'make':
      s.owner.set(e.v, { k: 'g', id: e.g });
      break;
    case 'send':
      s.owner.set(e.v, { k: 'c', id: e.ch });
      s.q.set(e.ch, [...(s.q.get(e.ch) || []), e.v]);
      break;
    case 'recv':
      if (e.closed) break;
      s.q.set(e.ch, (s.q.get(e.ch) || []).filter(v => v !== e.v));
      s.owner.set(e.v, { k: 'g', id: e.g });
      s.recv.set(e.g, (s.recv.get(e.g) || 0) + 1);
      break;
    case 'close':
      s.closed.add(e.ch);
      break;
    case 'discard': // the tracer took the value out to stop a run
      s.q.set(e.ch, (s.q.get(e.ch) || []).filter(v => v !== e.v));
      s.owner.delete(e.v);
      break;
    case 'block':
      setG(s, e.g, { st: 'blocked', on: e.on, ch: e.ch || 0, mu: e.mu || 0, child: e.child || 0, cases: e.cases || null });
      break;
    case 'drop':
      s.owner.delete(e.v);
      s.borrows.delete(e.v);
      break;
    case 'borrow':
      s.borrows.set(e.v, [...(s.borrows.get(e.v) || []), { g: e.g, ref: e.ref, mut: !!e.mut }]);
      break;
    case 'release':
      s.borrows.set(e.v, (s.borrows.get(e.v) || []).filter(b => b.ref !== e.ref));
      break;
    case 'lock':
      s.held.set(e.mu, e.g);
      break;
    case 'unlock':
      if (s.held.get(e.mu) === e.g) s.held.delete(e.mu);
      break;
    case 'violation':
      s.lastViol = i;
      // the goroutines a deadlock's wait-for cycle goes through, and a
      // leaked goroutine (the tracer names it in g, a converted program's
      // trace may in child), stay marked from here on
      if (e.rule === 'deadlock') {
        s.deadlock = i;
        for (const g of e.cycle || []) s.marked.set(g, 'deadlock');
      } else if (e.rule === 'leaked-goroutine') {
        s.marked.set(e.child || e.g, 'leaked');
      }
      break;
  }
}

// The events the tracer writes when it stops a run (a deadlock): after
// them the goroutines it stopped no longer show what went wrong.
const STOPPING = e => (e.kind === 'end' && e.aborted) || e.kind === 'discard' || e.kind === 'truncated';

// deadlockCycle follows a deadlock's wait-for cycle in state st: for each
// goroutine of the cycle still blocked, an edge to what it waits on (a
// mutex, or the child it joins) and from a mutex to its holder. closed
// says the edges make a loop back to where they started, each
// goroutine's wait leading to the next goroutine of the cycle; a deadlock
// on channels names every blocked goroutine and has no loop.
export function deadlockCycle(m, st) {
  if (st.deadlock < 0) return null;
  const e = m.events[st.deadlock], cycle = e.cycle || [];
  const edges = [];
  let closed = cycle.length > 0;
  cycle.forEach((g, k) => {
    const gs = st.g.get(g), next = cycle[(k + 1) % cycle.length];
    let to = 0;
    if (gs && gs.st === 'blocked' && (gs.on === 'lock' || gs.on === 'rlock') && gs.mu) {
      edges.push({ from: { g }, to: { mu: gs.mu }, role: 'waits' });
      to = st.held.get(gs.mu) || 0;
      if (to) edges.push({ from: { mu: gs.mu }, to: { g: to }, role: 'held' });
    } else if (gs && gs.st === 'blocked' && gs.on === 'join' && gs.child) {
      to = gs.child;
      edges.push({ from: { g }, to: { g: to }, role: 'joins' });
    }
    if (to !== next) closed = false;
  });
  return { i: st.deadlock, gs: cycle, edges, closed };
}

export class Model {
  constructor(source, kind) {
    this.source = source || '';
    this.kind = kind || 'trace'; // 'live', 'trace' (named), 'recording' (a scenario run for a link), 'file'
    this.events = [];
    this.gOrder = [];           // goroutine ids in order of appearance
    this.gName = new Map();     // gid -> name
    this.chans = new Map();     // ch -> {name, cap, order}
    this.mutexes = new Map();   // mu -> {name}
    this.labels = new Map();    // vid -> label
    this.violations = [];       // event indices
    this.cps = [emptyState()];  // cps[k] = state after k*K events
    this.cur = emptyState();
    this.curStep = 0;
    this.done = false;
  }

  get n() { return this.events.length; }

  append(evs) {
    for (const e of evs) {
      const i = this.events.length;
      this.events.push(e);
      this.see(e.g);
      switch (e.kind) {
        case 'go': this.see(e.child); this.gName.set(e.child, e.name || ''); break;
        case 'chan': this.chans.set(e.ch, { name: e.name || `ch${e.ch}`, cap: e.cap ?? 0, order: this.chans.size }); break;
        case 'mutex': this.mutexes.set(e.mu, { name: e.name || `mu${e.mu}` }); break;
        case 'make': this.labels.set(e.v, e.label || `v${e.v}`); break;
        case 'violation': this.violations.push(i); break;
        case 'send': case 'recv': case 'close': case 'discard':
          if (!this.chans.has(e.ch)) this.chans.set(e.ch, { name: `ch${e.ch}`, cap: 0, order: this.chans.size });
          if (e.kind === 'send') {
            // the longest label the channel carried sizes its slots
            const info = this.chans.get(e.ch), l = this.label(e.v);
            if (l.length > (info.widest || '').length) info.widest = l;
          }
          break;
        case 'lock': case 'unlock':
          if (!this.mutexes.has(e.mu)) this.mutexes.set(e.mu, { name: `mu${e.mu}` });
          break;
      }
    }
  }

  // restStep is the step a run that ended with a violation rests on: the
  // step of its last violation, when after it the tracer only stopped
  // goroutines (a deadlock is followed by each goroutine stopped, and
  // those frames no longer show the cycle); -1 when the run did not end
  // that way. The last steps of a run that ends with a leak show the
  // leak, and are its rest.
  restStep() {
    let i = this.events.length - 1;
    while (i >= 0 && STOPPING(this.events[i])) i--;
    return i >= 0 && this.events[i].kind === 'violation' ? i + 1 : -1;
  }

  see(g) {
    if (g && !this.gName.has(g)) { this.gName.set(g, g === 1 ? 'main' : ''); this.gOrder.push(g); }
  }

  goName(g) {
    const n = this.gName.get(g);
    return n ? `g${g} ${n}` : `g${g}`;
  }
  chanName(ch) { return (this.chans.get(ch) || { name: `ch${ch}` }).name; }
  label(v) { return this.labels.get(v) || `v${v}`; }

  // stateAt returns the state after the first step events. The result is
  // shared: do not change it.
  stateAt(step) {
    step = Math.max(0, Math.min(step, this.n));
    if (step !== this.curStep) {
      const c = Math.min(Math.floor(step / K), this.cps.length - 1);
      if (step < this.curStep || c * K > this.curStep) {
        this.cur = cloneState(this.cps[c]);
        this.curStep = c * K;
      }
    }
    while (this.curStep < step) {
      apply(this.cur, this.events[this.curStep], this.curStep);
      this.curStep++;
      if (this.curStep % K === 0 && this.cps.length === this.curStep / K) this.cps.push(cloneState(this.cur));
    }
    return this.cur;
  }

  // ownerText names who owns v after step, for people.
  ownerText(v, step) {
    const o = this.stateAt(step).owner.get(v);
    if (!o) return 'nobody';
    return o.k === 'g' ? this.goName(o.id) : `channel ${this.chanName(o.id)}`;
  }

  // history lists v's owners: [{i, what, at}] where i is the event index.
  history(v) {
    const out = [];
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      let what = '';
      if (e.kind === 'make' && e.v === v) what = `made by ${this.goName(e.g)}`;
      else if (e.kind === 'send' && e.v === v) what = `sent by ${this.goName(e.g)} into ${this.chanName(e.ch)}`;
      else if (e.kind === 'recv' && e.v === v) what = `received by ${this.goName(e.g)} from ${this.chanName(e.ch)}`;
      else if (e.kind === 'go' && (e.vs || []).includes(v)) what = `moved into ${this.goName(e.child)}`;
      else if (e.kind === 'drop' && e.v === v) what = `dropped by ${this.goName(e.g)}`;
      else if (e.kind === 'use' && e.v === v) what = `${e.op || 'used'} by ${this.goName(e.g)}`;
      else if (e.kind === 'borrow' && e.v === v) what = `${e.mut ? 'mutably ' : ''}borrowed by ${this.goName(e.g)}`;
      else if (e.kind === 'violation' && e.v === v) what = `${e.rule}: ${e.msg}`;
      if (what) out.push({ i, what, at: e.at || '' });
    }
    return out;
  }

  // interactions lists the events that concern goroutine g, directly or
  // through a value g held, and the goroutines taking part in them.
  interactions(g) {
    const vals = new Set();
    for (const e of this.events) {
      if (e.g !== g && !(e.kind === 'go' && e.child === g)) continue;
      if (e.v) vals.add(e.v);
      for (const v of e.vs || []) vals.add(v);
    }
    const idx = [], gs = new Set([g]);
    this.events.forEach((e, i) => {
      if (e.g === g || e.child === g || (e.v && vals.has(e.v))) {
        idx.push(i); gs.add(e.g); if (e.child) gs.add(e.child);
      }
    });
    return { idx, gs };
  }

  cases(cs) {
    return (cs || []).map(c => c.dir === 'done' ? "its context's Done" : !c.ch ? `${c.dir} on a nil channel` :
      c.dir === 'send' ? `send${c.v ? ' ' + this.label(c.v) : ''} on ${this.chanName(c.ch)}` :
      `recv from ${this.chanName(c.ch)}`).join(' | ');
  }

  describe(e) {
    const g = this.goName(e.g);
    switch (e.kind) {
      case 'go': return `${g} spawned ${this.goName(e.child)}${(e.vs || []).length ? ', moving ' + e.vs.map(v => this.label(v)).join(', ') : ''}`;
      case 'end': return `${g} ended${e.panic ? ' panicking: ' + e.panic : ''}${e.aborted ? ' (stopped by the tracer)' : ''}`;
      case 'join': return `${g} joined ${this.goName(e.child)}${e.panic ? ' — it panicked: ' + e.panic : ''}`;
      case 'chan': return `${g} made channel ${e.name || 'ch' + e.ch} (${e.cap < 0 ? 'unbounded' : e.cap === 0 ? 'unbuffered' : 'cap ' + e.cap})`;
      case 'make': return `${g} made ${e.label || 'v' + e.v}`;
      case 'send': return `${g} sent ${this.label(e.v)} on ${this.chanName(e.ch)}`;
      case 'recv': return e.closed && !e.ch ? `${g} stopped waiting: its context is done` : e.closed ? `${g} saw ${this.chanName(e.ch)} closed` : `${g} received ${this.label(e.v)} from ${this.chanName(e.ch)}`;
      case 'close': return `${g} closed ${this.chanName(e.ch)}`;
      case 'block': {
        const mu = () => (this.mutexes.get(e.mu) || { name: 'mu' + e.mu }).name;
        const on = e.on === 'lock' ? (e.mu ? `lock ${mu()}` : 'a lock') :
          e.on === 'rlock' ? (e.mu ? `read lock ${mu()}` : 'a read lock') :
          e.on === 'join' ? `join ${this.goName(e.child)}` :
          e.on === 'select' ? `select on ${this.cases(e.cases)}` :
          e.on === 'wait' ? `WaitGroup.Wait${e.wg ? ' wg' + e.wg : ''}` :
          e.on === 'cond' ? 'Cond.Wait' : `${e.on} on ${this.chanName(e.ch)}`;
        return `${g} blocked: ${on}`;
      }
      case 'skip': return `${g} took the select's default (none ready: ${this.cases(e.cases)})`;
      case 'truncated': return `the trace ends here; the program went on${e.msg ? ' (' + e.msg + ')' : ''}`;
      case 'use': return `${g} ${e.op === 'write' ? 'changed' : 'read'} ${this.label(e.v)}`;
      case 'borrow': return `${g} borrowed ${this.label(e.v)}${e.mut ? ' mutably' : ''}`;
      case 'release': return `${g} released its borrow of ${this.label(e.v)}`;
      case 'drop': return `${g} dropped ${this.label(e.v)}`;
      case 'discard': return `the tracer took ${this.label(e.v)} out of ${this.chanName(e.ch)} to stop ${g}`;
      case 'mutex': return `${g} made mutex ${e.name || 'mu' + e.mu}`;
      case 'lock': return `${g} locked ${(this.mutexes.get(e.mu) || { name: 'mu' + e.mu }).name}`;
      case 'unlock': return `${g} unlocked ${(this.mutexes.get(e.mu) || { name: 'mu' + e.mu }).name}`;
      case 'scope': return `${g} opened scope ${e.scope}`;
      case 'scope-end': return `${g} closed scope ${e.scope}`;
      case 'violation': return `⚠ ${e.rule}: ${e.msg || ''}`;
    }
    return `${g} ${e.kind}`;
  }
}

// toJSONL writes a trace file in the handoff format.
export function toJSONL(source, evs) {
  const lines = [JSON.stringify({ format: 'handoff', version: 2, source })];
  for (const e of evs) lines.push(JSON.stringify(e));
  return lines.join('\n') + '\n';
}
