/**
 * The chat page served at `GET /`: plain HTML, one inline style and one inline script, and the
 * browser's own WebSocket. Every text from the network is put into the page with `textContent`,
 * never parsed as HTML; the Content-Security-Policy allows only this page's own script and style
 * (by hash), so even a bug that inserted markup could not run a script.
 * @module
 */
import { createHash } from 'node:crypto';
import type { ChatLimits } from './limits.js';

const STYLE = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem; }
form { display: flex; gap: .5rem; margin: .5rem 0; }
input[type=text] { flex: 1; padding: .3rem; }
#messages { list-style: none; padding: .5rem; margin: 0; height: 60vh; overflow-y: auto; border: 1px solid #bbb; }
#messages .name { font-weight: bold; margin-right: .4rem; }
#messages .notice { color: #666; font-style: italic; }
#status { color: #444; min-height: 1.4em; }
`;

// Plain ES2017, no template literals: the page must run as is in every current browser.
const SCRIPT = `
'use strict';
(function () {
  var body = document.body;
  var limits = {
    room: Number(body.dataset.maxRoomLength),
    name: Number(body.dataset.maxNameLength),
    message: Number(body.dataset.maxMessageBytes)
  };
  var ROOM = /^[A-Za-z0-9_-]+$/;
  var joinForm = document.getElementById('join');
  var nameInput = document.getElementById('name');
  var roomInput = document.getElementById('room');
  var sendForm = document.getElementById('send');
  var textInput = document.getElementById('text');
  var sendButton = document.getElementById('send-button');
  var list = document.getElementById('messages');
  var status = document.getElementById('status');
  var encoder = new TextEncoder();
  var socket = null;

  function setStatus(text) { status.textContent = text; }
  function append(item) {
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }
  function notice(text) {
    var item = document.createElement('li');
    item.className = 'notice';
    item.textContent = text;
    append(item);
  }
  function message(name, text) {
    var item = document.createElement('li');
    var who = document.createElement('span');
    who.className = 'name';
    who.textContent = name;
    var what = document.createElement('span');
    what.className = 'text';
    what.textContent = text;
    item.appendChild(who);
    item.appendChild(what);
    append(item);
  }
  function connected(open) {
    textInput.disabled = !open;
    sendButton.disabled = !open;
  }

  joinForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = nameInput.value.trim() || 'anonymous';
    var room = roomInput.value.trim();
    if (room.length === 0 || room.length > limits.room || !ROOM.test(room)) {
      setStatus('A room name is 1 to ' + limits.room + ' letters, digits, "-" or "_".');
      return;
    }
    if (Array.from(name).length > limits.name) {
      setStatus('A name is at most ' + limits.name + ' characters.');
      return;
    }
    if (socket !== null) socket.close(1000, 'changing rooms');
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var current = new WebSocket(scheme + location.host + '/room/' + room + '?name=' + encodeURIComponent(name));
    socket = current;
    connected(false);
    setStatus('joining ' + room + '...');
    current.addEventListener('open', function () {
      if (current !== socket) return;
      connected(true);
      setStatus('in room ' + room + ' as ' + name);
      notice('joined ' + room);
      textInput.focus();
    });
    current.addEventListener('message', function (event) {
      if (current !== socket) return;
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (typeof data.name === 'string' && typeof data.text === 'string') message(data.name, data.text);
    });
    current.addEventListener('close', function (event) {
      if (current !== socket) return;
      socket = null;
      connected(false);
      setStatus('disconnected (' + event.code + (event.reason ? ': ' + event.reason : '') + ')');
    });
  });

  sendForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = textInput.value;
    if (socket === null || socket.readyState !== WebSocket.OPEN || text.length === 0) return;
    if (encoder.encode(text).length > limits.message) {
      setStatus('A message is at most ' + limits.message + ' bytes.');
      return;
    }
    socket.send(text);
    textInput.value = '';
  });
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Only this page's own style and script run, it may connect only to its own origin's WebSockets, and
 * it may not be framed. `connect-src` names ws: and wss: besides 'self' for browsers that do not
 * count WebSocket URLs of the same host as 'self'.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page and the headers it is served with, for the given limits. */
export function chatPage(limits: ChatLimits): { body: string; headers: Record<string, string> } {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsts chat</title>
<style>${STYLE}</style>
</head>
<body data-max-room-length="${limits.maxRoomLength}" data-max-name-length="${limits.maxNameLength}" data-max-message-bytes="${limits.maxMessageBytes}">
<h1>wsts chat</h1>
<form id="join">
<input id="name" type="text" placeholder="your name" maxlength="${limits.maxNameLength}" autocomplete="nickname">
<input id="room" type="text" placeholder="room" value="lobby" maxlength="${limits.maxRoomLength}">
<button type="submit">Join</button>
</form>
<p id="status">not in a room</p>
<ul id="messages"></ul>
<form id="send">
<input id="text" type="text" placeholder="message" autocomplete="off" disabled>
<button id="send-button" type="submit" disabled>Send</button>
</form>
<script>${SCRIPT}</script>
</body>
</html>
`;
  return {
    body,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  };
}
