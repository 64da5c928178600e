import { readFile } from 'node:fs/promises';
import { AppError } from '../shared/errors.ts';

/**
 * A backup passphrase: from `--passphrase-file` (its first line), else FRAMEHOUSE_BACKUP_PASSPHRASE,
 * else typed at the terminal when there is one (`prompt`), else undefined. Never a flag's value:
 * `ps` and shell histories would show it.
 */
export async function readPassphrase(o: {
  file?: string;
  fromEnv?: string;
  prompt?: { question: string; confirm: boolean };
}): Promise<string | undefined> {
  if (o.file !== undefined) {
    const text = await readFile(o.file, 'utf8').catch((err: Error) => {
      throw new AppError('FH_ERR_BACKUP_PASSPHRASE', `${o.file}: ${err.message}`);
    });
    const line = text.split(/\r?\n/)[0] ?? '';
    if (!line) throw new AppError('FH_ERR_BACKUP_PASSPHRASE', `${o.file} holds no passphrase`);
    return line;
  }
  if (o.fromEnv) return o.fromEnv;
  if (!o.prompt || !process.stdin.isTTY) return undefined;
  const first = await askHidden(o.prompt.question);
  if (o.prompt.confirm && (await askHidden('Again, to be sure: ')) !== first)
    throw new AppError('FH_ERR_BACKUP_PASSPHRASE', 'The two passphrases differ');
  return first;
}

/** Reads a line from the terminal without echoing it. Written by hand: readline has no hidden input. */
function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  let typed = '';
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new AppError('FH_ERR_BACKUP_PASSPHRASE', 'Interrupted'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}
