import v8 from 'node:v8';

/**
 * Garbage collection tuned for a server answering people, not for the smallest heap. Each entry
 * point calls this before the app starts (the benchmark's app process too, so it measures what
 * runs in production).
 *
 * Under the benchmark's load every full collection of the old generation held this process up for
 * about 100 ms (incremental marking steps of up to 12 ms, then a 10–18 ms pause), one every 10 s
 * or so, and those stalls were most of the slowest 1% of card actions. About 56 MB stays live;
 * the rest promoted is short-lived turn data. So the old generation may grow to five times what
 * was live before it is collected, and it is not collected merely because the app looks idle (the
 * memory reducer): full collections become about ten times rarer, for a heap of up to a few
 * hundred megabytes. V8 still collects sooner as the heap nears its limit.
 *
 * Set at run time rather than as command-line flags: a V8 version without one of these ignores
 * it, where an unknown command-line flag would stop Node starting.
 */
export const GC_FLAGS = ['--heap-growing-percent=400', '--no-memory-reducer'] as const;

export function tuneGarbageCollection(): void {
  for (const flag of GC_FLAGS) v8.setFlagsFromString(flag);
}
