#!/usr/bin/env node
// The `wsts-example` command: the seed's example server from the ESM build (src/bin/example.ts). This
// committed file, rather than dist/bin/example.js itself, is the bin so that installing the workspace
// before its first build finds a file to link.
import '../dist/bin/example.js';
