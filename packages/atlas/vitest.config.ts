import { defineConfig } from 'vitest/config';

// The site test builds a small study with the real tools and browses it in Chromium.
export default defineConfig({
  test: { globalSetup: ['../../tools/test/temp-sandbox.ts'], include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
