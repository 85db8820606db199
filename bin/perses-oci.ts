// Command-line entry for building, pushing and linting Perses OCI artifacts
// and for running a local registry. Run with `npx tsx bin/perses-oci.ts`.

import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { buildImage, type ImageForm } from '../helpers/oci/build.js';
import type { BuiltImage } from '../helpers/oci/image.js';
import { isOciLayout, readOciLayout, writeOciLayout } from '../helpers/oci/layout.js';
import { formatLintReport, lintArtifact } from '../helpers/oci/lint.js';
import { parseReference } from '../helpers/oci/reference.js';
import { RegistryClient, type BlobProgress } from '../helpers/oci/registry-client.js';
import { startRegistry } from '../helpers/oci/registry-server.js';

const USAGE = `Usage: npx tsx bin/perses-oci.ts <command> [options]

Commands:
  build <dir> --layout <out> [--tag <tag>]
      Build an image from a folder of Perses resources and write it as an OCI
      layout folder. --tag sets the layout tag (default: latest).
  push <dir|layout> <host[:port]/repository:tag> [--quiet]
      Build the folder (or read the OCI layout) and push it. Prints the digest
      and a Helm values block that mounts the artifact pinned by digest.
      Blobs over 8 MiB are sent in 8 MiB chunks with a progress line on
      stderr for each; --quiet leaves the progress out.
  lint <layout|reference> --values <file> [--existing-project <name>]...
      Check the artifact as the chart mounts it with these values.
  registry [--port <port>] [--htpasswd <user:password>]
      Run docker-registry on 127.0.0.1 until interrupted (default port: 5000).

Options for build and push:
  --form image|artifact   image (default) has a regular image config, which
                          containerd needs for an image volume; artifact has
                          the empty config and an artifactType.
  --label key=value       image config label, repeatable (maintainer,
                          description, source, version, title are also set
                          as org.opencontainers.image.* annotations).
  --annotation key=value  manifest annotation, repeatable.
Options for push and lint:
  --username, --password  registry credentials; default from the
                          PERSES_OCI_USERNAME and PERSES_OCI_PASSWORD variables.
  --chunk-size <bytes>    push: upload blobs in chunks of this many bytes.
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values: flags, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      layout: { type: 'string' },
      tag: { type: 'string' },
      form: { type: 'string' },
      label: { type: 'string', multiple: true },
      annotation: { type: 'string', multiple: true },
      username: { type: 'string' },
      password: { type: 'string' },
      'chunk-size': { type: 'string' },
      values: { type: 'string' },
      'existing-project': { type: 'string', multiple: true },
      port: { type: 'string' },
      htpasswd: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (flags.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const username = flags.username ?? process.env.PERSES_OCI_USERNAME;
  const password = flags.password ?? process.env.PERSES_OCI_PASSWORD;

  if (command === 'build') {
    const [sourceDir] = requireArgs(args, ['<dir>'], 'build');
    if (!flags.layout) throw new UsageError('build needs --layout <out>, the folder to write the OCI layout to');
    const image = await buildFromFlags(sourceDir, flags);
    await writeOciLayout(image, flags.layout, { tag: flags.tag ?? 'latest' });
    process.stdout.write(`wrote ${flags.layout} (tag ${flags.tag ?? 'latest'})\ndigest: ${image.manifestDigest}\n`);
    return;
  }

  if (command === 'push') {
    const [source, target] = requireArgs(args, ['<dir|layout>', '<host[:port]/repository:tag>'], 'push');
    const reference = parseReference(target);
    if (!reference.tag) throw new UsageError(`push target "${target}" has no tag; add one, e.g. ${target}:v1`);
    const image = (await isOciLayout(source)) ? await readOciLayout(source, flags.tag) : await buildFromFlags(source, flags);
    const client = new RegistryClient({ registry: reference.registry, username, password });
    const largestBlobBytes = Math.max(...[...image.blobs.values()].map((blob) => blob.length));
    const chunkSizeBytes =
      flags['chunk-size'] !== undefined
        ? parsePositiveInteger(flags['chunk-size'], '--chunk-size')
        : largestBlobBytes > PROGRESS_THRESHOLD_BYTES && !flags.quiet
          ? PROGRESS_CHUNK_BYTES
          : undefined;
    const onProgress = flags.quiet ? undefined : printBlobProgress;
    const result = await client.pushImage(image, { repository: reference.repository, tag: reference.tag, chunkSizeBytes, onProgress });
    process.stdout.write(`pushed ${result.taggedReference}\ndigest: ${result.digest}\n\n${formatValuesBlock(result.reference)}`);
    return;
  }

  if (command === 'lint') {
    const [artifact] = requireArgs(args, ['<layout|reference>'], 'lint');
    if (!flags.values) throw new UsageError('lint needs --values <file>, the Helm values that enable ociArtifacts');
    const report = await lintArtifact({ artifact, values: flags.values, tag: flags.tag, existingProjects: flags['existing-project'] ?? [], username, password });
    process.stdout.write(`${formatLintReport(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
    return;
  }

  if (command === 'registry') {
    await runRegistry(flags.port ?? '5000', flags.htpasswd);
    return;
  }

  throw new UsageError(`unknown command "${command}"; expected build, push, lint or registry`);
}

/** Blobs larger than this get progress lines during a push. */
const PROGRESS_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** Chunk size for large blobs when --chunk-size is not set, so progress shows during the upload, not only at its end. */
const PROGRESS_CHUNK_BYTES = 8 * 1024 * 1024;
/** Volume name and mount path of the commented ociArtifacts example in the reference chart's values.yaml. */
const DEFAULT_VOLUME_NAME = 'perses-manifests';
const DEFAULT_MOUNT_PATH = '/etc/perses/provisioning';

function printBlobProgress(progress: BlobProgress): void {
  if (progress.totalBytes <= PROGRESS_THRESHOLD_BYTES) return;

  const mebibytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  const blob = `blob ${progress.digest.slice(0, 'sha256:'.length + 12)} (${mebibytes(progress.totalBytes)} MiB)`;
  const state =
    progress.state === 'exists'
      ? 'already in the registry, nothing sent'
      : `${mebibytes(progress.acceptedBytes)} of ${mebibytes(progress.totalBytes)} MiB sent${progress.state === 'uploaded' ? ', done' : ''}`;
  process.stderr.write(`${blob}: ${state}\n`);
}

/**
 * Formats the Helm values that mount the pushed artifact: every key the chart
 * requires, with the example volume name and mount path, and the
 * provisioning folder Perses must read.
 */
function formatValuesBlock(pinnedReference: string): string {
  return [
    '# Helm values for this artifact: merge into your values. The name and',
    '# mountPath are examples, so change them to fit your release, and keep',
    '# any provisioning folders you already list.',
    'ociArtifacts:',
    `  name: ${DEFAULT_VOLUME_NAME}`,
    '  image:',
    `    reference: "${pinnedReference}"`,
    `  mountPath: ${DEFAULT_MOUNT_PATH}`,
    'config:',
    '  provisioning:',
    '    folders:',
    `      - ${DEFAULT_MOUNT_PATH}`,
    '',
  ].join('\n');
}

async function buildFromFlags(sourceDir: string, flags: { form?: string; label?: string[]; annotation?: string[] }): Promise<BuiltImage> {
  const isDirectory = (await stat(sourceDir).catch(() => undefined))?.isDirectory() ?? false;
  if (!isDirectory) throw new UsageError(`${sourceDir} is not a folder; pass the folder that holds the Perses resources`);
  const form = flags.form ?? 'image';
  if (form !== 'image' && form !== 'artifact') throw new UsageError(`--form "${form}" is invalid; expected image or artifact`);
  return buildImage({
    sourceDir,
    form: form as ImageForm,
    labels: parseKeyValues(flags.label ?? [], '--label'),
    annotations: parseKeyValues(flags.annotation ?? [], '--annotation'),
  });
}

async function runRegistry(portText: string, htpasswd: string | undefined): Promise<void> {
  const port = parsePositiveInteger(portText, '--port');
  let auth: { username: string; password: string } | undefined;
  if (htpasswd !== undefined) {
    const colon = htpasswd.indexOf(':');
    if (colon <= 0) throw new UsageError('--htpasswd must be user:password, e.g. --htpasswd perses:secret');
    auth = { username: htpasswd.slice(0, colon), password: htpasswd.slice(colon + 1) };
  }

  const registry = await startRegistry({ port, auth, verbose: true });
  process.stdout.write(`registry listening on ${registry.url}${auth ? ` (user ${auth.username})` : ''}; storage ${registry.storageDir}; press Ctrl+C to stop\n`);

  // Wait for Ctrl+C or SIGTERM, but also for the registry dying on its own,
  // which would otherwise leave this command waiting with nothing to serve.
  let onSignal: (() => void) | undefined;
  const stopRequested = new Promise<'signal'>((resolve) => {
    onSignal = () => resolve('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const outcome = await Promise.race([stopRequested, registry.exited]);
  if (onSignal) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await registry.stop();

  if (outcome !== 'signal') {
    const status = outcome.signal !== null ? `signal ${outcome.signal}` : `code ${outcome.code}`;
    throw new Error(`docker-registry exited unexpectedly (${status}); last output: ${outcome.lastOutput || '(none)'}; the storage folder was removed, so start the registry again and push again`);
  }
  process.stdout.write('registry stopped\n');
}

function requireArgs<Names extends string[]>(args: string[], names: [...Names], command: string): { [K in keyof Names]: string } {
  if (args.length !== names.length) {
    throw new UsageError(`${command} expects ${names.join(' ')}, found ${args.length} argument${args.length === 1 ? '' : 's'}`);
  }
  return args as { [K in keyof Names]: string };
}

function parseKeyValues(pairs: string[], option: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`${option} "${pair}" is invalid; expected key=value`);
    record[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return record;
}

function parsePositiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${option} "${text}" is invalid; expected a positive integer`);
  return value;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`perses-oci: ${message}\n`);
  if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') process.stderr.write('run with --help for usage\n');
  process.exitCode = 2;
});
