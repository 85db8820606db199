// A small tar writer and reader for image layers.
//
// The writer emits POSIX ustar headers and adds a PAX extended header ('x')
// only for a path or link target that does not fit the ustar fields, so the
// same entries always give the same bytes. The reader accepts what the writer
// emits plus GNU long names ('L'), which other image builders use.

const BLOCK_SIZE = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarEntry {
  /** Path inside the archive, relative, with '/' separators and no trailing slash. */
  path: string;
  type: TarEntryType;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  /** File content; empty for directories and symlinks. */
  content: Buffer;
  /** Target of a symlink; empty otherwise. */
  linkTarget: string;
}

const TYPE_FLAGS: Record<TarEntryType, string> = { file: '0', directory: '5', symlink: '2' };

/**
 * Writes the entries as one tar archive in the given order, with uid/gid 0,
 * empty user and group names and the given mtime (seconds since the epoch).
 */
export function writeTar(entries: readonly TarEntry[], options: { mtimeSeconds: number }): Buffer {
  const chunks: Buffer[] = [];

  for (const entry of entries) {
    const headerPath = entry.type === 'directory' ? `${entry.path}/` : entry.path;
    const split = splitUstarPath(headerPath);
    const linkFits = Buffer.byteLength(entry.linkTarget) <= 100;

    if (!split || !linkFits) {
      const records: Record<string, string> = {};
      if (!split) records.path = headerPath;
      if (!linkFits) records.linkpath = entry.linkTarget;
      const paxBody = encodePaxRecords(records);
      chunks.push(
        encodeHeader({
          name: truncateUtf8(`PaxHeaders/${headerPath}`, 100),
          prefix: '',
          mode: 0o644,
          size: paxBody.length,
          mtimeSeconds: options.mtimeSeconds,
          typeFlag: 'x',
          linkName: '',
        }),
      );
      chunks.push(padToBlock(paxBody));
    }

    const size = entry.type === 'file' ? entry.content.length : 0;
    chunks.push(
      encodeHeader({
        name: split ? split.name : truncateUtf8(headerPath, 100),
        prefix: split ? split.prefix : '',
        mode: entry.mode,
        size,
        mtimeSeconds: options.mtimeSeconds,
        typeFlag: TYPE_FLAGS[entry.type],
        linkName: linkFits ? entry.linkTarget : truncateUtf8(entry.linkTarget, 100),
      }),
    );
    if (size > 0) chunks.push(padToBlock(entry.content));
  }

  // Two zero blocks mark the end of the archive.
  chunks.push(Buffer.alloc(BLOCK_SIZE * 2));
  return Buffer.concat(chunks);
}

/**
 * Parses a tar archive into entries. Hard links, devices and FIFOs are
 * skipped because layers of Perses resources do not need them. A header with
 * a wrong checksum raises an error that names its byte offset.
 */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pendingPath: string | undefined;
  let pendingLink: string | undefined;

  while (offset + BLOCK_SIZE <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK_SIZE);
    if (header.every((byte) => byte === 0)) break;

    verifyChecksum(header, offset);
    const size = parseOctal(header.subarray(124, 136));
    const typeFlag = String.fromCharCode(header[156] ?? 0x30);
    const bodyStart = offset + BLOCK_SIZE;
    const body = archive.subarray(bodyStart, bodyStart + size);
    offset = bodyStart + Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;

    if (typeFlag === 'x') {
      const records = decodePaxRecords(body);
      pendingPath = records.path ?? pendingPath;
      pendingLink = records.linkpath ?? pendingLink;
      continue;
    }
    if (typeFlag === 'L') {
      pendingPath = readCString(body);
      continue;
    }
    if (typeFlag === 'g') continue;

    const name = readCString(header.subarray(0, 100));
    const prefix = readCString(header.subarray(345, 500));
    const rawPath = pendingPath ?? (prefix ? `${prefix}/${name}` : name);
    const linkTarget = pendingLink ?? readCString(header.subarray(157, 257));
    pendingPath = undefined;
    pendingLink = undefined;

    const type = typeFromFlag(typeFlag);
    if (!type) continue;
    entries.push({
      path: normalizeEntryPath(rawPath),
      type,
      mode: parseOctal(header.subarray(100, 108)) & 0o7777,
      content: type === 'file' ? Buffer.from(body) : Buffer.alloc(0),
      linkTarget: type === 'symlink' ? linkTarget : '',
    });
  }
  return entries;
}

function typeFromFlag(typeFlag: string): TarEntryType | undefined {
  if (typeFlag === '0' || typeFlag === '\0' || typeFlag === '7') return 'file';
  if (typeFlag === '5') return 'directory';
  if (typeFlag === '2') return 'symlink';
  return undefined;
}

/** Strips './' and '/' prefixes and trailing slashes, as layer paths are relative to the root. */
export function normalizeEntryPath(rawPath: string): string {
  return rawPath.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtimeSeconds: number;
  typeFlag: string;
  linkName: string;
}

function encodeHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(BLOCK_SIZE);
  header.write(fields.name, 0, 100, 'utf8');
  writeOctal(header, 100, 8, fields.mode);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, fields.size);
  writeOctal(header, 136, 12, fields.mtimeSeconds);
  header.fill(0x20, 148, 156);
  header.write(fields.typeFlag, 156, 1, 'ascii');
  header.write(fields.linkName, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write(fields.prefix, 345, 155, 'utf8');

  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return header;
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) {
    throw new Error(`tar header field at offset ${offset} cannot hold ${value}; the limit is ${length - 1} octal digits`);
  }
  header.write(`${digits.padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function parseOctal(field: Buffer): number {
  const text = readCString(field).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function readCString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function verifyChecksum(header: Buffer, offset: number): void {
  const stored = parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  if (sum !== stored) {
    throw new Error(`tar header at byte ${offset} has checksum ${stored}, expected ${sum}; the layer is corrupt or not a tar archive`);
  }
}

/** Splits a path into ustar prefix and name fields, or returns undefined when it does not fit. */
function splitUstarPath(headerPath: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(headerPath) <= 100) return { prefix: '', name: headerPath };

  for (let slash = headerPath.indexOf('/'); slash !== -1; slash = headerPath.indexOf('/', slash + 1)) {
    const prefix = headerPath.slice(0, slash);
    const name = headerPath.slice(slash + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  return undefined;
}

function truncateUtf8(text: string, maxBytes: number): string {
  return Buffer.from(text).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
}

function padToBlock(content: Buffer): Buffer {
  const remainder = content.length % BLOCK_SIZE;
  return remainder === 0 ? content : Buffer.concat([content, Buffer.alloc(BLOCK_SIZE - remainder)]);
}

// A PAX record is "<length> <key>=<value>\n", where length counts the whole
// record including its own digits.
function encodePaxRecords(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const payload = ` ${key}=${value}\n`;
    const payloadBytes = Buffer.byteLength(payload);
    let length = payloadBytes + 1;
    while (String(length).length + payloadBytes !== length) length = String(length).length + payloadBytes;
    return `${length}${payload}`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

function decodePaxRecords(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(body.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals !== -1) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
