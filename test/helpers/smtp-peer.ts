import { SMTPServer } from 'smtp-server';

export interface SmtpPeer {
  /** smtp://127.0.0.1:{port}, for FRAMEHOUSE_SMTP_URL. */
  url: string;
  /** Every accepted message, raw, with quoted-printable soft line breaks undone. */
  mails: string[];
  /** The same messages exactly as received (headers folded, bodies encoded), for a MIME reader. */
  raw: string[];
  /** How many messages were turned away. */
  refused(): number;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the `smtp-server` package) on a free port that keeps what it receives.
 * `refuseFirst` answers the first N messages "451 try again later", as a busy relay does.
 */
export async function startSmtpPeer(opts: { refuseFirst?: number } = {}): Promise<SmtpPeer> {
  const mails: string[] = [];
  const raw: string[] = [];
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      let text = '';
      stream.on('data', (d: Buffer) => {
        text += d.toString();
      });
      stream.on('end', () => {
        if (refused < (opts.refuseFirst ?? 0)) {
          refused++;
          done(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
          return;
        }
        raw.push(text);
        mails.push(text.replace(/=\r?\n/g, ''));
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`,
    mails,
    raw,
    refused: () => refused,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
