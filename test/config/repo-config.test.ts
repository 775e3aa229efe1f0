import { describe, expect, it } from 'vitest';
import { defaultRepoConfig, parseRepoConfig } from '../../src/config/repo-config.ts';

describe('parseRepoConfig', () => {
  it('fills defaults for missing sections and keeps given values', () => {
    const config = parseRepoConfig('fix:\n  candidates: 4\nenvironment:\n  setup: ["npm ci"]\n  node_version: 20\n');
    expect(config.fix).toEqual({ ...defaultRepoConfig().fix, candidates: 4 });
    expect(config.environment.setup).toEqual(['npm ci']);
    expect(config.environment.node_version).toBe('20');
    expect(config.review.max_comments).toBe(15);
  });

  it('accepts an empty file', () => {
    expect(parseRepoConfig('')).toEqual(defaultRepoConfig());
  });

  it('quotes the exact problem: field path for schema errors', () => {
    expect(() => parseRepoConfig('fix:\n  candidates: 99\n')).toThrow(/\.github\/swe-bot\.yml: fix\.candidates: .*16/);
    expect(() => parseRepoConfig('review:\n  max_coments: 3\n')).toThrow(/review: .*max_coments/);
  });

  it('quotes the exact problem: line and column for YAML errors', () => {
    expect(() => parseRepoConfig('fix:\n  label: [unclosed\n')).toThrow(/swe-bot\.yml: .*line \d+/);
    expect(() => parseRepoConfig('- a list\n')).toThrow(/top level must be a mapping/);
  });
});
