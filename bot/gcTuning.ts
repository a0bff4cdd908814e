import v8 from 'node:v8';

/**
 * Garbage collection tuned for a server answering people, not for the smallest heap. Each entry
 * point calls this before the app starts (the benchmark's app process too, so it measures what
 * runs in production).
 *
 * Under the benchmark's load every full collection of the old generation held this process up for
 * about 100 ms (incremental marking steps of up to 12 ms, then a 10–18 ms pause), one every 10 s
 * or so, and those stalls were most of the slowest 1% of card actions. About 56 MB stays live and
 * V8's own growing factor let the old generation reach only 80–115 MB before collecting it. At 400%
 * it may grow to five times what was live: a full collection about a tenth as often, for a heap of
 * a few hundred megabytes. V8 still never lets one growth step take more than half the way from
 * the current size to its heap limit (about half the machine's memory, or
 * --max-old-space-size), so this cannot run the heap out. 0 leaves V8's own factor.
 *
 * Set at run time rather than as a command-line flag: a V8 version without the flag reports it and
 * carries on, where an unknown command-line flag would stop Node starting. (The memory reducer cannot
 * be switched off this way: V8 decides on it when the heap is set up.)
 */
export function tuneGarbageCollection(heapGrowingPercent: number): void {
  if (heapGrowingPercent > 0) v8.setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
}
