/** Unit tests of the harness pieces that need no browser (the browsers run under `pnpm e2e`). */
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, bundleProtocolForBrowser, pageEntry } from '../src/page-bundle.js';
import { firstDifference, makeBytes, makeText, utf8Length } from '../src/page/payloads.js';
import { pageHtml, startStaticServer } from '../src/static-server.js';
import { createTestCertificate } from '../src/tls-cert.js';

describe('payloads', () => {
  it('builds text of exactly the requested UTF-8 size, with multi-byte characters', () => {
    for (const size of [0, 1, 2, 3, 4, 5, 125, 126, 65_536, 1_000_003]) {
      const text = makeText(size, 7);
      expect(utf8Length(text)).toBe(size);
      if (size >= 125) expect(text.length).toBeLessThan(size);
    }
  });

  it('builds deterministic bytes that differ by seed', () => {
    expect(firstDifference(makeBytes(4096, 1), makeBytes(4096, 1))).toBe(-1);
    expect(firstDifference(makeBytes(4096, 1), makeBytes(4096, 2))).toBeGreaterThanOrEqual(0);
    expect(firstDifference(makeBytes(10, 1), makeBytes(11, 1))).toBe(10);
  });
});

describe('page bundle', () => {
  it('bundles the scenarios for the browser without Node built-ins', async () => {
    const bundle = await bundleForBrowser(pageEntry());
    expect(bundle.code).toContain('wstsE2E');
    expect(bundle.inputs.some((input) => input.startsWith('node:'))).toBe(false);
  });
});

describe('@wsts/protocol browser bundle', () => {
  it('pulls in nothing but the protocol package itself: no node: modules, no node_modules', async () => {
    const bundle = await bundleProtocolForBrowser();
    const files = bundle.inputs.filter((input) => input !== 'protocol-entry.js');
    expect(files.length).toBeGreaterThan(5);
    for (const input of files) {
      // The codec is grouped in folders (frames/, handshake/...), all inside its own dist/.
      expect(input).toMatch(/(^|\/)protocol\/dist\/([\w-]+\/)*[\w-]+\.js$/);
      expect(input).not.toContain('node_modules');
    }
    expect(bundle.code).toContain('wstsProtocol');
  });
});

describe('static server', () => {
  it('serves the page and its script, 404 for anything else', async () => {
    const server = await startStaticServer(new Map([['/', { body: pageHtml(['/page.js']), type: 'text/html' }]]));
    try {
      server.set('/page.js', 'void 0;', 'text/javascript');
      const page = await fetch(`${server.origin}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script src="/page.js"></script>');
      expect(await (await fetch(`${server.origin}/page.js`)).text()).toBe('void 0;');
      expect((await fetch(`${server.origin}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('test certificate', () => {
  it('covers 127.0.0.1 and reports the SPKI hash Chromium expects', async () => {
    const certificate = await createTestCertificate();
    try {
      const x509 = new X509Certificate(await readFile(certificate.certFile));
      expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
      const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
      expect(certificate.spkiSha256Base64).toBe(createHash('sha256').update(spki).digest('base64'));
      expect(await readFile(certificate.keyFile, 'utf8')).toContain('PRIVATE KEY');
    } finally {
      await certificate.dispose();
    }
  });
});

describe('event script differences', () => {
  it('rewrites only the listed lines, only for the listed engines', async () => {
    const { asBrowserWouldSee } = await import('../src/event-script-differences.js');
    const node = ['open', 'client-close bufferedAmount after late send=4', 'terminated error isEvent=true readyState=3', 'close'];
    const tolerated: string[] = [];
    expect(asBrowserWouldSee(node, 'chromium', tolerated)).toEqual([
      'open',
      'client-close bufferedAmount after late send=4',
      'close',
    ]);
    expect(tolerated).toHaveLength(1);
    expect(asBrowserWouldSee(node, 'webkit', [])).toEqual(['open', 'client-close bufferedAmount after late send=10', 'close']);
  });
});
