import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { lintArtifact } from '../../helpers/oci/lint.js';
import { findFreePort, findRegistryBinary, startRegistry, type RunningRegistry } from '../../helpers/oci/registry-server.js';
import { repoRoot, runCli } from './run-cli.js';

const scratchDirs: string[] = [];

async function makeScratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
});

describe('perses-oci registry', () => {
  it('taken port fails before starting', async () => {
    // An HTTP server that responds to /v2/ like a registry, so only a bind test can tell.
    const squatter = createServer((_request, response) => response.end('{}'));
    const port = await findFreePort();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const tmpDir = await makeScratchDir('perses-oci-cli-tmp-');

    try {
      const result = await runCli(['registry', '--port', String(port)], { env: { TMPDIR: tmpDir }, timeoutMs: 10_000 });

      expect(result.timedOut).toBe(false);
      expect(result.code).not.toBe(0);
      expect(result.stdout).not.toContain('listening');
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect((await readdir(tmpDir)).filter((name) => name.startsWith('perses-oci-registry-'))).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('dead registry child fails the command', async () => {
    const dir = await makeScratchDir('perses-oci-cli-dying-');
    const pidFile = path.join(dir, 'registry.pid');
    const wrapper = path.join(dir, 'docker-registry');
    // exec keeps the shell's pid, so the pid file names docker-registry itself.
    await writeFile(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nexec '${await findRegistryBinary()}' "$@"\n`);
    await chmod(wrapper, 0o755);
    let killed = false;

    const result = await runCli(['registry', '--port', String(await findFreePort())], {
      env: { PERSES_OCI_REGISTRY_BIN: wrapper },
      timeoutMs: 10_000,
      onStdout: (stdout) => {
        if (killed || !stdout.includes('registry listening')) return;
        killed = true;
        void readFile(pidFile, 'utf8').then((pid) => process.kill(Number(pid), 'SIGKILL'));
      },
    });

    const storageDir = /storage (\S+);/.exec(result.stdout)?.[1] ?? '';
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('docker-registry exited unexpectedly (signal SIGKILL); last output:');
    expect(storageDir).not.toBe('');
    expect(existsSync(path.dirname(storageDir))).toBe(false);
  });
});

describe('perses-oci push', () => {
  let registry: RunningRegistry;
  let largeDir: string;
  beforeAll(async () => {
    registry = await startRegistry();
    // Random bytes do not compress, so the layer stays above the 8 MiB progress threshold.
    largeDir = await makeScratchDir('perses-oci-cli-large-');
    await writeFile(path.join(largeDir, 'large.bin'), randomBytes(9 * 1024 * 1024));
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('printed values lint clean', async () => {
    const result = await runCli(['push', 'fixtures/oci/environments/artifact/prod', `${registry.host}/perses/snippet:v1`]);
    const pinned = /^digest: (\S+)$/m.exec(result.stdout)?.[1] ?? '';
    const block = result.stdout.slice(result.stdout.indexOf('\n\n') + 2);

    const report = await lintArtifact({ artifact: `${registry.host}/perses/snippet:v1`, values: parseYaml(block) as Record<string, unknown> });

    expect(result.code).toBe(0);
    expect(block).toContain('merge into your values');
    expect(block).toContain(`reference: "${registry.host}/perses/snippet@${pinned}"`);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('large blob shows progress', async () => {
    const result = await runCli(['push', largeDir, `${registry.host}/perses/large:v1`]);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^blob sha256:[a-f0-9]{12} \(9\.0 MiB\): 8\.0 of 9\.0 MiB sent$/m);
    expect(result.stderr).toMatch(/^blob sha256:[a-f0-9]{12} \(9\.0 MiB\): 9\.0 of 9\.0 MiB sent, done$/m);
  });

  it('--quiet hides the progress', async () => {
    const result = await runCli(['push', '--quiet', largeDir, `${registry.host}/perses/large-quiet:v1`]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`pushed ${registry.host}/perses/large-quiet:v1`);
  });
});
