import { spawn } from 'node:child_process';

/**
 * Runs a command and parses the last line of its stdout as JSON. Rejects with the command's stderr
 * tail when it exits non-zero or prints no JSON.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }} [options]
 * @returns {Promise<any>}
 */
export function spawnJson(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0) {
        try {
          resolve(JSON.parse(last));
          return;
        } catch {
          // fall through to the error below
        }
      }
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? code}: ${tail || last}`));
    });
  });
}
