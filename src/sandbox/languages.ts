/** The language families swe-bot has base images for (docker/base/<language>). */
export const LANGUAGES = ['node', 'python'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The package managers of Node repositories that detection tells apart. */
export type PackageManager = 'npm' | 'pnpm' | 'yarn';
