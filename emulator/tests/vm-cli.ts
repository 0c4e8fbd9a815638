// Runs `npm run vm` (emulator/src/cli.ts under tsx) as scripts do: stdin a
// pipe, stdout and stderr collected; rejects if it has not exited in time.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../src/node-files.ts';

export const CLI = resolve(REPO_ROOT, 'emulator/src/cli.ts');
export const TSX = resolve(REPO_ROOT, 'node_modules/.bin/tsx');

export interface VmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `input` null leaves stdin open (the CLI must exit on its own). */
export function runVm(args: string[], input: string | null, timeoutMs = 90_000): Promise<VmResult> {
  return new Promise((res, rej) => {
    const p = spawn(TSX, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      rej(new Error(`vm did not exit in ${timeoutMs} ms; stdout tail:\n${stdout.slice(-500)}\nstderr:\n${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
    if (input !== null) p.stdin.end(input);
  });
}
