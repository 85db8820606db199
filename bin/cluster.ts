// Command line for the local single-node cluster:
//   npx tsx bin/cluster.ts up|down|status [--verbose] [--keep-on-failure]

import { readClusterStatus, startCluster, stopCluster } from '../helpers/cluster/cluster.js';
import { createReporter, formatDuration } from '../helpers/cluster/report.js';

const USAGE = `usage: npx tsx bin/cluster.ts up|down|status [--verbose] [--keep-on-failure]
  up       build missing binaries, start the cluster and wait until it is ready
  down     stop the cluster and remove everything it created
  status   show which components run
  --verbose          print details of each step (also CLUSTER_VERBOSE=1)
  --keep-on-failure  leave a failed start running for inspection (also CLUSTER_KEEP_ON_FAILURE=1)`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  const verbose = argv.includes('--verbose') || process.env.CLUSTER_VERBOSE === '1';
  const keepOnFailure = argv.includes('--keep-on-failure') || process.env.CLUSTER_KEEP_ON_FAILURE === '1';
  const reporter = createReporter({ verbose });

  switch (command) {
    case 'up': {
      const { record } = await startCluster({ reporter, keepOnFailure });
      reporter.info('step times:');
      for (const timing of record.timings) reporter.info(`  ${timing.ok ? '✓' : '✗'} ${timing.step.padEnd(40)} ${formatDuration(timing.durationMs)}`);
      reporter.info(`export KUBECONFIG=${record.kubeconfig}`);
      return 0;
    }
    case 'down':
      await stopCluster({ reporter });
      return 0;
    case 'status': {
      const status = await readClusterStatus();
      reporter.info(`state folder: ${status.stateDir}`);
      for (const [name, running] of Object.entries(status.daemons)) reporter.info(`  ${running ? '✓' : '✗'} ${name}`);
      reporter.info(status.ready ? `ready; kubeconfig: ${status.record?.kubeconfig}` : 'not ready');
      return status.ready ? 0 : 1;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
