import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { HelmBinary } from './binaries.ts'

/**
 * Writes a shell script that replaces helm in engine tests: it prints
 * `version` for `helm version` and runs `template` (a shell snippet) for
 * every other command. Returns it as a HelmBinary of major 3.
 */
export async function writeFakeHelm(options: { version?: string; template: string; name?: string; dir?: string }): Promise<HelmBinary> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'fake-helm-')))
  const file = path.join(dir, options.name ?? 'helm')
  const version = options.version ?? 'v3.99.0'
  await writeFile(file, `#!/bin/sh\nif [ "$1" = version ]; then echo ${version}; exit 0; fi\n${options.template}\n`)
  await chmod(file, 0o755)
  return { major: 3, version, path: file, source: 'HELM_BIN' }
}

/** Returns a template snippet that prints one ConfigMap with the given name. */
export function printConfigMap(name: string): string {
  return `printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: ${name}\\n'`
}
