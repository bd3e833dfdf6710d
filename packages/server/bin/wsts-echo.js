#!/usr/bin/env node
// The `wsts-echo` command: the echo server from the ESM build (src/bin/echo.ts). This committed file,
// rather than dist/bin/echo.js itself, is the bin so that installing the workspace before its first
// build finds a file to link.
import '../dist/bin/echo.js';
