// Runs outside the workspace against the packed @shrinkray/cli: the installed `shrinkray` binary.
import { execFileSync } from 'node:child_process';

const run = (args) => execFileSync('npx', ['--no-install', 'shrinkray', ...args], { encoding: 'utf8' });
const version = run(['--version']).trim();
if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`--version printed ${version}`);
const help = run(['--help']);
for (const command of ['inspect', 'eval', 'export', 'import', 'bench', 'distill', 'prune', 'ensemble']) {
  if (!help.includes(command)) throw new Error(`--help does not list ${command}`);
}
console.log(`shrinkray ${version} with every command`);
