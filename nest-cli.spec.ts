import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** nest-cli.json is only a map of the monorepo (see its $comment): this keeps it true. */
type Project = { type: string; root: string; entryFile: string; sourceRoot: string };
type NestCli = { root: string; projects: Record<string, Project> };

const ROOT = import.meta.dirname;
const config = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as NestCli;
const projects = Object.values(config.projects);

function folders(parent: string): string[] {
  return readdirSync(join(ROOT, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${parent}/${entry.name}`);
}

describe('nest-cli.json', () => {
  it('lists every folder under apps/ and libs/, each once, and nothing else', () => {
    const listed = projects.map((p) => p.root).sort();
    expect(listed).toEqual([...folders('apps'), ...folders('libs')].sort());
  });

  it('calls apps applications and libs libraries, each with its src and entry file', () => {
    for (const p of projects) {
      expect({ root: p.root, type: p.type }).toEqual({
        root: p.root,
        type: p.root.startsWith('apps/') ? 'application' : 'library',
      });
      expect(p.sourceRoot).toBe(`${p.root}/src`);
      const entry = join(ROOT, p.sourceRoot, p.entryFile);
      expect({ entry, exists: existsSync(`${entry}.ts`) || existsSync(`${entry}.tsx`) }).toEqual({
        entry,
        exists: true,
      });
    }
  });

  it('has a default project that it lists', () => {
    expect(projects.map((p) => p.root)).toContain(config.root);
  });
});
