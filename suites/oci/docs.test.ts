import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { startRegistry, type RunningRegistry } from '../../helpers/oci/registry-server.js';
import { repoRoot, runCli } from './run-cli.js';

const COMMAND_PREFIX = 'npx tsx bin/perses-oci.ts ';
const DOC_REGISTRY_HOST = '127.0.0.1:5000';
const DOC_LAYOUT = 'out/environments';

/** Returns the perses-oci commands of every bash block in the document, as argument lists without comments. */
function readDocCommands(markdown: string): string[][] {
  const blocks = [...markdown.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith(COMMAND_PREFIX))
    .map((line) => line.slice(COMMAND_PREFIX.length).replace(/\s+#.*$/, '').trim().split(/\s+/));
}

describe('docs/oci.md', () => {
  const registries: RunningRegistry[] = [];
  let scratchDir: string | undefined;
  afterAll(async () => {
    for (const registry of registries) await registry.stop();
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  });

  it('every example runs from a clone', async () => {
    const commands = readDocCommands(await readFile(path.join(repoRoot, 'docs/oci.md'), 'utf8'));
    scratchDir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-docs-'));
    const layoutDir = path.join(scratchDir, 'environments');
    let registry: RunningRegistry | undefined;

    expect(commands.map((args) => args[0])).toEqual(['build', 'lint', 'registry', 'push', 'lint', 'registry', 'push']);
    for (const args of commands) {
      // The registry runs until Ctrl+C, so start the same registry in-process;
      // every other example runs as written, on this registry's port.
      if (args[0] === 'registry') {
        const htpasswd = args[args.indexOf('--htpasswd') + 1];
        const [username = '', password = ''] = args.includes('--htpasswd') && htpasswd ? htpasswd.split(':') : [];
        registry = await startRegistry(username ? { auth: { username, password } } : {});
        registries.push(registry);
        continue;
      }
      const host = registry?.host ?? DOC_REGISTRY_HOST;
      const runnable = args.map((arg) => arg.replace(DOC_REGISTRY_HOST, host).replace(DOC_LAYOUT, layoutDir));

      const result = await runCli(runnable);

      expect(result.stderr, args.join(' ')).not.toContain('perses-oci:');
      expect(result.code, args.join(' ')).toBe(0);
      if (args[0] === 'lint' && args[1]?.startsWith(DOC_REGISTRY_HOST)) expect(result.stdout).toContain('! warning: ociArtifacts.image.reference');
    }
  });

  it('documents --htpasswd and blob unknown logs', async () => {
    const markdown = await readFile(path.join(repoRoot, 'docs/oci.md'), 'utf8');

    expect(markdown).toContain('--htpasswd user:password');
    expect(markdown).toContain('err.code="blob unknown"');
  });
});
