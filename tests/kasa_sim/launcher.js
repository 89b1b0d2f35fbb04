#!/usr/bin/env node
/*
 * Start simulated TP-Link Kasa devices (tplink-smarthome-simulator) on loopback for tests.
 *
 * Usage:
 *   node tests/kasa_sim/launcher.js '<spec json>'     # spec as the first argument, or
 *   node tests/kasa_sim/launcher.js < spec-line        # first stdin line is the spec
 *
 * The launcher exits when stdin reaches EOF (so it dies with the test process that holds
 * the pipe), on SIGTERM and on SIGINT. Pass "watchStdin": false to run it detached.
 *
 * Spec: either a list of devices or an object
 *   {
 *     "devices": [{"model": "hs110", "address": "127.0.0.2", "port": 9999,
 *                  "alias": "Kettle", "mac": "50:C7:BF:00:00:02", "deviceId": "...",
 *                  "children": ["Desk", "Lamp"],   // hs300 outlet aliases (optional)
 *                  "watts": 60}],                  // dynamic-mode load (optional)
 *     "broadcast": true,           // listen on 127.255.255.255:9999 for discovery
 *     "broadcastAddress": "127.255.255.255",
 *     "tickMs": 1000,              // dynamic-mode tick
 *     "timeScale": 1,              // simulated seconds per real second (see below)
 *     "watchStdin": true
 *   }
 * Models: hs100 hs105 hs110 hs110v2 hs200 hs220 hs300 lb100 lb120 lb130 kl430. mac and
 * deviceId default to values derived from the address, so they are stable between runs.
 *
 * Only loopback addresses are accepted. The package's global UdpServer (0.0.0.0:9999, which
 * would answer LAN broadcasts) is never started. For broadcast discovery we bind our own
 * socket on 127.255.255.255:9999 and hand each datagram to every online device, which
 * replies from its own address:9999 socket straight to the requester, exactly as a real
 * plug answers a broadcast; python-kasa then sees one reply per device IP.
 *
 * When ready it prints one line:  READY {"control": "http://127.0.0.1:PORT", "pid": ...,
 *   "broadcast": {"address", "port"} | null, "devices": [{address, port, mac, model,
 *   alias, deviceId, children: [{id, alias}]}]}
 *
 * Control API (JSON bodies; "child" = full child id, its last two characters, or an index):
 *   POST /relay      {address, child?, on}      switch a relay (no child on a strip = all)
 *   POST /emeter     {address, child?, power?, voltage?, current?, total?, today?}
 *                    pin realtime values (W, V, A, kWh) and optionally today's kWh;
 *                    this turns dynamic mode off for that meter
 *   POST /dynamic    {address?, child?, on, watts?, noise?, tickMs?, timeScale?}
 *   POST /daystat    {address, child?, year, month, days: {"1": kWh, ...}}
 *   POST /delay      {address, ms}              response delay for TCP and UDP
 *   POST /unreliable {address, percent}         that share of replies become garbage
 *   POST /offline    {address}                  close sockets, stop listening
 *   POST /online     {address}                  listen again
 *   GET  /state?address=...                     relay, pinned/dynamic emeter, settings
 *
 * Dynamic mode: every tick each dynamic meter reports power = watts * (1 +/- noise) while
 * its relay is on and 0 while off, voltage 120 V (+/- 0.5 V when noise > 0) and
 * current = power / voltage. The tick then adds
 *     energy_kWh = power_W * (tickMs / 1000) * timeScale / 3_600_000
 * to the lifetime total and to today's day statistic. With timeScale 3600 each real second
 * counts as one hour, so a 100 W load with noise 0 gains exactly 0.1 kWh per 1 s tick.
 *
 * History: every meter starts with a deterministic daily history for the previous and the
 * current year (0.2-1.5 kWh per past day, seeded by MAC and outlet; 0 from today on),
 * replacing the package's random lazily generated statistics. Realtime values start at
 * the package defaults; pin them or use dynamic mode before asserting on them.
 */
'use strict';

const crypto = require('node:crypto');
const dgram = require('node:dgram');
const http = require('node:http');
const { Device, UdpServer } = require('tplink-smarthome-simulator');

const BULB_MODELS = new Set(['lb100', 'lb120', 'lb130', 'kl430']);
const EMETER_MODELS = new Set(['hs110', 'hs110v2', 'hs300', 'lb100', 'lb120', 'lb130', 'kl430']);
// These report energy_wh (Wh) in day statistics; the others report energy (kWh).
const WH_STAT_MODELS = new Set(['hs110v2', 'hs300']);

const records = new Map(); // address:port -> record
let settings = { tickMs: 1000, timeScale: 1 };
let tickTimer = null;
let broadcastSocket = null;
let controlServer = null;
let stopping = false;

function log(...args) {
  process.stderr.write(`[kasa-sim] ${args.join(' ')}\n`);
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function isLoopback(address) {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

// ---------------------------------------------------------------- spec and devices

function normaliseSpec(raw) {
  const spec = Array.isArray(raw) ? { devices: raw } : { ...raw };
  if (!Array.isArray(spec.devices)) throw new Error('spec needs a "devices" list');
  const macs = new Set();
  spec.devices = spec.devices.map((d, index) => {
    if (!Device.models.includes(d.model)) throw new Error(`unknown model ${d.model}`);
    if (!isLoopback(d.address || '')) throw new Error(`not a loopback address: ${d.address}`);
    const port = d.port == null ? 9999 : d.port;
    let mac = d.mac || defaultMac(d.address, index, port);
    if (macs.has(mac)) mac = defaultMac(`${d.address}:${port}`, index, port, true);
    macs.add(mac);
    const deviceId = d.deviceId || sha1Hex(mac).toUpperCase();
    return { ...d, port, mac, deviceId };
  });
  return spec;
}

function defaultMac(address, index, port, hashed = false) {
  const parts = hashed
    ? [...crypto.createHash('sha1').update(`${address}/${index}`).digest().subarray(0, 3)]
    : address.split('.').slice(1).map(Number);
  return ['50', 'C7', 'BF', ...parts.map((n) => n.toString(16).padStart(2, '0').toUpperCase())].join(':');
}

function sha1Hex(text) {
  return crypto.createHash('sha1').update(text).digest('hex');
}

function createRecord(d) {
  const data = { mac: d.mac, deviceId: d.deviceId };
  if (d.alias != null) data.alias = d.alias;
  const device = new Device({ model: d.model, address: d.address, port: d.port, data });
  // The simulator re-emits socket errors here; without a listener Node would crash.
  device.deviceNetworking.on('error', (err) => log(d.address, 'device error:', err.message));
  const rec = {
    spec: d,
    device,
    key: `${d.address}:${d.port}`,
    online: false,
    sockets: new Set(),
    meters: new Map(), // child id or '' -> meter
  };
  if (d.model === 'hs300') {
    childIds(rec).forEach((id, i) => {
      if (d.children && d.children[i] != null) device.data.children[id].sysinfo.alias = d.children[i];
    });
  }
  if (EMETER_MODELS.has(d.model)) {
    const ids = d.model === 'hs300' ? childIds(rec) : [''];
    ids.forEach((id) => rec.meters.set(id, createMeter(rec, id)));
  }
  return rec;
}

function childIds(rec) {
  return rec.spec.model === 'hs300' ? Object.keys(rec.device.data.children) : [];
}

async function startRecord(rec) {
  await rec.device.start();
  rec.online = true;
  if (!rec.recordsRequests) {
    // The last TCP request, so tests can see what a poll asks the device for.
    rec.device.deviceNetworking.on('data', (data) => {
      if (data.protocol === 'tcp') rec.lastRequest = data.message;
    });
    rec.recordsRequests = true;
  }
  // Track connections so /offline can drop them; server.close() alone keeps them alive.
  rec.device.deviceNetworking.server.on('connection', (socket) => {
    rec.accepted = (rec.accepted || 0) + 1;
    rec.sockets.add(socket);
    socket.on('close', () => rec.sockets.delete(socket));
  });
}

async function stopRecord(rec) {
  rec.online = false;
  for (const socket of rec.sockets) socket.destroy();
  rec.sockets.clear();
  await rec.device.stop();
}

function describe(rec) {
  const { spec, device } = rec;
  return {
    address: spec.address,
    port: device.port || spec.port,
    model: spec.model,
    mac: spec.mac,
    deviceId: spec.deviceId,
    alias: device.data.system.sysinfo.alias,
    children: childIds(rec).map((id) => ({ id, alias: device.data.children[id].sysinfo.alias })),
  };
}

function findRecord(address, port) {
  if (!address) throw new HttpError(400, 'address is required');
  const matches = [...records.values()].filter(
    (r) => r.spec.address === address && (port == null || r.spec.port === Number(port)),
  );
  if (matches.length === 0) throw new HttpError(404, `no simulated device at ${address}`);
  return matches[0];
}

function resolveChild(rec, child) {
  if (child == null) return null;
  const ids = childIds(rec);
  if (ids.length === 0) throw new HttpError(400, `${rec.spec.address} has no outlets`);
  if (typeof child === 'number' && ids[child]) return ids[child];
  const text = String(child);
  const found = ids.find((id) => id === text || (text.length === 2 && id.endsWith(text)));
  if (!found) throw new HttpError(404, `no outlet ${child} on ${rec.spec.address}`);
  return found;
}

// ---------------------------------------------------------------- relay

function lightState(rec) {
  const { data } = rec.device;
  return rec.spec.model === 'kl430' ? data['smartlife.iot.lightStrip'].light_state : data.system.sysinfo.light_state;
}

function getRelay(rec, childId) {
  const { data } = rec.device;
  if (childId) return data.children[childId].sysinfo.state ? 1 : 0;
  if (BULB_MODELS.has(rec.spec.model)) return lightState(rec).on_off ? 1 : 0;
  return data.system.sysinfo.relay_state ? 1 : 0;
}

function setRelay(rec, childId, on) {
  const value = on ? 1 : 0;
  const { data } = rec.device;
  if (rec.spec.model === 'hs300') {
    const ids = childId ? [childId] : childIds(rec);
    ids.forEach((id) => { data.children[id].sysinfo.state = value; });
  } else if (BULB_MODELS.has(rec.spec.model)) {
    lightState(rec).on_off = value;
  } else {
    data.system.sysinfo.relay_state = value;
  }
}

// ---------------------------------------------------------------- energy meters

function createMeter(rec, childId) {
  const meter = {
    rec,
    childId: childId || null,
    bulb: BULB_MODELS.has(rec.spec.model),
    statKey: WH_STAT_MODELS.has(rec.spec.model) ? 'energy_wh' : 'energy',
    dynamic: false,
    watts: rec.spec.watts != null ? rec.spec.watts : 60,
    noise: 0.02,
  };
  meter.values = readRealtime(meter); // full-precision copy; bulbs round to milli-units
  seedHistory(meter);
  return meter;
}

function emeterContext(meter) {
  const { data } = meter.rec.device;
  return meter.childId ? data.children[meter.childId].emeter : data.emeter;
}

// Read realtime values the way python-kasa's EmeterStatus does: plain keys win.
function readRealtime(meter) {
  const rt = emeterContext(meter).realtime;
  const pick = (plain, milli) => (rt[plain] != null ? rt[plain] : rt[milli] != null ? rt[milli] / 1000 : null);
  return {
    power: pick('power', 'power_mw'),
    voltage: pick('voltage', 'voltage_mv'),
    current: pick('current', 'current_ma'),
    total: pick('total', 'total_wh'),
  };
}

function writeRealtime(meter, values) {
  const rt = emeterContext(meter).realtime;
  const merged = { ...meter.values, ...values };
  meter.values = merged;
  if (meter.bulb) {
    // Bulbs answer get_realtime with the stored object as is, in milli-units.
    Object.keys(rt).forEach((k) => delete rt[k]);
    const milli = { power: 'power_mw', voltage: 'voltage_mv', current: 'current_ma', total: 'total_wh' };
    Object.entries(milli).forEach(([k, m]) => {
      if (merged[k] != null) rt[m] = Math.round(merged[k] * 1000);
    });
    return;
  }
  // Plugs keep V/A/W/kWh; hs110v2 and hs300 convert to *_mw etc. when answering.
  ['power', 'voltage', 'current', 'total'].forEach((k) => {
    if (merged[k] != null) rt[k] = merged[k];
  });
}

function toStatUnits(meter, kwh) {
  return meter.statKey === 'energy_wh' ? kwh * 1000 : kwh;
}

function fromStatUnits(meter, value) {
  return meter.statKey === 'energy_wh' ? value / 1000 : value;
}

function dayEntry(meter, year, month, day) {
  const list = emeterContext(meter).daystat.day_list;
  let entry = list.find((e) => e.year === year && e.month === month && e.day === day);
  if (!entry) {
    entry = { year, month, day, [meter.statKey]: 0 };
    list.push(entry);
  }
  return entry;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedHistory(meter) {
  const random = mulberry32(parseInt(sha1Hex(`${meter.rec.spec.mac}/${meter.childId || ''}`).slice(0, 8), 16));
  const now = new Date();
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const list = [];
  for (let d = new Date(now.getFullYear() - 1, 0, 1); d.getFullYear() <= now.getFullYear(); d.setDate(d.getDate() + 1)) {
    const kwh = d < today ? 0.2 + random() * 1.3 : 0;
    const value = meter.statKey === 'energy_wh' ? Math.round(kwh * 1000) : Math.round(kwh * 1000) / 1000;
    list.push({ year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), [meter.statKey]: value });
  }
  // The simulator looks entries up with a linear find() on every query and python-kasa
  // asks for the current year on every update, so keep this year's entries first.
  const thisYear = list.filter((e) => e.year === now.getFullYear());
  emeterContext(meter).daystat.day_list = [...thisYear, ...list.filter((e) => e.year !== now.getFullYear())];
}

function todayEntry(meter) {
  const now = new Date();
  return dayEntry(meter, now.getFullYear(), now.getMonth() + 1, now.getDate());
}

function readToday(meter) {
  return fromStatUnits(meter, todayEntry(meter)[meter.statKey]);
}

function dynamicReading(meter) {
  const on = getRelay(meter.rec, meter.childId) === 1;
  const jitter = () => 2 * Math.random() - 1;
  const power = on ? meter.watts * (1 + meter.noise * jitter()) : 0;
  const voltage = meter.noise > 0 ? 120 + 0.5 * jitter() : 120;
  return { power, voltage, current: power / voltage };
}

function tick() {
  const hours = ((settings.tickMs / 1000) * settings.timeScale) / 3600;
  for (const rec of records.values()) {
    for (const meter of rec.meters.values()) {
      if (!meter.dynamic) continue;
      const reading = dynamicReading(meter);
      const kwh = (reading.power * hours) / 1000;
      writeRealtime(meter, { ...reading, total: (meter.values.total || 0) + kwh });
      const entry = todayEntry(meter);
      entry[meter.statKey] += toStatUnits(meter, kwh);
    }
  }
}

function restartTicker() {
  if (tickTimer) clearInterval(tickTimer);
  tickTimer = setInterval(tick, settings.tickMs);
}

function selectMeters(body) {
  const recs = body.address ? [findRecord(body.address, body.port)] : [...records.values()];
  const meters = [];
  for (const rec of recs) {
    const childId = resolveChild(rec, body.child);
    for (const meter of rec.meters.values()) {
      if (!childId || meter.childId === childId) meters.push(meter);
    }
  }
  if (body.address && meters.length === 0) throw new HttpError(400, `${body.address} has no energy meter`);
  return meters;
}

function oneMeter(body) {
  const meters = selectMeters(body);
  if (meters.length !== 1) throw new HttpError(400, 'name one outlet with "child"');
  return meters[0];
}

// ---------------------------------------------------------------- control endpoints

const routes = {
  'POST /relay': (body) => {
    const rec = findRecord(body.address, body.port);
    setRelay(rec, resolveChild(rec, body.child), Boolean(body.on));
    return stateOf(rec);
  },
  'POST /emeter': (body) => {
    const meter = oneMeter(body);
    meter.dynamic = false;
    const values = {};
    ['power', 'voltage', 'current', 'total'].forEach((k) => {
      if (body[k] != null) values[k] = Number(body[k]);
    });
    writeRealtime(meter, values);
    if (body.today != null) todayEntry(meter)[meter.statKey] = toStatUnits(meter, Number(body.today));
    return stateOf(meter.rec);
  },
  'POST /dynamic': (body) => {
    if (body.tickMs != null) settings.tickMs = Number(body.tickMs);
    if (body.timeScale != null) settings.timeScale = Number(body.timeScale);
    const meters = selectMeters(body);
    for (const meter of meters) {
      meter.dynamic = body.on !== false;
      if (body.watts != null) meter.watts = Number(body.watts);
      if (body.noise != null) meter.noise = Number(body.noise);
      // Report the new load at once instead of one tick later.
      if (meter.dynamic) writeRealtime(meter, dynamicReading(meter));
    }
    restartTicker();
    return { ok: true, meters: meters.length, ...settings };
  },
  'POST /daystat': (body) => {
    const meter = oneMeter(body);
    Object.entries(body.days || {}).forEach(([day, kwh]) => {
      dayEntry(meter, Number(body.year), Number(body.month), Number(day))[meter.statKey] = toStatUnits(meter, Number(kwh));
    });
    return { ok: true };
  },
  'POST /delay': (body) => {
    const rec = findRecord(body.address, body.port);
    rec.device.deviceNetworking.responseDelay = Number(body.ms) || 0;
    return stateOf(rec);
  },
  'POST /unreliable': (body) => {
    const rec = findRecord(body.address, body.port);
    rec.device.unreliablePercent = (Number(body.percent) || 0) / 100;
    return stateOf(rec);
  },
  'POST /offline': async (body) => {
    const rec = findRecord(body.address, body.port);
    if (rec.online) await stopRecord(rec);
    return stateOf(rec);
  },
  'POST /online': async (body) => {
    const rec = findRecord(body.address, body.port);
    if (!rec.online) await startRecord(rec);
    return stateOf(rec);
  },
  'GET /state': (body, query) => {
    if (query.get('address')) return stateOf(findRecord(query.get('address'), query.get('port')));
    return { devices: [...records.values()].map(stateOf) };
  },
};

function meterState(meter) {
  if (!meter) return null;
  return { ...meter.values, today: readToday(meter), dynamic: meter.dynamic };
}

function stateOf(rec) {
  const { device } = rec;
  const state = {
    ...describe(rec),
    online: rec.online,
    connectionsAccepted: rec.accepted || 0,
    connectionsOpen: rec.sockets.size,
    lastRequest: rec.lastRequest ? JSON.parse(rec.lastRequest) : null,
    delayMs: device.deviceNetworking.responseDelay,
    unreliablePercent: device.unreliablePercent * 100,
  };
  if (rec.spec.model === 'hs300') {
    state.relay = childIds(rec).some((id) => getRelay(rec, id) === 1) ? 1 : 0;
    state.children = childIds(rec).map((id) => ({
      id,
      alias: device.data.children[id].sysinfo.alias,
      relay: getRelay(rec, id),
      emeter: meterState(rec.meters.get(id)),
    }));
    state.emeter = null;
  } else {
    state.relay = getRelay(rec, null);
    state.emeter = meterState(rec.meters.get(''));
  }
  return state;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (err) {
        reject(new HttpError(400, `invalid JSON: ${err.message}`));
      }
    });
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  let status = 200;
  let payload;
  try {
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    const body = req.method === 'POST' ? await readBody(req) : {};
    payload = await route(body, url.searchParams);
  } catch (err) {
    status = err.status || 500;
    payload = { error: err.message };
  }
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(payload));
}

// ---------------------------------------------------------------- broadcast and lifecycle

function startBroadcast(address, port) {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('error', reject);
    socket.on('message', (msg, rinfo) => {
      for (const rec of records.values()) {
        if (!rec.online) continue;
        try {
          rec.device.deviceNetworking.processUdpMessage(msg, rinfo);
        } catch (err) {
          log('broadcast forward failed:', err.message);
        }
      }
    });
    socket.bind(port, address, () => resolve(socket));
  });
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 2000).unref();
  if (tickTimer) clearInterval(tickTimer);
  if (broadcastSocket) broadcastSocket.close();
  if (controlServer) {
    if (controlServer.closeAllConnections) controlServer.closeAllConnections(); // Node >= 18.2
    controlServer.close();
  }
  await Promise.allSettled([...records.values()].map(stopRecord));
  process.exit(code);
}

function readSpecText() {
  const arg = process.argv[2];
  if (arg && arg !== '-') return Promise.resolve(arg);
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl >= 0) {
        process.stdin.off('data', onData);
        process.stdin.off('end', onEnd);
        resolve(buffer.slice(0, nl));
      }
    };
    const onEnd = () => (buffer.trim() ? resolve(buffer) : reject(new Error('no spec on stdin')));
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', onData);
    process.stdin.on('end', onEnd);
  });
}

async function main() {
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.on('unhandledRejection', (err) => log('unhandled rejection:', err && err.message));
  const spec = normaliseSpec(JSON.parse(await readSpecText()));
  if (spec.watchStdin !== false) {
    process.stdin.on('end', () => shutdown(0));
    process.stdin.resume();
  }
  settings = { tickMs: spec.tickMs || 1000, timeScale: spec.timeScale || 1 };
  // Every device subscribes to the (never started) global UdpServer; avoid the warning.
  UdpServer.setMaxListeners(0);
  spec.devices.forEach((d) => {
    const rec = createRecord(d);
    records.set(rec.key, rec);
  });
  await Promise.all([...records.values()].map(startRecord));
  let broadcast = null;
  if (spec.broadcast) {
    broadcast = { address: spec.broadcastAddress || '127.255.255.255', port: spec.broadcastPort || 9999 };
    if (!broadcast.address.startsWith('127.')) throw new Error('broadcast address must be on 127.0.0.0/8');
    broadcastSocket = await startBroadcast(broadcast.address, broadcast.port);
  }
  controlServer = http.createServer((req, res) => {
    handle(req, res);
  });
  const controlPort = await listen(controlServer);
  restartTicker();
  const ready = {
    pid: process.pid,
    control: `http://127.0.0.1:${controlPort}`,
    broadcast,
    devices: [...records.values()].map(describe),
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((err) => {
  log('ERROR', err && err.stack ? err.stack : err);
  shutdown(1);
});
