// Detects provisioning passes from outside: Perses updates every
// provisioned resource on every pass, which increments its
// metadata.version, so a sentinel project's version counts the passes.

import { waitUntil } from '../wait/wait.js';
import type { PersesClient } from './client.js';
import { projectResource, resourceFileContent } from './resources.js';
import { writeProvisioningFile } from './provisioning-folder.js';

/** Slack on top of the passes' own time, for a busy machine. */
const PASS_SLACK_MS = 10_000;

export interface PassCounter {
  /**
   * Waits until `count` passes have started after the call, so that every
   * file written before the call has been read by at least one full pass.
   */
  waitForPasses(count?: number): Promise<void>;
}

/** Provisions a sentinel project named `name` and waits until the first pass has loaded it. */
export async function startPassCounter(client: PersesClient, provisioningDir: string, name: string, intervalMs: number): Promise<PassCounter> {
  await writeProvisioningFile(provisioningDir, `${name}.json`, resourceFileContent(projectResource(name)));

  const versionNow = async (): Promise<number | { pending: string }> => {
    const project = await client.getProject(name);
    return project ? (project.metadata.version ?? 0) : { pending: `project ${name} is not provisioned yet` };
  };
  await waitUntil(versionNow, { what: `the sentinel project ${name} to be provisioned`, budget: intervalMs * 2 + PASS_SLACK_MS });

  return {
    async waitForPasses(count = 2) {
      const start = await waitUntil(versionNow, { what: `the sentinel project ${name}`, budget: PASS_SLACK_MS });
      // One more pass than asked for: the first may have started before the call.
      const target = start + count + 1;
      await waitUntil(
        async () => {
          const version = await versionNow();
          if (typeof version !== 'number') return version;
          return version >= target ? version : { pending: `sentinel version ${version}, waiting for ${target}` };
        },
        { what: `${count} provisioning passes (sentinel version ${target})`, budget: intervalMs * (count + 2) + PASS_SLACK_MS },
      );
    },
  };
}
