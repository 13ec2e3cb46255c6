/** For the bench's own child processes: on SIGTERM/SIGINT, run `close`, then exit 0 whatever it did. */
export function closeOnSignal(close: () => Promise<unknown>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void close()
        .catch(() => undefined)
        .finally(() => process.exit(0));
    });
  }
}
