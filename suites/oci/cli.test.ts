import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { findFreePort, findRegistryBinary } from '../../helpers/oci/registry-server.js';
import { runCli } from './run-cli.js';

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
