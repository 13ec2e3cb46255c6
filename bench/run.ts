/**
 * `npm run bench`: direct-to-mock vs the bare BullMQ round trip vs the bare relay (HTTP → BullMQ
 * → HTTP, nothing else) vs Gatehouse (and, on request, a peer gateway), in one run on one
 * machine, printed as one table. A benchmark, not a test: it reports and never fails on timings.
 *
 * Knobs (env): BENCH_SECONDS (per measured run, default 10), BENCH_WARMUP_SECONDS (before each,
 * default 2), BENCH_START_WARMUP_SECONDS (once per process under test after it starts, default
 * 15), BENCH_MEMORY_SECONDS (default 60), BENCH_MEMORY_WARMUP_SECONDS (default 20),
 * BENCH_SLOW_MS (default 200), BENCH_CASES (comma list of c1,c32,budget,pii,slow,stream,memory,audit,audit-lag; default all),
 * BENCH_AUDIT_EVENTS (events the `audit` case queues, default 50000), BENCH_CPU_PROF=1 (profile
 * gateway, worker and audit with --cpu-prof and print where their CPU time went),
 * BENCH_CPU_PROF_DIR, BENCH_PEERS=portkey (also measure Portkey's open-source gateway in the c1,
 * c32, slow and stream cases, installed with npm into BENCH_PEER_DIR or a temporary folder; see
 * peer.ts), BENCH_PEER_DIR, BENCH_PEER_ROUNDS (paired 32-client rounds against the peer,
 * default 3; the target is judged on their median ratio), BENCH_BUDGET_ROUNDS (paired 32-client
 * rounds of a key with budgets and one without, default 3, judged the same way),
 * BENCH_METRICS=1 (every app serves Prometheus metrics: compare a run with and without it for
 * their cost), BENCH_SYSTEM_PROMPT_CHARS (a system prompt of that many characters on every
 * request, default 0). Gateway and proxy-worker run with the product's defaults (no
 * PROXY_WORKER_CONCURRENCY or other tuning is passed to them).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cannon,
  cpuMs,
  floorLoad,
  type FloorResult,
  type HttpTarget,
  type LoadResult,
  sampleRss,
  streamLoad,
  type StreamResult,
  syscallCount,
} from './load.js';
import {
  type AuditQueue,
  type AuditTable,
  fillAuditQueue,
  openAuditQueue,
  openAuditTable,
} from './audit.js';
import { type Peer, PortkeyPeer } from './peer.js';
import { measurePiiMasking } from './pii-masking.js';
import { summarizeProfile } from './profile-summary.js';
import { median, mib, ms, percent, rate, signedMs, signedPercent, sleep, times } from './stats.js';
import { CPU_SPEED_LABEL, cpuSpeedText, cpuSpeeds } from './cpu-speed.js';
import { liveHeapBytes } from './live-heap.js';
import { type BenchSystem, type Child, REDIS_URL, startSystem } from './system.js';
import { configSchema } from '@gatehouse/config';

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number`);
  return value;
}

const SECONDS = Math.max(1, numberEnv('BENCH_SECONDS', 10));
const WARMUP = numberEnv('BENCH_WARMUP_SECONDS', 2);
/**
 * Load every process under test takes once after it starts, before it is first measured
 * (Gatehouse and the peer at the start; the floor's worker and the relay each time one is
 * started): a process just started runs cold code, interpreted and then compiled on V8's helper
 * threads (whose CPU counts as the process's), so without it the first case measured start-up.
 */
const START_WARMUP = numberEnv('BENCH_START_WARMUP_SECONDS', 15);
const MEMORY_SECONDS = Math.max(1, numberEnv('BENCH_MEMORY_SECONDS', 60));
const MEMORY_WARMUP = numberEnv('BENCH_MEMORY_WARMUP_SECONDS', 20);
const SLOW_MS = numberEnv('BENCH_SLOW_MS', 200);
/**
 * Characters of system prompt on every request of every case, to every target alike (0, the
 * default: the one-line prompt of every table so far). What a realistic prompt costs shows
 * only with one: a key's token estimate (the budget case), body parsing and copying.
 */
const SYSTEM_PROMPT_CHARS = Math.max(0, Math.round(numberEnv('BENCH_SYSTEM_PROMPT_CHARS', 0)));
const AUDIT_EVENTS = Math.max(1_000, Math.round(numberEnv('BENCH_AUDIT_EVENTS', 50_000)));
/**
 * Paired 32-client rounds of Gatehouse and the peer (alternating which goes first): the target
 * is judged on the median of their ratios, which a noisy spell on one side of one pair moves less.
 */
const PEER_ROUNDS = Math.max(1, Math.round(numberEnv('BENCH_PEER_ROUNDS', 3)));
/** Paired 32-client rounds of a key with budgets and one without, judged the same way. */
const BUDGET_ROUNDS = Math.max(1, Math.round(numberEnv('BENCH_BUDGET_ROUNDS', 3)));
const CASES = new Set(
  (process.env.BENCH_CASES ?? 'c1,c32,budget,pii,slow,stream,memory,audit,audit-lag')
    .split(',')
    .map((s) => s.trim()),
);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const KNOWN_PEERS = ['portkey'];
const PEERS = new Set(
  (process.env.BENCH_PEERS ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== ''),
);
for (const p of PEERS) {
  if (!KNOWN_PEERS.includes(p))
    throw new Error(`BENCH_PEERS: unknown peer ${p} (known: ${KNOWN_PEERS.join(', ')})`);
}
/** Gatehouse req/s at 32 clients vs the peer's, same run. */
const PEER_TARGET = 1.5;
const STREAM_CHUNKS = 16;
const STREAM_INTERVAL_MS = 5;

/** The bare relay's worker runs with proxy-worker's default concurrency, as Gatehouse's does. */
const RELAY_CONCURRENCY = configSchema.shape.PROXY_WORKER_CONCURRENCY.parse(undefined);

const MODEL = { fast: 'bench-fast', slow: 'bench-slow', stream: 'bench-stream' } as const;

type Row = {
  name: string;
  direct: string;
  floor: string;
  /** The bare relay's figures: HTTP → BullMQ → HTTP with nothing else (c1, c32, slow, stream). */
  relay?: string;
  gatehouse: string;
  /** The peer's figures and Gatehouse against them; only cases the peer runs in. */
  peer?: string;
  vsPeer?: string;
  compared: string;
  target: string;
  pass: boolean | undefined;
};

const rows: Row[] = [];
let system: BenchSystem | undefined;
/** Started by the first audit case that needs it, then kept for the next one. */
let auditApp: Child | undefined;
/** Gatehouse req/s of the c32 run (no audit app running), for the audit-lag row. */
let c32Rps: number | undefined;
/** Set up when BENCH_PEERS asks for Portkey; `peer` once it is installed and answering. */
let portkey: PortkeyPeer | undefined;
let peer: Peer | undefined;
/** Why a requested peer is not in the table (said in the report). */
let peerMissing: string | undefined;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function cell(r: { rps: number; p50: number; p99: number; cpu?: CpuCost }): string {
  return `${rate(r.rps)} · p50 ${ms(r.p50)} · p99 ${ms(r.p99)}${cpuText(r.cpu)}`;
}

/** A run's failed requests, if any, as a cell or a log line ends with them. */
function failuresText(r: { errors: number; non2xx: number }): string {
  return r.errors + r.non2xx > 0 ? ` · ${r.errors} errors, ${r.non2xx} non-2xx` : '';
}

/** A peer's cell, with its failed requests if any (a misrouted peer must not just look slow). */
function peerCell(r: Measured<LoadResult>): string {
  return `${cell(r)}${failuresText(r)}`;
}

/** What the BENCH_SYSTEM_PROMPT_CHARS system prompt repeats. */
const SYSTEM_PROMPT_LINE =
  'You are a careful assistant for an accounting team. Answer in plain English, cite the ' +
  'figures you use, and say when a figure is missing. ';

function chatBody(model: string, stream = false): string {
  const ask = { role: 'user', content: 'Say hello to the benchmark.' };
  const system = SYSTEM_PROMPT_LINE.repeat(
    Math.ceil(SYSTEM_PROMPT_CHARS / SYSTEM_PROMPT_LINE.length),
  ).slice(0, SYSTEM_PROMPT_CHARS);
  return JSON.stringify({
    model,
    messages: system === '' ? [ask] : [{ role: 'system', content: system }, ask],
    max_tokens: 32,
    ...(stream ? { stream: true } : {}),
  });
}

function targets(
  sys: BenchSystem,
  model: string,
  base: string,
  stream = false,
  key = sys.clientKey,
) {
  const body = chatBody(model, stream);
  const direct: HttpTarget = {
    url: `${base}/chat/completions`,
    headers: { authorization: 'Bearer sk-direct' },
    body,
  };
  const gatehouse: HttpTarget = {
    url: `${sys.gatewayUrl}/v1/chat/completions`,
    headers: { authorization: `Bearer ${key}` },
    body,
  };
  return { direct, gatehouse, peer: peer?.target(base, body) };
}

function peerPids(p: Peer): Record<string, number | undefined> {
  return { [p.name.toLowerCase()]: p.child.child.pid };
}

/** A figure per request (or job) for each watched process, over one measured run. */
type PerProcess = Record<string, number>;
/** CPU ms per request (or job) of each watched process during one measured run. */
type CpuCost = PerProcess;
/**
 * `syscalls`: read and write system calls per request (or job) of each watched process, in the
 * same run. On a shared virtual machine each one (and the wake-up of the process it feeds) is
 * dear, and unlike latency the count does not move with the host's noise.
 */
type Measured<T> = T & { cpu: CpuCost; syscalls: PerProcess };

/** Monotonic µs windows of the measured Gatehouse runs: the part of a CPU profile worth reading. */
const profileWindows: [number, number][] = [];

function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function gatehousePids(sys: BenchSystem): Record<string, number | undefined> {
  return { gateway: sys.gateway.child.pid, worker: sys.worker.child.pid, ...redisPid(sys) };
}

/** Redis's CPU, charged like the apps' when it runs on this machine (else left out). */
function redisPid(sys: BenchSystem): Record<string, number | undefined> {
  return sys.redisPid === undefined ? {} : { redis: sys.redisPid };
}

/**
 * Runs `run`, charging the CPU time and the system calls the watched processes used to each
 * request it completed.
 */
async function withCpu<T>(
  pids: Record<string, number | undefined>,
  run: () => Promise<T>,
  completed: (r: T) => number,
  profiled = false,
): Promise<Measured<T>> {
  const perRequest = (read: (pid: number | undefined) => number) => {
    const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, read(pid)]));
    return (n: number): PerProcess =>
      Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, (read(pid) - (before[name] ?? 0)) / n]),
      );
  };
  const cpu = perRequest(cpuMs);
  const syscalls = perRequest(syscallCount);
  const startUs = nowUs();
  const r = await run();
  if (profiled) profileWindows.push([startUs, nowUs()]);
  const n = completed(r);
  return { ...r, cpu: cpu(n), syscalls: syscalls(n) };
}

/** System calls per request: in every log line, and in the table's CPU row. */
function syscallText(syscalls: PerProcess): string {
  const parts = Object.entries(syscalls)
    .filter(([, v]) => Number.isFinite(v))
    .map(([name, v]) => `${name} ${v.toFixed(1)}`);
  return parts.length > 0 ? ` · syscalls/req: ${parts.join(', ')}` : '';
}

function cpuText(cpu: CpuCost | undefined): string {
  if (!cpu) return '';
  const parts = Object.entries(cpu).map(
    ([name, v]) => `${name} ${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}`,
  );
  return parts.length > 0 ? ` · CPU ms/req: ${parts.join(', ')}` : '';
}

/** `profiled`: a Gatehouse run, whose window the CPU profile summary reads. */
async function measure(
  label: string,
  target: HttpTarget,
  connections: number,
  pids: Record<string, number | undefined> = {},
  profiled = Object.keys(pids).length > 0,
): Promise<Measured<LoadResult>> {
  if (WARMUP > 0) await cannon(target, connections, WARMUP, false);
  log(`${label}: ${SECONDS} s at ${connections} connections (load ${load()})`);
  const r = await withCpu(
    pids,
    () => cannon(target, connections, SECONDS),
    (x) => x.rps * SECONDS,
    profiled,
  );
  log(`  ${cell(r)}${syscallText(r.syscalls)}${failuresText(r)}`);
  return r;
}

async function measureStreams(
  label: string,
  target: HttpTarget,
  concurrency: number,
  pids: Record<string, number | undefined> = {},
  profiled = Object.keys(pids).length > 0,
): Promise<Measured<StreamResult>> {
  if (WARMUP > 0) await streamLoad(target, concurrency, WARMUP);
  log(`${label}: ${SECONDS} s at ${concurrency} streams (load ${load()})`);
  const r = await withCpu(
    pids,
    () => streamLoad(target, concurrency, SECONDS),
    (x) => x.streams,
    profiled,
  );
  log(
    `  ${rate(r.rps)} · first chunk p50 ${ms(r.firstChunkP50)} · last p50 ${ms(r.lastChunkP50)} · ` +
      `reads/stream ${r.readsP50}${cpuText(r.cpu)}${syscallText(r.syscalls)}` +
      `${r.errors > 0 ? ` · ${r.errors} errors` : ''}`,
  );
  return r;
}

/** The peer's run of a case: same target body and load, its own process's CPU. */
function measurePeer(
  label: string,
  p: Peer,
  target: HttpTarget,
  connections: number,
): Promise<Measured<LoadResult>> {
  return measure(`${label}, ${p.name}`, target, connections, peerPids(p), false);
}

/**
 * The bare BullMQ round trip at `concurrency` jobs in flight: `Queue.add` → a trivial worker →
 * `LPUSH` to a reply key → the producer's `BLPOP`, on the same Redis.
 */
async function measureFloor(sys: BenchSystem, concurrency: number): Promise<Measured<FloorResult>> {
  const queue = 'bench-floor';
  const floorWorker = await sys.startFloorWorker(queue, Math.max(concurrency, 32));
  try {
    // Payload about the size of a proxy job's data, so both move similar bytes.
    const payload = JSON.parse(chatBody(MODEL.fast)) as unknown;
    if (START_WARMUP > 0) {
      log(`warming up the bare BullMQ round trip: ${START_WARMUP} s at 32 in flight`);
      await floorLoad(REDIS_URL, sys.prefix, queue, 32, START_WARMUP, payload);
    }
    if (WARMUP > 0) await floorLoad(REDIS_URL, sys.prefix, queue, concurrency, WARMUP, payload);
    log(`bare BullMQ round trip c=${concurrency}: ${SECONDS} s (load ${load()})`);
    const floor = await withCpu(
      { 'floor worker': floorWorker.child.pid, producer: process.pid, ...redisPid(sys) },
      () => floorLoad(REDIS_URL, sys.prefix, queue, concurrency, SECONDS, payload),
      (x) => x.jobs,
    );
    const failed = floor.errors > 0 ? ` · ${floor.errors} errors` : '';
    log(`  ${cell(floor)}${syscallText(floor.syscalls)}${failed}`);
    return floor;
  } finally {
    await floorWorker.stop();
  }
}

/**
 * Starts the bare relay (a plain node:http front → BullMQ → a worker calling the same mock with
 * undici → reply by PUBLISH), hands `use` the relay's target for `base` and `body` and the pids
 * to watch, and stops it after. What Node, BullMQ and Redis cost for the design's hop with HTTP
 * at both ends; the rest of Gatehouse's figure is its own work.
 */
async function onRelay<T>(
  sys: BenchSystem,
  base: string,
  body: string,
  use: (target: HttpTarget, pids: Record<string, number | undefined>) => Promise<T>,
): Promise<T> {
  const relay = await sys.startRelay('bench-relay', RELAY_CONCURRENCY);
  try {
    const target: HttpTarget = {
      url: `${relay.url}${new URL(base).pathname}/chat/completions`,
      headers: {},
      body,
    };
    return await use(target, {
      'relay front': relay.front.child.pid,
      'relay worker': relay.worker.child.pid,
      ...redisPid(sys),
    });
  } finally {
    await relay.stop();
  }
}

/** The bare relay at `connections` clients, warmed up at 32 first. */
function measureRelay(
  sys: BenchSystem,
  label: string,
  base: string,
  body: string,
  connections: number,
): Promise<Measured<LoadResult>> {
  return onRelay(sys, base, body, async (target, pids) => {
    if (START_WARMUP > 0) {
      log(`warming up the bare relay: ${START_WARMUP} s at 32 clients`);
      await cannon(target, 32, START_WARMUP, false);
    }
    return measure(`${label}, bare relay`, target, connections, pids, false);
  });
}

/**
 * The bare relay at `concurrency` streams, warmed up as Gatehouse is (JSON at 32 clients, then
 * streams at 16), with `bodies.json` for the JSON part.
 */
function measureRelayStreams(
  sys: BenchSystem,
  label: string,
  base: string,
  bodies: { json: string; stream: string },
  concurrency: number,
): Promise<Measured<StreamResult>> {
  return onRelay(sys, base, bodies.stream, async (target, pids) => {
    if (START_WARMUP > 0) await warmUp('the bare relay', { ...target, body: bodies.json }, target);
    return measureStreams(`${label}, bare relay`, target, concurrency, pids, false);
  });
}

/**
 * Rounds `first`..`last` of two runs back to back, alternating which goes first (`a` in odd
 * rounds), so that a slow spell of the machine falls on both sides as often: each round's pair.
 */
async function pairedRounds(
  first: number,
  last: number,
  a: (round: number) => Promise<Measured<LoadResult>>,
  b: (round: number) => Promise<Measured<LoadResult>>,
): Promise<[Measured<LoadResult>, Measured<LoadResult>][]> {
  const pairs: [Measured<LoadResult>, Measured<LoadResult>][] = [];
  for (let round = first; round <= last; round++) {
    if (round % 2 === 1) {
      const x = await a(round);
      pairs.push([x, await b(round)]);
    } else {
      const y = await b(round);
      pairs.push([await a(round), y]);
    }
  }
  return pairs;
}

/** `, median of N paired rounds: …` for more than one round, else nothing. */
function roundsText(ratios: readonly number[], format: (ratio: number) => string): string {
  return ratios.length > 1
    ? `, median of ${ratios.length} paired rounds: ${ratios.map(format).join(' ')}`
    : '';
}

/**
 * Brings Gatehouse (and the peer) to their steady state before anything is measured: JSON at
 * 32 clients for three quarters of START_WARMUP, then streams at 16 for the rest, each.
 */
async function warmUpSystems(sys: BenchSystem): Promise<void> {
  const proxied = ['c1', 'c32', 'budget', 'slow', 'stream', 'memory', 'audit-lag'];
  if (START_WARMUP <= 0 || !proxied.some((c) => CASES.has(c))) return;
  const json = targets(sys, MODEL.fast, sys.mockBase(0));
  const streamBase = sys.mockBase(0, STREAM_CHUNKS, STREAM_INTERVAL_MS);
  const streams = targets(sys, MODEL.stream, streamBase, true);
  await warmUp('Gatehouse', json.gatehouse, streams.gatehouse);
  if (peer && json.peer && streams.peer) await warmUp(peer.name, json.peer, streams.peer);
}

/** START_WARMUP of load: JSON at 32 clients for three quarters of it, then streams at 16. */
async function warmUp(
  name: string,
  jsonTarget: HttpTarget,
  streamTarget: HttpTarget,
): Promise<void> {
  log(`warming up ${name}: ${START_WARMUP} s (JSON at 32 clients, then streams at 16)`);
  await cannon(jsonTarget, 32, Math.max(1, START_WARMUP * 0.75), false);
  await streamLoad(streamTarget, 16, Math.max(1, START_WARMUP * 0.25));
}

async function caseLatency(sys: BenchSystem): Promise<void> {
  const t = targets(sys, MODEL.fast, sys.mockBase(0));
  const direct = await measure('zero latency c=1, direct', t.direct, 1);
  // What the queue hop alone costs at one client: the part of the added latency the design owns.
  const floor = await measureFloor(sys, 1);
  const relay = await measureRelay(sys, 'zero latency c=1', sys.mockBase(0), t.direct.body, 1);
  const gw = await measure('zero latency c=1, Gatehouse', t.gatehouse, 1, gatehousePids(sys));
  const pk = peer && t.peer && (await measurePeer('zero latency c=1', peer, t.peer, 1));
  const added = gw.p50 - direct.p50;
  rows.push({
    name: 'zero-latency upstream, 1 client',
    direct: cell(direct),
    floor: cell(floor),
    relay: cell(relay),
    gatehouse: cell(gw),
    ...(pk && {
      peer: peerCell(pk),
      vsPeer: `${times(gw.rps / pk.rps)} req/s; p50 ${signedMs(gw.p50 - pk.p50)}`,
    }),
    compared:
      `added p50 ${signedMs(added)}, p99 ${signedMs(gw.p99 - direct.p99)} ` +
      `(the bare round trip alone: p50 ${ms(floor.p50)}; the bare relay adds ` +
      `${signedMs(relay.p50 - direct.p50)})`,
    target: 'added p50 ≤ 1.5 ms',
    pass: added <= 1.5,
  });
}

/**
 * What masking a 4 KB prompt with ten entities and restoring its answer costs the gateway, in
 * process (the same functions the gateway runs, with its default rules).
 */
function casePii(): void {
  const result = measurePiiMasking();
  rows.push({
    name: 'PII: mask a 4 KB prompt with 10 entities, restore its answer',
    direct: '',
    floor: '',
    gatehouse: `${ms(result.msPerRequest)} of CPU per request (${result.runs} runs after warm-up)`,
    compared:
      `mask ${ms(result.maskMs)}, restore JSON ${ms(result.restoreMs)}; ` +
      `${result.placeholders} distinct values masked`,
    target: 'added gateway CPU ≤ 0.2 ms',
    pass: result.msPerRequest <= 0.2,
  });
}

/**
 * The c32 load on a key with budgets (each request's reservation is taken in the admission
 * script and settled by the worker) against the same load on a key without, in BUDGET_ROUNDS
 * pairs run back to back, alternating which goes first: a few percent is all budgets may cost,
 * less than the machine swings between two runs minutes apart.
 */
async function caseBudgets(sys: BenchSystem): Promise<void> {
  const withBudgets = targets(sys, MODEL.fast, sys.mockBase(0), false, sys.budgetKey).gatehouse;
  const without = targets(sys, MODEL.fast, sys.mockBase(0)).gatehouse;
  const label = (round: number) =>
    `zero latency c=32${BUDGET_ROUNDS > 1 ? ` (budget round ${round})` : ''}`;
  const pairs = await pairedRounds(
    1,
    BUDGET_ROUNDS,
    (round) => measure(`${label(round)}, key with budgets`, withBudgets, 32, gatehousePids(sys)),
    (round) => measure(`${label(round)}, key without`, without, 32, gatehousePids(sys)),
  );
  const ratios = pairs.map(([budgets, plain]) => budgets.rps / plain.rps);
  const ratio = median(ratios);
  rows.push({
    name: 'zero-latency upstream, 32 clients, key with budgets',
    direct: '',
    floor: '',
    gatehouse: cell(pairs[0][0]),
    compared:
      `${percent(ratio)} of the same load on a key without budgets` + roundsText(ratios, percent),
    target: 'req/s ≥ 97% of a key without',
    pass: ratio >= 0.97,
  });
}

async function caseThroughput(sys: BenchSystem): Promise<void> {
  const t = targets(sys, MODEL.fast, sys.mockBase(0));
  const direct = await measure('zero latency c=32, direct', t.direct, 32);
  const floor = await measureFloor(sys, 32);
  const relay = await measureRelay(sys, 'zero latency c=32', sys.mockBase(0), t.direct.body, 32);
  const gw = await measure('zero latency c=32, Gatehouse', t.gatehouse, 32, gatehousePids(sys));
  const pk = peer && t.peer && (await measurePeer('zero latency c=32', peer, t.peer, 32));
  const ratio = gw.rps / floor.rps;
  c32Rps = gw.rps;
  let vsPeer: string | undefined;
  if (peer && t.peer && pk) {
    const [them, theirTarget] = [peer, t.peer];
    const later = await pairedRounds(
      2,
      PEER_ROUNDS,
      (round) =>
        measure(
          `zero latency c=32 (round ${round}), Gatehouse`,
          t.gatehouse,
          32,
          gatehousePids(sys),
        ),
      (round) => measurePeer(`zero latency c=32 (round ${round})`, them, theirTarget, 32),
    );
    // The first round is the run above, Gatehouse first.
    const ratios = [gw.rps / pk.rps, ...later.map(([g, p]) => g.rps / p.rps)];
    const x = median(ratios);
    const rounds = roundsText(ratios, times);
    vsPeer =
      `${times(x)} req/s${rounds} (target ≥ ${times(PEER_TARGET)}: ` +
      `${x >= PEER_TARGET ? 'PASS' : 'MISS'}); p50 ${signedMs(gw.p50 - pk.p50)}`;
  }
  rows.push({
    name: 'zero-latency upstream, 32 clients',
    direct: cell(direct),
    floor: cell(floor),
    relay: cell(relay),
    gatehouse: cell(gw),
    ...(pk && { peer: peerCell(pk), vsPeer }),
    compared:
      `${percent(ratio)} of floor jobs/s (${percent(gw.rps / direct.rps)} of direct; ` +
      `the bare relay: ${percent(relay.rps / floor.rps)} of floor, Gatehouse ${percent(gw.rps / relay.rps)} of it)`,
    target: 'req/s ≥ 50% of floor',
    pass: ratio >= 0.5,
  });
  // Steadier than latency on a shared machine: what each app spends on one proxied request.
  const gatewayMs = gw.cpu.gateway ?? Infinity;
  const workerMs = gw.cpu.worker ?? Infinity;
  const redis = (cpu: CpuCost) => (cpu.redis === undefined ? '' : `, Redis ${ms(cpu.redis)}`);
  rows.push({
    name: 'CPU per proxied request (32 clients)',
    direct: '',
    floor:
      `floor worker ${ms(floor.cpu['floor worker'] ?? NaN)}, ` +
      `producer ${ms(floor.cpu.producer ?? NaN)}` +
      `${redis(floor.cpu)}${syscallText(floor.syscalls)}`,
    relay:
      `front ${ms(relay.cpu['relay front'] ?? NaN)}, ` +
      `worker ${ms(relay.cpu['relay worker'] ?? NaN)}` +
      `${redis(relay.cpu)}${syscallText(relay.syscalls)}`,
    gatehouse:
      `gateway ${ms(gatewayMs)}, worker ${ms(workerMs)}${redis(gw.cpu)}` + syscallText(gw.syscalls),
    compared:
      `${(gatewayMs + workerMs).toFixed(2)} ms in the two apps; beyond the bare relay: gateway ` +
      `${signedMs(gatewayMs - (relay.cpu['relay front'] ?? NaN))}, worker ` +
      `${signedMs(workerMs - (relay.cpu['relay worker'] ?? NaN))}`,
    target: 'gateway ≤ 0.35 ms, worker ≤ 0.35 ms',
    pass: gatewayMs <= 0.35 && workerMs <= 0.35,
  });
}

async function caseSlowUpstream(sys: BenchSystem): Promise<void> {
  const t = targets(sys, MODEL.slow, sys.mockBase(SLOW_MS));
  const direct = await measure(`${SLOW_MS} ms upstream c=256, direct`, t.direct, 256);
  const relay = await measureRelay(
    sys,
    `${SLOW_MS} ms upstream c=256`,
    sys.mockBase(SLOW_MS),
    t.direct.body,
    256,
  );
  const gw = await measure(
    `${SLOW_MS} ms upstream c=256, Gatehouse`,
    t.gatehouse,
    256,
    gatehousePids(sys),
  );
  const pk =
    peer && t.peer && (await measurePeer(`${SLOW_MS} ms upstream c=256`, peer, t.peer, 256));
  const ratio = gw.rps / direct.rps;
  const addedP99 = gw.p99 - direct.p99;
  rows.push({
    name: `${SLOW_MS} ms upstream, 256 clients`,
    direct: cell(direct),
    floor: '',
    relay: cell(relay),
    gatehouse: cell(gw),
    ...(pk && {
      peer: peerCell(pk),
      vsPeer: `${times(gw.rps / pk.rps)} req/s; p99 ${signedMs(gw.p99 - pk.p99)}`,
    }),
    compared:
      `${percent(ratio)} of direct req/s, added p50 ${signedMs(gw.p50 - direct.p50)}, ` +
      `p99 ${signedMs(addedP99)} (the bare relay: ${percent(relay.rps / direct.rps)}, ` +
      `p99 ${signedMs(relay.p99 - direct.p99)})`,
    target: 'req/s ≥ 97% of direct, added p99 ≤ 20 ms',
    pass: ratio >= 0.97 && addedP99 <= 20,
  });
}

function streamCell(r: Measured<StreamResult>): string {
  return (
    `${rate(r.rps)} · first chunk p50 ${ms(r.firstChunkP50)} (p99 ${ms(r.firstChunkP99)}) · ` +
    `last chunk p50 ${ms(r.lastChunkP50)} · ${r.readsP50} reads/stream${cpuText(r.cpu)}`
  );
}

async function caseStreams(sys: BenchSystem): Promise<void> {
  const base = sys.mockBase(0, STREAM_CHUNKS, STREAM_INTERVAL_MS);
  const t = targets(sys, MODEL.stream, base, true);
  const direct = await measureStreams('streams c=64, direct', t.direct, 64);
  const relay = await measureRelayStreams(
    sys,
    'streams c=64',
    base,
    { json: chatBody(MODEL.stream), stream: t.direct.body },
    64,
  );
  const gw = await measureStreams('streams c=64, Gatehouse', t.gatehouse, 64, gatehousePids(sys));
  const pk =
    peer &&
    t.peer &&
    (await measureStreams(`streams c=64, ${peer.name}`, t.peer, 64, peerPids(peer), false));
  const added = gw.firstChunkP50 - direct.firstChunkP50;
  // Unbatched: the first chunk arrives about as long before the last as it does direct.
  const unbatched = gw.spreadP50 >= 0.5 * direct.spreadP50;
  rows.push({
    name: `streams (${STREAM_CHUNKS} chunks ${STREAM_INTERVAL_MS} ms apart), 64 clients`,
    direct: streamCell(direct),
    floor: '',
    relay: streamCell(relay),
    gatehouse: streamCell(gw),
    ...(pk && {
      peer: `${streamCell(pk)}${pk.errors > 0 ? ` · ${pk.errors} errors` : ''}`,
      vsPeer:
        `${times(gw.rps / pk.rps)} streams/s; first chunk p50 ` +
        `${signedMs(gw.firstChunkP50 - pk.firstChunkP50)}`,
    }),
    compared:
      `first chunk added p50 ${signedMs(added)}; first→last p50 ${ms(gw.spreadP50)} ` +
      `(direct ${ms(direct.spreadP50)}; the bare relay: first chunk ` +
      `${signedMs(relay.firstChunkP50 - direct.firstChunkP50)}, first→last ${ms(relay.spreadP50)})`,
    target: 'first-chunk added p50 ≤ 3 ms; first long before last (first→last ≥ 50% of direct)',
    pass: added <= 3 && unbatched,
  });
}

async function caseMemory(sys: BenchSystem): Promise<void> {
  const t = targets(sys, MODEL.fast, sys.mockBase(0));
  log(
    `memory: ${MEMORY_SECONDS} s of zero-latency load at 32 connections, RSS every second, ` +
      `live heap after warm-up and at the end (load ${load()})`,
  );
  const apps = { gateway: sys.gateway, 'proxy-worker': sys.worker };
  const sampler = sampleRss(
    Object.fromEntries(Object.entries(apps).map(([app, c]) => [app, c.child.pid])),
  );
  // Both readings under the load: what a leak keeps grows between them.
  const warmAtS = Math.min(MEMORY_WARMUP, MEMORY_SECONDS / 2);
  const endAtS = Math.max(warmAtS + 1, MEMORY_SECONDS - 3);
  const heapsAt = (seconds: number) => sleep(seconds * 1_000).then(() => liveHeaps(apps));
  const [r, warmHeaps, endHeaps] = await Promise.all([
    cannon(t.gatehouse, 32, MEMORY_SECONDS, false),
    heapsAt(warmAtS),
    heapsAt(endAtS),
  ]);
  const series = sampler.stop();
  log(`  ${rate(r.rps)} over the run`);
  for (const [app, kib] of Object.entries(series)) {
    // One sample is at the mercy of a GC: "after warm-up" and "end" are medians of 5 s windows.
    const start = kib[0] ?? Number.NaN;
    const warmAt = Math.min(Math.max(1, Math.round(MEMORY_WARMUP)), Math.max(1, kib.length - 10));
    const warm = median(kib.slice(warmAt, warmAt + 5));
    const end = median(kib.slice(-5));
    const max = Math.max(...kib.filter(Number.isFinite));
    const drift = (end - warm) / warm;
    log(
      `  ${app} RSS every 5 s: ${kib
        .filter((_, i) => i % 5 === 0)
        .map((k) => (k / 1024).toFixed(0))
        .join(' ')} MiB`,
    );
    const [heapWarm, heapEnd] = [warmHeaps[app], endHeaps[app]];
    const heap =
      heapWarm !== undefined && heapEnd !== undefined
        ? { warm: heapWarm, end: heapEnd, drift: (heapEnd - heapWarm) / heapWarm }
        : undefined;
    const rss = `RSS start ${mib(start)} · after ${warmAt} s warm-up ${mib(warm)} · end ${mib(end)} · max ${mib(max)}`;
    rows.push({
      name: `memory ${app} (${MEMORY_SECONDS} s at 32 clients, ${rate(r.rps)})`,
      direct: '',
      floor: '',
      gatehouse: heap
        ? `live heap after ${Math.round(warmAtS)} s ${mib(heap.warm / 1024)} · ` +
          `at ${Math.round(endAtS)} s ${mib(heap.end / 1024)} · ${rss}`
        : rss,
      compared:
        (heap ? `live heap ${signedPercent(heap.drift)}; ` : '') +
        `RSS end vs after warm-up ${signedPercent(drift)}`,
      // A leak grows the heap a full collection leaves; the resident set also climbs for a minute
      // or more under load and falls by up to half at a collection, which is not one. Without
      // an answer from the heap probe the bench falls back to the resident set's medians.
      target: heap
        ? 'live heap at the end ≤ 10% above after warm-up'
        : 'end ≤ 20% above after warm-up (RSS, 5 s medians)',
      pass: heap ? heap.drift <= 0.1 : drift <= 0.2,
    });
  }
}

/**
 * Each app's live heap in bytes (after a forced full collection), one app at a time; an app
 * whose heap probe does not answer (or that has none: liveHeapBytes refuses it) is left out and
 * said so.
 */
async function liveHeaps(apps: Record<string, Child>): Promise<Record<string, number>> {
  const heaps: Record<string, number> = {};
  for (const [app, c] of Object.entries(apps)) {
    try {
      heaps[app] = await liveHeapBytes(c);
    } catch (err) {
      log(`  ${app}: live heap not read (${(err as Error).message}); judged on RSS`);
    }
  }
  return heaps;
}

/**
 * Polls the audit table every 200 ms until `target` rows are stored; the rate is taken from the
 * first poll that sees a new row to the one that sees the last (so the app's start-up is not in
 * it). Gives up when the count stops moving for 30 s once `started()` says the app is up.
 */
async function watchAuditRows(
  table: AuditTable,
  base: number,
  target: number,
  pid: () => number | undefined,
  started: () => boolean,
): Promise<{ events: number; seconds: number; cpuMsPerEvent: number }> {
  let first: { t: number; n: number; cpu: number } | undefined;
  let prev = base;
  let progressAt = performance.now();
  for (;;) {
    const n = await table.rows();
    const t = performance.now();
    if (first === undefined && n > base) first = { t, n, cpu: cpuMs(pid()) };
    if (first !== undefined && n >= target) {
      const events = n - first.n;
      return {
        events,
        seconds: (t - first.t) / 1000,
        cpuMsPerEvent: (cpuMs(pid()) - first.cpu) / events,
      };
    }
    if (n > prev || !started()) {
      prev = n;
      progressAt = t;
    } else if (t - progressAt > 30_000) {
      throw new Error(
        `audit: stuck at ${n - base} of ${target - base} rows, ` +
          `${await table.deadLetters()} dead letters\n${auditApp?.output() ?? ''}`,
      );
    }
    await sleep(200);
  }
}

/**
 * Events queued by the earlier cases' requests (no audit app ran then) are not part of the audit
 * measurements: dropped (the bench database is thrown away anyway), so the backlog is exactly
 * what the case puts there. A request just answered queues its event up to the producer's flush
 * interval (20 ms) later: wait a little first.
 */
async function dropEarlierEvents(queue: AuditQueue): Promise<void> {
  await sleep(500);
  const dropped = await queue.backlog();
  await queue.queue.drain();
  if (dropped > 0) log(`  dropped ${dropped} audit jobs queued before this case`);
}

/**
 * Sustained write rate of one audit app (redaction and the SHA-256 chain are always on). The
 * queue is filled first, with the app stopped, and the app is then started on the full queue:
 * that measures the consumer alone (fetch, validate, redact, hash, insert, complete) at its own
 * pace. Producing while it runs would measure the slower of producer and consumer instead, and
 * on 2 shared cores the producer's CPU would be taken from the app being measured.
 */
async function caseAuditThroughput(sys: BenchSystem): Promise<void> {
  if (auditApp) throw new Error('the audit case needs the audit app stopped');
  const queue = await openAuditQueue(REDIS_URL, sys.prefix);
  const table = await openAuditTable(sys.databaseUrl);
  try {
    await dropEarlierEvents(queue);
    const base = await table.rows();
    log(
      `audit: queueing ${AUDIT_EVENTS} request.completed events with the audit app stopped (load ${load()})`,
    );
    const produceS = await fillAuditQueue(queue, AUDIT_EVENTS, sys.auditEventKey);
    log(
      `  queued in ${produceS.toFixed(1)} s (${rate(AUDIT_EVENTS / produceS)}), backlog ${await queue.backlog()}; starting the audit app`,
    );
    const watching = watchAuditRows(
      table,
      base,
      base + AUDIT_EVENTS,
      () => auditApp?.child.pid,
      () => auditApp !== undefined,
    );
    // Watch from before the start, so the first row written is seen; the start can fail first.
    watching.catch(() => undefined);
    auditApp = await sys.startAudit();
    const r = await watching;
    const eps = r.events / r.seconds;
    const unredacted = await table.unredacted();
    log(
      `  ${eps.toFixed(0)} events/s (${r.events} rows in ${r.seconds.toFixed(1)} s) · CPU ms/event: audit ${r.cpuMsPerEvent.toFixed(3)} · ` +
        `${unredacted} rows with a gk_ key left · load ${load()}`,
    );
    rows.push({
      name: `audit writes, 1 audit app, ${AUDIT_EVENTS} queued events`,
      direct: '',
      floor: '',
      gatehouse:
        `${eps.toFixed(0)} events/s · ${r.events} rows in ${r.seconds.toFixed(1)} s · ` +
        `CPU ms/event: audit ${r.cpuMsPerEvent.toFixed(3)}`,
      compared: `${percent(eps / 5_000)} of target; ${unredacted} rows with a client key left unredacted`,
      target: 'events/s ≥ 5,000, no key left',
      pass: eps >= 5_000 && unredacted === 0,
    });
  } finally {
    await queue.close();
    await table.close();
  }
}

/** Polls the audit queue every 100 ms until nothing is waiting or active; ms it took. */
async function untilAuditQueueEmpty(queue: AuditQueue, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    await sleep(100);
    const backlog = await queue.backlog();
    const elapsed = performance.now() - start;
    if (backlog === 0) return elapsed;
    if (elapsed > timeoutMs) {
      throw new Error(
        `audit queue still holds ${backlog} jobs after ${timeoutMs} ms\n${auditApp?.output() ?? ''}`,
      );
    }
  }
}

/**
 * Audit lag under the proxy load: the audit app runs while the zero-latency 32-client load goes
 * through Gatehouse (proxy-worker queues one request.completed event per request), and the lag
 * is the time from the load's end until the `audit` queue holds nothing waiting or active, i.e.
 * every event is written (a job completes only after its batch commits). Polled every 100 ms.
 */
async function caseAuditLag(sys: BenchSystem): Promise<void> {
  const t = targets(sys, MODEL.fast, sys.mockBase(0));
  const queue = await openAuditQueue(REDIS_URL, sys.prefix);
  const table = await openAuditTable(sys.databaseUrl);
  try {
    if (!auditApp) {
      await dropEarlierEvents(queue);
      auditApp = await sys.startAudit();
    }
    const app = auditApp;
    if (WARMUP > 0) await cannon(t.gatehouse, 32, WARMUP, false);
    await untilAuditQueueEmpty(queue, 60_000); // the measured run starts with nothing queued
    const rows0 = await table.rows();
    const auditCpu0 = cpuMs(app.child.pid);
    log(`audit lag: ${SECONDS} s at 32 connections, audit app running (load ${load()})`);
    let peak = 0;
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        peak = Math.max(peak, await queue.backlog().catch(() => 0));
        await sleep(100);
      }
    })();
    let gw: Measured<LoadResult>;
    try {
      gw = await withCpu(
        gatehousePids(sys),
        () => cannon(t.gatehouse, 32, SECONDS),
        (x) => x.rps * SECONDS,
        true,
      );
    } finally {
      loading = false;
      await sampler;
    }
    const lagMs = await untilAuditQueueEmpty(queue, 60_000);
    const events = (await table.rows()) - rows0;
    const cpu = { ...gw.cpu, audit: (cpuMs(app.child.pid) - auditCpu0) / events };
    const served = Math.round(gw.rps * SECONDS);
    log(
      `  ${cell({ ...gw, cpu })} · backlog peak ${peak} jobs, back to zero ${ms(lagMs)} after the load stopped · ` +
        `${events} events written for ${served} requests answered`,
    );
    const vsC32 =
      c32Rps === undefined ? '' : `req/s ${percent(gw.rps / c32Rps)} of the c32 run without it; `;
    rows.push({
      name: 'audit lag, zero-latency upstream, 32 clients, audit app running',
      direct: '',
      floor: '',
      gatehouse: cell({ ...gw, cpu }),
      compared: `${vsC32}backlog peak ${peak} jobs, back to zero ${ms(lagMs)} after the load stopped`,
      target: 'audit queue empty ≤ 2 s after the load stops',
      pass: lagMs <= 2_000,
    });
  } finally {
    await queue.close();
    await table.close();
  }
}

function printTable(): void {
  // The peer's two columns only when it was measured: a run without it prints the table as before.
  const withPeer = peer !== undefined;
  const header = [
    'case',
    'direct to mock',
    'bare BullMQ round trip',
    'bare relay (HTTP → BullMQ → HTTP)',
    'Gatehouse',
    ...(peer ? [peer.name, `Gatehouse vs ${peer.name}`] : []),
    'Gatehouse vs reference',
    'target',
    '',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${[
          r.name,
          r.direct || '–',
          r.floor || '–',
          r.relay || '–',
          r.gatehouse,
          ...(withPeer ? [r.peer ?? '–', r.vsPeer ?? '–'] : []),
          r.compared,
          r.target,
          r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS',
        ].join(' | ')} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  process.stdout.write(
    'p50/p99: latency per request as the client sees it; streams: time to the first and last body ' +
      'piece. CPU ms/req: CPU time (user + system, from /proc) the process used during the ' +
      'measured run divided by the requests it completed (idle polling included, so it reads high ' +
      'at low request rates). syscalls/req: read and write system calls (from /proc/<pid>/io) ' +
      'per request in the same run. Bare relay: a plain node:http server → Queue.add → a BullMQ ' +
      "worker (proxy-worker's default concurrency) → undici POST to the same mock → PUBLISH → " +
      'the server answers; no auth, limits, validation, headers, audit or logging: what Node, ' +
      "BullMQ and Redis cost for the design's hop with HTTP at both ends." +
      (peer
        ? ` ${peer.label}: the same requests and load, through it to the same mock (provider ` +
          `openai, custom host = the mock's base URL), one Node process on 127.0.0.1; its CPU ` +
          `ms/req is that process's. Gatehouse vs ${peer.name}: Gatehouse req/s ÷ its req/s; the ` +
          `target (≥ ${times(PEER_TARGET)}) is for 32 clients, on the median of ${PEER_ROUNDS} ` +
          `paired rounds there.`
        : '') +
      '\n',
  );
}

function printProfiles(dir: string, pids: Record<string, number | undefined>): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const [app, pid] of Object.entries(pids)) {
    const file = files.find((f) => f.includes(`.${pid}.`));
    if (!file) {
      process.stdout.write(`no CPU profile for ${app} (pid ${pid}) in ${dir}\n`);
      continue;
    }
    const s = summarizeProfile(join(dir, file), profileWindows);
    const busy = s.busyMs + s.idleMs > 0 ? s.busyMs / (s.busyMs + s.idleMs) : 0;
    process.stdout.write(
      `\nCPU profile of ${app}: ${join(dir, file)}\n  busy ${(s.busyMs / 1000).toFixed(1)} s (${percent(busy)} of the measured Gatehouse runs)\n  by origin (self time):\n`,
    );
    for (const o of s.byOrigin)
      process.stdout.write(`    ${percent(o.share).padStart(4)}  ${o.name}\n`);
    process.stdout.write('  hottest functions (self time):\n');
    for (const f of s.byFunction)
      process.stdout.write(`    ${percent(f.share).padStart(4)}  ${f.name}\n`);
  }
}

/** Starts the installed peer; if it cannot be installed or started, says so and runs without it. */
async function startPeer(
  p: PortkeyPeer,
  installed: Promise<string | undefined> | undefined,
  sys: BenchSystem,
): Promise<void> {
  const failed = await installed;
  try {
    if (failed !== undefined) throw new Error(`could not be installed (${failed})`);
    peer = await p.start(sys.mockBase(0));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    peerMissing = `Portkey is not in the table: ${why.startsWith('could not') ? why : `did not start (${why.split('\n')[0]})`}.`;
    log(`${peerMissing} Running without it.`);
    await p.cleanup();
  }
}

function cleanupAll(): Promise<unknown> {
  return Promise.all([system?.cleanup(), portkey?.cleanup()]);
}

async function main(): Promise<void> {
  const profDir =
    process.env.BENCH_CPU_PROF_DIR ?? join(tmpdir(), `gatehouse-bench-prof-${Date.now()}`);
  const importHook = resolve(import.meta.dirname, 'exit-on-signal.js');
  if (CPU_PROF) mkdirSync(profDir, { recursive: true });
  const loadAtStart = load();
  // Before anything starts and after everything stopped: what each of the host's CPUs gives.
  const speedAtStart = cpuSpeedText(cpuSpeeds());
  log(
    `node ${process.version}, ${cpus().length} CPUs, load average ${loadAtStart}; ` +
      `${SECONDS} s per run (+${WARMUP} s warm-up; ${START_WARMUP} s once per process started), ` +
      `memory run ${MEMORY_SECONDS} s, ` +
      `apps with their default settings${CPU_PROF ? `, CPU profiles in ${profDir}` : ''}`,
  );
  log(`${CPU_SPEED_LABEL}: ${speedAtStart}`);
  if (PEERS.has('portkey')) portkey = PortkeyPeer.create(log);
  // Installed while Gatehouse starts (nothing is measured yet); a failure only drops the column.
  const peerInstall = portkey?.install().then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  system = await startSystem({
    accounts: [
      { model: MODEL.fast, delayMs: 0, chunks: 0, intervalMs: 0 },
      { model: MODEL.slow, delayMs: SLOW_MS, chunks: 0, intervalMs: 0 },
      { model: MODEL.stream, delayMs: 0, chunks: STREAM_CHUNKS, intervalMs: STREAM_INTERVAL_MS },
    ],
    nodeArgs: CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--import=${importHook}`] : [],
  });
  const pids = { gateway: system.gateway.child.pid, 'proxy-worker': system.worker.child.pid };
  log(`system up: gateway ${system.gatewayUrl}, mock ${system.mockUrl}, prefix ${system.prefix}`);
  if (portkey) await startPeer(portkey, peerInstall, system);
  try {
    await warmUpSystems(system);
    if (CASES.has('c1')) await caseLatency(system);
    if (CASES.has('c32')) await caseThroughput(system);
    if (CASES.has('budget')) await caseBudgets(system);
    if (CASES.has('pii')) casePii();
    if (CASES.has('slow')) await caseSlowUpstream(system);
    if (CASES.has('stream')) await caseStreams(system);
    if (CASES.has('memory')) await caseMemory(system);
    // Last: the audit app is started here and not stopped, so it does not run during the others.
    if (CASES.has('audit')) await caseAuditThroughput(system);
    if (CASES.has('audit-lag')) await caseAuditLag(system);
  } finally {
    await cleanupAll();
  }
  process.stdout.write(
    `\nGatehouse benchmark, ${new Date().toISOString()}: node ${process.version}, ${cpus().length} CPUs ` +
      `(load generator, mock upstream, Redis, Postgres and every app share them); ` +
      `load average at start ${loadAtStart}, at end ${load()}; ${CPU_SPEED_LABEL} at start ` +
      `${speedAtStart}, at end ${cpuSpeedText(cpuSpeeds())}. ` +
      `BENCH_SECONDS=${SECONDS} BENCH_WARMUP_SECONDS=${WARMUP} ` +
      `BENCH_START_WARMUP_SECONDS=${START_WARMUP} BENCH_MEMORY_SECONDS=${MEMORY_SECONDS}` +
      `${SYSTEM_PROMPT_CHARS > 0 ? ` BENCH_SYSTEM_PROMPT_CHARS=${SYSTEM_PROMPT_CHARS}` : ''}; ` +
      `gateway and proxy-worker with the product's defaults. Compare ratios, not absolute figures.\n`,
  );
  if (process.env.BENCH_METRICS === '1') {
    process.stdout.write('BENCH_METRICS=1: every app serves Prometheus metrics (METRICS_PORT).\n');
  }
  if (peer) process.stdout.write(`BENCH_PEERS=portkey: ${peer.label} measured in the same run.\n`);
  if (peerMissing) process.stdout.write(`BENCH_PEERS=portkey: ${peerMissing}\n`);
  printTable();
  if (CPU_PROF) printProfiles(profDir, { ...pids, ...(auditApp && { audit: auditApp.child.pid }) });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    await cleanupAll();
    process.exit(1);
  },
);
