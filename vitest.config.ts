import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Namespace/veth tests and the recorder tests spawn real processes; two cores only.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
