import { defineConfig } from 'vitest/config';

// atlas is a placeholder until its issue lands: no tests yet.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, passWithNoTests: true },
});
