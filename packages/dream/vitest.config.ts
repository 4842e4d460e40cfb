import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { globalSetup: ['../../tools/test/temp-sandbox.ts'], include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
