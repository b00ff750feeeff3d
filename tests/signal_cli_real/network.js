// A local Signal network for the signal_cli_real tests: Signal's own test server
// (@signalapp/mock-server 15.2.0, pinned in package-lock.json) on 127.0.0.1, with the few changes
// the real signal-cli 0.13.19 needs to link to it and talk through it, and a control port for the
// tests. Loopback only; every port is picked by the system and printed.
//
// usage: node network.js NAME... (the mock Signal users besides "bot", the phone of the bot's
// account that signal-cli links to). Prints one line, {"signal":PORT,"control":PORT}, once both
// listen; then logs to stderr.
//
// Control (HTTP GET, JSON answers):
//   /state                          every user's number and ACI, and the linked device
//   /link?uri=sgnl://...            the bot's phone accepts signal-cli's link request
//   /send?from=NAME&text=...        NAME writes to the bot (to signal-cli's linked device)
//   /send?from=NAME&kind=K&text=... NAME sends something else than words, as a Signal app does:
//                                   K is voice_note, picture, file, view_once, sticker,
//                                   reaction, deletion, edit or call (text: a caption, an
//                                   edit's new words)
//   /inbox?of=NAME&since=N&wait=MS  what NAME received and decrypted, from the N-th on
//   /sends?to=NAME                  how many sends to NAME reached the server (refused included)
//   /fault?captcha=NAME|off         sends from the bot to NAME answered 428 (a captcha challenge)
//   /fault?challenge=CODE           the answer to a submitted captcha (428: rejected)
//   /fault?http429=NAME&after=S     sends to NAME answered 429, Retry-After S (none: no header)
//   /fault?http429=off
//   /fault?unregister=NAME|register=NAME
//   /rekey?who=NAME                 NAME's identity key changes (a reinstalled phone): its next
//                                   message is one signal-cli does not trust
//   /linked                         signal-cli's device: its open WebSockets (1 while it
//                                   receives) and the messages queued for it at the server
// GPL-3.0-or-later
'use strict';

const crypto = require('crypto');
const http = require('http');
const { EventEmitter } = require('events');
const { Readable } = require('stream');

const mock = require('@signalapp/mock-server');
const { signalservice: proto } = require('@signalapp/mock-server/protos/compiled');
const { Connection } = require('@signalapp/mock-server/src/server/ws/connection');
const { Router } = require('@signalapp/mock-server/src/server/ws/router');
const schemas = require('@signalapp/mock-server/src/data/schemas');
const { parseAuthHeader } = require('@signalapp/mock-server/src/util');
const { IdentityKeyPair } = require('@signalapp/libsignal-client');

const names = process.argv.slice(2);
const say = (...what) => console.error(new Date().toISOString().slice(11, 23), 'network:', ...what);
// A peer that hangs up mid-request must not end the network.
process.on('unhandledRejection', (error) => say('kept running after:', String(error && error.message).slice(0, 200)));

// --- What signal-cli 0.13.19 expects of the server ----------------------------------------------

// Service ids as text (signal-cli's protobuf has the string fields only).
function serviceIdText(binary) {
  if (!binary) return undefined;
  const b = Buffer.from(binary);
  const uuid = (u) => [u.subarray(0, 4), u.subarray(4, 6), u.subarray(6, 8), u.subarray(8, 10), u.subarray(10, 16)]
    .map((part) => part.toString('hex')).join('-');
  if (b.length === 16) return uuid(b);
  if (b.length === 17 && b[0] === 1) return 'PNI:' + uuid(b.subarray(1));
  return undefined;
}

// Appends string fields to a protobuf encoding (field number, text).
function withStrings(type, fields) {
  const encode = type.encode;
  type.encode = function (message, writer) {
    const out = encode.call(this, message, writer);
    for (const [field, text] of fields(message)) if (text) out.uint32((field << 3) | 2).string(text);
    return out;
  };
}
// Envelopes: sourceServiceId (11), destinationServiceId (13), updatedPni (15), and a serverGuid (9),
// without which signal-cli fails on a null.
withStrings(proto.Envelope, (m) => [
  [11, serviceIdText(m.sourceServiceIdBinary)],
  [13, serviceIdText(m.destinationServiceIdBinary)],
  [15, serviceIdText(m.updatedPniBinary)],
  [9, m.serverGuid ? undefined : serviceIdText(m.serverGuidBinary) || crypto.randomUUID()],
]);
// The link's ProvisionMessage: aci (8) and pni (10) as text.
withStrings(proto.ProvisionMessage, (m) => [[8, serviceIdText(m.aciBinary)], [10, serviceIdText(m.pniBinary)]]);

// Key uploads carry "signedPreKey": null and the like; the mock's schema wants them absent.
const parseKeys = schemas.DeviceKeysSchema.parse.bind(schemas.DeviceKeysSchema);
schemas.DeviceKeysSchema.parse = (value) =>
  parseKeys(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)));

// signal-cli's provisioning socket never answers the server's two requests; the mock awaited them.
Connection.prototype.handleProvision = async function (id) {
  void this.send('PUT', '/v1/address', { body: proto.ProvisioningAddress.encode({ address: id }).finish() });
  const { envelope } = await this.server.getProvisioningResponse(id);
  void this.send('PUT', '/v1/message', { body: envelope });
};

// Every chat request, over the WebSocket or over plain HTTPS, goes through Router.run: the
// requests the mock lacks are answered here, the tests' faults applied, sends counted.
const faults = { captcha: new Set(), http429: new Map() };
const sendsTo = new Map();  // ACI -> sends that reached the server
const run = Router.prototype.run;
Router.prototype.run = async function (request) {
  const path = (request.path || '').split('?')[0];
  const reply = (status, json, headers = []) => ({
    status,
    headers: ['Content-Type:application/json', ...headers],
    body: Buffer.from(JSON.stringify(json)),
  });
  // signal-cli's start-up check of its account.
  if (request.verb === 'PUT' && /^\/v1\/accounts\/attributes\/?$/.test(path)) return reply(204, {});
  const send = request.verb === 'PUT' && path.match(/^\/v1\/messages\/([0-9a-fA-F-]{36})$/);
  if (send) {
    const target = send[1].toLowerCase();
    sendsTo.set(target, (sendsTo.get(target) || 0) + 1);
    if (faults.http429.has(target)) {
      const after = faults.http429.get(target);
      return reply(429, { error: 'rate limited' }, after === 'none' ? [] : [`Retry-After:${after}`]);
    }
  }
  return run.call(this, request);
};

const server = new mock.Server({
  cdn3Path: process.env.GVO_NETWORK_DIR + '/cdn3',
  updates2Path: process.env.GVO_NETWORK_DIR + '/updates2',
});

// A request signal-cli sends as plain HTTPS (the link, key uploads...), run through a router of
// a connection that is never the device's WebSocket. signal-cli names a primary by its number;
// the mock knows accounts by ACI.
class Detached extends EventEmitter { send() {} close() {} }
async function throughRouter(req, res, body) {
  const connection = new Connection(req, new Detached(), server);
  let auth = req.headers.authorization;
  const linking = req.method === 'PUT' && req.url.startsWith('/v1/devices/link');
  if (auth && auth.startsWith('Basic ') && !linking) {
    const [user, ...password] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    const [who, device] = user.split('.');
    const primary = Object.values(users).find((u) => u.device.number === who);
    if (primary) {
      auth = 'Basic ' + Buffer.from(`${primary.device.aci}${device ? '.' + device : ''}:${password.join(':')}`).toString('base64');
    }
  }
  if (auth && !linking) {
    const { username, password } = parseAuthHeader(auth, { allowEmptyPassword: true });
    const device = username ? await server.auth(username, password) : undefined;
    if (!device) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"error":"auth"}');
    }
    connection.device = device;
    connection.router.setIsAuthenticated(true);
  }
  const headers = Object.entries(req.headers).filter(([k]) => !k.startsWith(':')).map(([k, v]) => `${k}:${v}`);
  const out = await connection.router.run({ verb: req.method, path: req.url, body: body.length ? body : undefined, headers, id: 1 });
  const outHeaders = {};
  for (const line of out.headers || []) {
    const colon = line.indexOf(':');
    outHeaders[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1);
  }
  res.writeHead(out.status, outHeaders);
  res.end(out.body || Buffer.alloc(0));
}
// What the mock's own HTTP handler serves (CDN, storage, groups); the rest is chat API.
const OWN_HTTP = /^\/(updates2|cdn3|attachments|stickers)\/|^\/v2\/(conference|groups)|^\/v1\/call-link|^\/v1\/storage(\/|$)/;

const users = {};  // name -> mock primary device ("bot" is the phone of the bot's account)
let linked;        // signal-cli's device, once linked
const inboxes = {};  // name -> [{at, text}]
const waiting = [];  // inbox readers waiting for the next message
const hasSession = new Set();
const outgoing = {};  // name -> the promise of that user's last message

// The Content a Signal app sends for something else than words (SignalService.proto). The
// attachments point at nothing on a CDN: signal-cli runs with --ignore-attachments, as the unit
// runs it, and only reports them.
function otherContent(kind, text, timestamp, botAci) {
  const pointer = (contentType, flags) => ({
    cdnKey: crypto.randomBytes(12).toString('hex'),
    cdnNumber: 3,
    contentType,
    key: crypto.randomBytes(64),
    size: 4096,
    digest: crypto.randomBytes(32),
    flags,  // 1: a voice message
    uploadTimestamp: timestamp,
  });
  const data = { timestamp, body: text || undefined };
  switch (kind) {
    case 'voice_note': data.attachments = [pointer('audio/aac', 1)]; break;
    case 'picture': data.attachments = [pointer('image/jpeg', 0)]; break;
    case 'file': data.attachments = [pointer('application/pdf', 0)]; break;
    case 'view_once': data.attachments = [pointer('image/jpeg', 0)]; data.isViewOnce = true; break;
    case 'sticker':
      data.sticker = {
        packId: crypto.randomBytes(16), packKey: crypto.randomBytes(32), stickerId: 1,
        data: pointer('image/webp', 0), emoji: '\u{1F44D}',
      };
      break;
    case 'reaction':
      data.reaction = {
        emoji: '\u{1F44D}', remove: false, targetSentTimestamp: timestamp - 1000,
        targetAuthorAciBinary: Buffer.from(botAci.replace(/-/g, ''), 'hex'),
      };
      break;
    case 'deletion': data.delete = { targetSentTimestamp: timestamp - 1000 }; break;
    case 'edit': return { editMessage: { targetSentTimestamp: timestamp - 1000, dataMessage: data } };
    case 'call':
      return { callMessage: { offer: { id: timestamp, type: 0, opaque: crypto.randomBytes(16) } } };
    default: throw new Error('no such kind: ' + kind);
  }
  return { dataMessage: data };
}

function byName(name) {
  const user = users[name];
  if (!user) throw Object.assign(new Error('no user ' + name), { status: 404 });
  return user;
}

async function main() {
  await server.listen(0, '127.0.0.1');
  const https = server.https;
  const own = https.listeners('request');
  https.removeAllListeners('request');
  https.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (OWN_HTTP.test(req.url.split('?')[0])) {
        const replay = Readable.from(body.length ? [body] : []);
        for (const k of ['method', 'url', 'headers', 'httpVersion', 'socket']) replay[k] = req[k];
        for (const listener of own) listener.call(https, replay, res);
        return;
      }
      try {
        await throughRouter(req, res, body);
      } catch (error) {
        say('request failed:', req.method, req.url.split('?')[0], String(error.message).slice(0, 160));
        res.writeHead(500);
        res.end();
      }
    });
  });

  for (const name of ['bot', ...names]) {
    users[name] = await server.createPrimaryDevice({ profileName: name });
    inboxes[name] = [];
    if (name === 'bot') continue;
    (async () => {
      for (;;) {
        let message;
        try {
          message = await users[name].waitForMessage();
        } catch (error) {
          say(name, 'could not read a message:', String(error && error.message).slice(0, 200));
          continue;
        }
        // Only what a person reads: not the empty data messages that carry a profile key or a
        // disappearing-message timer.
        if (!message.body) continue;
        inboxes[name].push({ at: Date.now(), text: message.body, from: message.source.aci });
        for (const wake of waiting.splice(0)) wake();
      }
    })();
  }

  const control = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const q = (k) => url.searchParams.get(k);
    const answer = (status, json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json) + '\n');
    };
    try {
      switch (url.pathname) {
        case '/state':
          return answer(200, {
            users: Object.fromEntries(Object.entries(users).map(([n, u]) => [n, { number: u.device.number, aci: u.device.aci }])),
            linked: linked ? { aci: linked.aci, device: linked.deviceId } : null,
          });
        case '/link': {
          const pending = await server.waitForProvision();
          linked = await pending.complete({ provisionURL: q('uri'), primaryDevice: users.bot });
          say('signal-cli linked as device', linked.deviceId, 'of the bot account');
          return answer(200, { aci: linked.aci, device: linked.deviceId, number: users.bot.device.number });
        }
        case '/send': {
          if (!linked) return answer(409, { error: 'not linked' });
          const from = byName(q('from'));
          if (!hasSession.has(q('from'))) {
            // As Desktop's own tests do: the sender takes one of the linked device's one-time keys.
            const key = await linked.popSingleUseKey(mock.ServiceIdKind.ACI);
            await from.addSingleUseKey(linked, key, mock.ServiceIdKind.ACI);
            hasSession.add(q('from'));
          }
          // Queued in the sender's order; the answer does not wait for delivery (which waits for
          // signal-cli to receive: with --receive-mode manual, for a subscriber).
          const text = q('text') || '';
          const kind = q('kind');
          const timestamp = Date.now();
          const content = kind ? otherContent(kind, text, timestamp, users.bot.device.aci) : null;
          outgoing[q('from')] = (outgoing[q('from')] || Promise.resolve())
            .then(() => (content ? from.sendRaw(linked, content, { timestamp })
                                 : from.sendText(linked, text, { withProfileKey: true })))
            .catch((error) => say('a message of', q('from'), 'was not sent:', String(error.message).slice(0, 160)));
          return answer(200, { queued: true });
        }
        case '/inbox': {
          const box = inboxes[q('of')];
          if (!box) return answer(404, { error: 'no user' });
          const since = Number(q('since') || 0);
          const wait = Number(q('wait') || 0);
          if (box.length <= since && wait > 0) {
            await Promise.race([new Promise((wake) => waiting.push(wake)), new Promise((r) => setTimeout(r, wait))]);
          }
          return answer(200, box.slice(since));
        }
        case '/linked':
          if (!linked) return answer(409, { error: 'not linked' });
          return answer(200, {
            sockets: (server.webSockets.get(linked) || new Set()).size,
            queued: (server.messageQueue.get(linked) || []).length,
          });
        case '/sends':
          return answer(200, { sends: sendsTo.get(byName(q('to')).device.aci) || 0 });
        case '/fault': {
          const bot = users.bot.device.aci;
          if (q('captcha') === 'off') {
            for (const aci of faults.captcha) server.stopRateLimiting({ source: bot, target: aci });
            faults.captcha.clear();
          } else if (q('captcha')) {
            const aci = byName(q('captcha')).device.aci;
            faults.captcha.add(aci);
            // signal-cli sends as its linked device, under the account's ACI.
            server.rateLimit({ source: bot, target: aci });
          }
          if (q('challenge')) server.respondToChallengesWith(Number(q('challenge')));
          if (q('http429') === 'off') faults.http429.clear();
          else if (q('http429')) faults.http429.set(byName(q('http429')).device.aci, q('after') || 'none');
          if (q('unregister')) server.unregister(byName(q('unregister')));
          if (q('register')) server.register(byName(q('register')));
          return answer(200, { ok: true });
        }
        case '/rekey': {
          // A reinstalled phone: a new identity key pair, its keys uploaded again, no sessions.
          const name = q('who');
          const user = byName(name);
          const ACI = mock.ServiceIdKind.ACI;
          const pair = IdentityKeyPair.generate();
          user.privateKey = pair.privateKey;
          user.publicKey = pair.publicKey;
          const store = user.identity.get(ACI);
          await store.updateIdentityKey(pair.privateKey);
          await store.saveIdentity(user.device.getAddressByKind(ACI), pair.publicKey);
          user.sessions = new user.sessions.constructor();
          await server.updateDeviceKeys(user.device, ACI, await user.generateKeys(user.device, ACI));
          hasSession.delete(name);
          say(name, 'has a new identity key');
          return answer(200, { ok: true });
        }
        default:
          return answer(404, { error: 'unknown' });
      }
    } catch (error) {
      say('control', url.pathname, 'failed:', String(error.stack).slice(0, 300));
      return answer(error.status || 500, { error: String(error.message) });
    }
  });
  await new Promise((up) => control.listen(0, '127.0.0.1', up));
  process.stdout.write(JSON.stringify({ signal: https.address().port, control: control.address().port }) + '\n');
  say('up:', Object.entries(users).map(([n, u]) => `${n}=${u.device.aci}`).join(' '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
