import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const guards = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/process-guards.js');

/** Runs a script in a child process with the guards installed, as bin.ts installs them. */
function run(body: string) {
  const script = `
    import { pino } from 'pino';
    import { guardService, installProcessGuards } from ${JSON.stringify(guards)};
    installProcessGuards(pino({ base: { service: 'biospec' } }, pino.destination(2)));
    ${body}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: path.dirname(guards), timeout: 30_000 });
  const lines = child.stderr.split('\n').filter(Boolean);
  return { status: child.status, stdout: child.stdout, lines, logged: lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string; stack: string } }) };
}

test('an unhandled rejection is one fatal pino line with the error, and exit code 1', () => {
  const { status, logged } = run(`Promise.reject(new Error('lost promise'));`);
  expect(status).toBe(1);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: 60, msg: 'unhandled rejection: stopping', err: { message: 'lost promise' } });
  expect(logged[0]!.err!.stack).toContain('lost promise');
});

test('an uncaught exception stops the running service first, then exits 1', () => {
  const { status, stdout, logged } = run(`
    guardService(async () => { await new Promise((r) => setTimeout(r, 50)); console.log('service stopped'); });
    setTimeout(() => { throw new Error('thrown from a timer'); }, 0);
    setInterval(() => {}, 1000);`);
  expect(status).toBe(1);
  expect(stdout).toBe('service stopped\n');
  expect(logged).toMatchObject([{ level: 60, msg: 'uncaught exception: stopping', err: { message: 'thrown from a timer' } }]);
});

test('a service that does not stop in time is left behind: the process still exits 1', () => {
  const { status, logged } = run(`
    guardService(() => new Promise(() => {}));
    setInterval(() => {}, 1000);
    Promise.reject(new Error('stuck'));`);
  expect(status).toBe(1);
  expect(logged[0]).toMatchObject({ level: 60, err: { message: 'stuck' } });
}, 20_000);

test('a logger given as a function is made at the first fault, not before (bin.ts loads pino only then)', () => {
  const script = (body: string) => `
    import { pino } from 'pino';
    import { installProcessGuards } from ${JSON.stringify(guards)};
    installProcessGuards(() => { console.log('logger made'); return pino({ base: { service: 'biospec' } }, pino.destination(2)); });
    ${body}`;
  const quiet = spawnSync(process.execPath, ['--input-type=module', '-e', script(`console.log('done');`)], { encoding: 'utf8', cwd: path.dirname(guards), timeout: 30_000 });
  expect(quiet).toMatchObject({ status: 0, stdout: 'done\n' });
  const faulted = spawnSync(process.execPath, ['--input-type=module', '-e', script(`Promise.reject(new Error('lost promise'));`)], { encoding: 'utf8', cwd: path.dirname(guards), timeout: 30_000 });
  expect(faulted).toMatchObject({ status: 1, stdout: 'logger made\n' });
  expect(JSON.parse(faulted.stderr)).toMatchObject({ level: 60, msg: 'unhandled rejection: stopping', err: { message: 'lost promise' } });
});
