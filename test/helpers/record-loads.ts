// Preloaded with `node --import`: at exit, writes the URL of every module the process loaded
// (import and require alike) to the file named by FRAMEHOUSE_TEST_LOADS_FILE.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const file = process.env.FRAMEHOUSE_TEST_LOADS_FILE;
  if (file) writeFileSync(file, loaded.join('\n'));
});
