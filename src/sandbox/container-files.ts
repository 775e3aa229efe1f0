/**
 * Reading and writing files in a container through the archive endpoints
 * (tar in, tar out), so no shell quoting is involved and binary content is
 * kept byte for byte.
 * https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerArchive
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import { SandboxError } from '../errors.ts';
import { SANDBOX_UID } from './source.ts';

/** Largest file readFile returns. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

export async function readContainerFile(container: Docker.Container, file: string): Promise<Buffer> {
  let archive: Readable;
  try {
    archive = (await container.getArchive({ path: file })) as unknown as Readable;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new SandboxError(`No such file in the sandbox: ${file}`, { code: 'file_missing', cause: error });
    }
    throw error;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const tar = extract();
    let result: Buffer | undefined;
    tar.on('entry', (header, stream, next) => {
      if (result !== undefined || header.type !== 'file') {
        stream.resume();
        stream.on('end', next);
        if (result === undefined && header.type === 'directory') {
          reject(new SandboxError(`${file} is a directory, not a file`, { code: 'file_is_directory' }));
        }
        return;
      }
      if ((header.size ?? 0) > MAX_READ_BYTES) {
        reject(new SandboxError(`${file} is larger than ${MAX_READ_BYTES} bytes`, { code: 'file_too_large' }));
        stream.resume();
        stream.on('end', next);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        result = Buffer.concat(chunks);
        next();
      });
    });
    tar.on('finish', () => {
      if (result !== undefined) resolve(result);
      else reject(new SandboxError(`${file} is not a regular file`, { code: 'file_missing' }));
    });
    tar.on('error', reject);
    archive.on('error', reject);
    archive.pipe(tar);
  });
}

export interface WriteOptions {
  /** File mode. Default 0644. */
  mode?: number;
  /** Owner uid (and gid). Default the sandbox user. */
  uid?: number;
}

/** Writes a file; the folder must exist (the caller makes it otherwise). */
export async function writeContainerFile(
  container: Docker.Container,
  file: string,
  content: string | Buffer,
  options: WriteOptions = {},
): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const tar = pack();
  const uid = options.uid ?? SANDBOX_UID;
  tar.entry({ name: path.posix.basename(file), mode: options.mode ?? 0o644, uid, gid: uid, mtime: new Date() }, data);
  tar.finalize();
  await container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: path.posix.dirname(file) });
}
