#!/usr/bin/env node
// The `wsts-chat` command: the chat server from the build (src/bin/chat.ts). This committed file,
// rather than dist/bin/chat.js itself, is the bin so that installing the workspace before its first
// build finds a file to link.
import '../dist/bin/chat.js';
