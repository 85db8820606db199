// Expected Perses API content after a rollout, compared by spec digest.

import type { PersesClient, PersesResource } from '../perses/client.js';
import { dashboardResource, specDigest } from '../perses/resources.js';
import { waitUntil } from '../wait/wait.js';
import { LIVE_DATASOURCE, LIVE_PROJECT } from './artifacts.js';

export interface ExpectedContent {
  /** Dashboards that must be listed, by name, with their spec digest. */
  present: Record<string, string>;
  /** Dashboards that must not be listed. */
  absent: string[];
}

/** Dashboards as the API listed them: name to spec digest. */
export type ObservedDashboards = Record<string, string>;

/** Returns the digest of a listed dashboard, keeping only the spec fields the suite's dashboards set. */
function digestOf(dashboard: PersesResource): string {
  return specDigest(dashboard.spec, dashboardResource(LIVE_PROJECT, dashboard.metadata.name, 'shape').spec);
}

/**
 * Waits until the API lists the project, its datasource and the expected
 * dashboards with the expected digests, and none of the absent ones.
 * Returns every dashboard listed in the project.
 */
export async function waitForContent(client: PersesClient, expected: ExpectedContent, options: { what: string; log?: (line: string) => void }): Promise<ObservedDashboards> {
  return waitUntil(
    async () => {
      if (!(await client.getProject(LIVE_PROJECT))) return { pending: `project ${LIVE_PROJECT} is not listed` };
      if (!(await client.getDatasource(LIVE_PROJECT, LIVE_DATASOURCE))) return { pending: `datasource ${LIVE_PROJECT}/${LIVE_DATASOURCE} is not listed` };

      const observed: ObservedDashboards = Object.fromEntries((await client.listDashboards(LIVE_PROJECT)).map((dashboard) => [dashboard.metadata.name, digestOf(dashboard)]));
      const problems: string[] = [];
      for (const [name, digest] of Object.entries(expected.present)) {
        if (observed[name] === undefined) problems.push(`${name} missing`);
        else if (observed[name] !== digest) problems.push(`${name} has spec ${observed[name]?.slice(0, 19)}, expected ${digest.slice(0, 19)}`);
      }
      for (const name of expected.absent) {
        if (observed[name] !== undefined) problems.push(`${name} still listed`);
      }
      return problems.length === 0 ? observed : { pending: `dashboards ${JSON.stringify(Object.keys(observed).sort())}: ${problems.join(', ')}` };
    },
    { what: options.what, budget: 'apiVisible', ...(options.log ? { log: options.log } : {}) },
  );
}
