import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';

export type ConsoleFile = { contentType: string; body: Buffer };

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The repository (or image) root: the nearest folder above `from` with a package.json. Found
 * rather than counted, so the same code works from src/ and dist/ (the tests' helper uses it).
 */
export function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` puts the console (vite build, see apps/console/vite.config.ts). */
export function consoleBuildDir(): string {
  return join(projectRoot(import.meta.dirname), 'dist', 'console');
}

/**
 * Every file of the console build by its path under /console/ ('' is the page), read once: a
 * fixed set, so nothing outside the build (no `..`, no other folder) can ever be served.
 * Empty when the console was not built.
 */
export function loadConsoleFiles(dir = consoleBuildDir()): ReadonlyMap<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(dir)) return files;
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue;
      const served = relative(dir, path).split(sep).join('/');
      files.set(served === 'index.html' ? '' : served, { contentType, body: readFileSync(path) });
    }
  };
  walk(dir);
  return files;
}
