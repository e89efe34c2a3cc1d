import cliProgress from 'cli-progress';

/** A progress bar on stderr for long imports; silent when stderr is not a terminal, so logs stay clean. */
export function createProgress(label: string, total: number, unit: string) {
  if (!process.stderr.isTTY) {
    return { update: (_value: number) => undefined, stop: () => undefined };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (value: number) => bar.update(Math.min(value, total)), stop: () => bar.stop() };
}
