import { shrinkrayVitestConfig } from '@shrinkray/vitest-preset';
export default shrinkrayVitestConfig({ setupFiles: ['./test/setup.ts'] });
