/**
 * Preloaded (--import) by test/hostile/demo-history.test.ts into a process started with
 * --expose-gc: on the IPC message 'heap' it collects garbage and answers with the heap in use,
 * so the test can weigh what the process keeps without the process knowing it is measured.
 */
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

process.on('message', (message) => {
  if (message !== 'heap') return
  // The second collection frees what the first one's finalizers let go of.
  gc()
  gc()
  process.send?.({ heapUsed: process.memoryUsage().heapUsed })
})
