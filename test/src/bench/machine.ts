import fs from 'node:fs';
import os from 'node:os';

/** The facts a benchmark figure means nothing without. */
export function describeMachine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memory = (os.totalmem() / 2 ** 30).toFixed(1);
  let load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  if (!fs.existsSync('/proc/loadavg')) load = 'n/a';
  return `${os.cpus().length} cores (${cpu}), ${memory} GiB memory, Node ${process.version}, ${os.type()} ${os.release()}, load average at start ${load}`;
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
export function residentMemory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** User plus system CPU milliseconds a process has used so far, from /proc (Linux); NaN elsewhere or once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks of 10 ms.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** The load average now, as `uptime` prints it. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}
