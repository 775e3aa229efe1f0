import { describe, expect, it } from 'vitest';
import { dockerOptions } from '../../src/sandbox/docker-client.ts';

describe('docker options', () => {
  it('follows DOCKER_HOST schemes', () => {
    expect(dockerOptions(undefined)).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions('unix:///run/user/1000/docker.sock')).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerOptions('tcp://127.0.0.1:2375')).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 2375 });
    expect(() => dockerOptions('ftp://x')).toThrow(/DOCKER_HOST=ftp:\/\/x/);
  });
});
