#!/usr/bin/env node
/*
 * A Socket.IO client written from kasa-monitor-api.md's snippet, with the npm socket.io-client
 * package (a client nobody here wrote). Usage:
 *   node spec_client.js <base url> <device ip | all>
 * The access token comes on stdin (never in a URL). Prints one JSON line per event received
 * ({"on": name, "data": ...}); exits when stdin closes.
 */
'use strict';

const { io } = require('socket.io-client');

const readline = require('node:readline');

const [url, target] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin });
lines.once('line', (token) => start(token.trim()));
lines.once('close', () => process.exit(0)); // the test ended

function print(on, data) {
  process.stdout.write(JSON.stringify({ on, data }) + '\n');
}

function start(token) {
  const socket = io(url, { auth: { token }, reconnection: false });
  socket.on('connect', () => {
    print('connect', null);
    if (target === 'all') socket.emit('subscribe_all');
    else socket.emit('subscribe_device', { device_ip: target });
  });
  socket.on('connect_error', (err) => print('connect_error', { message: err.message, data: err.data }));
  for (const name of ['subscribed', 'device_update', 'device_status', 'session_ended', 'error']) {
    socket.on(name, (data) => print(name, data));
  }
  socket.on('disconnect', (reason) => print('disconnect', reason));
}
